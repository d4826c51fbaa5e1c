"""Kokoro (82M, 24 kHz) through mlx-audio, with an English G2P that works offline.

mlx-audio's ``KokoroPipeline`` builds its English G2P from ``misaki.en.G2P``, which needs spaCy plus a spaCy model
that is not on PyPI, so it fails offline. This adapter skips the pipeline: it phonemizes with misaki's eSpeak path
(``misaki.espeak.EspeakFallback`` for American/British English, ``EspeakG2P`` for es/fr/hi/it/pt — both run
libespeak-ng from ``espeakng-loader``, offline, in about a millisecond), splits phonemes at Kokoro's 510-symbol limit
the way the pipeline does (sentence, then clause, then word breaks) and calls the mlx-audio ``Model`` directly with
the voice pack row for that length. Voices are ``voices/<name>.safetensors`` next to the weights; a voice's first
letter is its language (a = American English, b = British, e, f, h, i, p).

Engine thread only; every AudioPiece holds numpy float32, never an ``mx.array``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import numpy as np

from models.base import AudioPiece, ModelError, ModelFolder, ModelInfo, Role
from models.registry import register

MAX_PHONEMES = 510
DEFAULT_VOICE = "af_heart"
_ESPEAK_LANGS = {"e": "es", "f": "fr-fr", "h": "hi", "i": "it", "p": "pt-br"}
_BREAK_TIERS = ("!.?…", ":;", ",—", " ")


@dataclass
class _Word:
    """The one attribute of misaki's MToken that ``EspeakFallback`` reads."""

    text: str


def make_g2p(lang: str) -> Callable[[str], str]:
    """text -> Kokoro phonemes for a voice language letter, offline (misaki's eSpeak path, never spaCy)."""
    try:
        from misaki import espeak
    except ImportError as e:
        raise ModelError(f"Kokoro's phonemizer is missing ({e}). Run `uv sync` (packages misaki, phonemizer-fork, "
                         "espeakng-loader).") from None
    if lang in "ab":
        fallback = espeak.EspeakFallback(british=lang == "b")

        def english(text: str) -> str:
            ps, _ = fallback(_Word(text))
            return ps or ""

        return english
    if lang in _ESPEAK_LANGS:
        g2p = espeak.EspeakG2P(language=_ESPEAK_LANGS[lang])
        return lambda text: g2p(text)[0] or ""
    raise ModelError(f"Kokoro voices for language {lang!r} need extra phonemizers that Hearth does not ship; "
                     "pick an English (af_*, am_*, bf_*, bm_*), Spanish, French, Hindi, Italian or Portuguese voice.")


def split_phonemes(ps: str, limit: int = MAX_PHONEMES) -> list[str]:
    """Cut a phoneme string into pieces of at most ``limit`` symbols, at the strongest break available."""
    pieces: list[str] = []
    ps = ps.strip()
    while len(ps) > limit:
        cut = next((i + 1 for tier in _BREAK_TIERS for i in [max(ps.rfind(c, 0, limit) for c in tier)] if i > 0),
                   limit)
        pieces.append(ps[:cut].strip())
        ps = ps[cut:].strip()
    if ps:
        pieces.append(ps)
    return pieces


def is_kokoro(folder: ModelFolder) -> bool:
    cfg = folder.config
    return str(cfg.get("model_type", "")).lower() == "kokoro" or {"istftnet", "plbert", "vocab"} <= cfg.keys()


@register(Role.TTS, "kokoro", priority=40)
class KokoroTTS:
    """TextToSpeech over mlx-audio's Kokoro ``Model``."""

    def __init__(self, model: Any, voice_files: dict[str, Any], model_id: str) -> None:
        self.model = model
        self.info = ModelInfo(model_id, Role.TTS, "mlx-audio kokoro")
        self._voice_files = voice_files
        self._packs: dict[str, Any] = {}
        self._g2p: dict[str, Callable[[str], str]] = {}

    @classmethod
    def accepts(cls, folder: ModelFolder) -> bool:
        return is_kokoro(folder)

    @classmethod
    def load(cls, folder: ModelFolder, model_id: str) -> KokoroTTS:
        voices = {p.stem: p for p in sorted((folder.path / "voices").glob("*.safetensors"))}
        if not voices:
            raise ModelError(f"Kokoro at {folder.path} has no voices/*.safetensors. Re-download the model "
                             f"(`hearth models pull {model_id}`) or copy a voice file there.")
        import mlx.core as mx
        from mlx_audio.tts.utils import load_model

        try:
            model = load_model(folder.path, strict=True)
        except (FileNotFoundError, ValueError, KeyError) as e:
            raise ModelError(f"Could not load Kokoro from {folder.path} ({e}). Check that config.json and the "
                             "weights are complete, or download the model again.") from None
        if mx.default_device() == mx.cpu:  # half precision is ~30x slower on MLX's CPU backend
            model.set_dtype(mx.float32)
        return cls(model, voices, model_id)

    @property
    def sample_rate(self) -> int:
        return int(self.model.sample_rate)

    def voices(self) -> tuple[str, ...]:
        return tuple(self._voice_files)

    def _pack(self, voice: str) -> Any:
        if voice not in self._packs:
            if voice not in self._voice_files:
                raise ModelError(f"Kokoro has no voice {voice!r}; available: {', '.join(self._voice_files)}.")
            import mlx.core as mx

            self._packs[voice] = mx.load(str(self._voice_files[voice]))["voice"].astype(mx.float32)
        return self._packs[voice]

    def phonemize(self, text: str, voice: str) -> str:
        lang = voice[0].lower()
        if lang not in self._g2p:
            self._g2p[lang] = make_g2p(lang)
        return self._g2p[lang](text)

    def synthesize(self, text: str, voice: str | None, speed: float) -> Iterator[AudioPiece]:
        voice = voice or (DEFAULT_VOICE if DEFAULT_VOICE in self._voice_files else next(iter(self._voice_files)))
        pack = self._pack(voice)
        vocab = self.model.vocab
        for ps in split_phonemes(self.phonemize(text, voice)):
            if not any(ch in vocab for ch in ps):
                continue
            # the voice pack has one style row per phoneme-string length (as KokoroPipeline.infer indexes it)
            out = self.model(ps, pack[min(len(ps), pack.shape[0]) - 1], speed or 1.0, return_output=True)
            pcm = np.array(out.audio, dtype=np.float32).reshape(-1)
            if len(pcm):
                yield AudioPiece(pcm, self.sample_rate)

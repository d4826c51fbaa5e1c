"""The instant voice: eSpeak NG, robotic but ready within milliseconds and always installed.

It drives libespeak-ng in-process through ctypes (the copy bundled with the ``espeakng-loader`` package, so it works
the same on macOS and Linux with no system install), synthesising a clause into memory with no process start-up.
When that library cannot be loaded it falls back to the ``espeak-ng`` command writing WAV to stdout. The catalog id
"espeak" resolves to ``ModelFolder(Path("espeak"), {"model_type": "builtin:espeak"})``, which this adapter accepts.
"""

from __future__ import annotations

import ctypes
import io
import shutil
import subprocess
import threading
import wave
from pathlib import Path
from typing import Iterator

import numpy as np

from models.base import AudioPiece, ModelError, ModelFolder, ModelInfo, Role
from models.registry import register

DEFAULT_VOICE = "en-us"
BASE_WPM = 175  # eSpeak's default rate; speed 1.0
_SYNCHRONOUS = 2  # AUDIO_OUTPUT_SYNCHRONOUS: espeak_Synth returns when all audio went to the callback
_CHARS_UTF8 = 1
_POS_CHARACTER = 1
_RATE, _VOLUME = 1, 2  # espeak_PARAMETER
# Kokoro-style voice names ("af_heart") carry a language letter: speak that language when eSpeak stands in
_KOKORO_LANG = {"a": "en-us", "b": "en", "e": "es", "f": "fr", "h": "hi", "i": "it", "p": "pt-br", "j": "ja",
                "z": "cmn"}
_MODEL_NAMES = ("espeak", "espeak-ng", "espeak_ng")
_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


class _Voice(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("languages", ctypes.c_char_p), ("identifier", ctypes.c_char_p),
                ("gender", ctypes.c_ubyte), ("age", ctypes.c_ubyte), ("variant", ctypes.c_ubyte),
                ("xx1", ctypes.c_ubyte), ("score", ctypes.c_int), ("spare", ctypes.c_void_p)]


class LibEspeak:
    """One process-wide libespeak-ng (it has global state): a lock serialises every call."""

    _instance: LibEspeak | None = None
    _create_lock = threading.Lock()

    def __init__(self, library: str, data_path: str) -> None:
        self.lib = ctypes.CDLL(library)
        self.lib.espeak_Initialize.restype = ctypes.c_int
        self.sample_rate = self.lib.espeak_Initialize(_SYNCHRONOUS, 0, data_path.encode(), 0)
        if self.sample_rate <= 0:
            raise OSError(f"espeak_Initialize failed with data at {data_path}")
        self.lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._callback = _CALLBACK(self._on_audio)  # keep a reference: the library holds the pointer
        self.lib.espeak_SetSynthCallback(self._callback)
        self.lib.espeak_ListVoices.restype = ctypes.POINTER(ctypes.POINTER(_Voice))

    @classmethod
    def shared(cls) -> LibEspeak:
        with cls._create_lock:
            if cls._instance is None:
                import espeakng_loader

                cls._instance = cls(espeakng_loader.get_library_path(), espeakng_loader.get_data_path())
            return cls._instance

    def _on_audio(self, wav: ctypes.POINTER(ctypes.c_short), n: int, events: int) -> int:  # type: ignore[valid-type]
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.float32) / 32768.0)
        return 0

    def voices(self) -> tuple[str, ...]:
        with self.lock:
            arr = self.lib.espeak_ListVoices(None)
            names, i = set(), 0
            while arr[i]:
                ident = arr[i].contents.identifier
                if ident:
                    names.add(Path(ident.decode()).name.lower())
                i += 1
        return tuple(sorted(names))

    def synth(self, text: str, voice: str, wpm: int) -> np.ndarray:
        data = text.encode("utf-8")
        with self.lock:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
                raise ModelError(f"eSpeak has no voice {voice!r}. Try {DEFAULT_VOICE!r}, or see "
                                 "`hearth say --voice espeak --list-voices`.")
            self.lib.espeak_SetParameter(_RATE, wpm, 0)
            self._chunks = []
            buf = ctypes.create_string_buffer(data)
            err = self.lib.espeak_Synth(buf, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
            if err != 0:
                raise ModelError(f"eSpeak could not synthesise this text (error {err}).")
            chunks, self._chunks = self._chunks, []
        return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


class EspeakCommand:
    """Fallback: the ``espeak-ng`` program, WAV on stdout (a process start per clause: tens of milliseconds)."""

    sample_rate = 22050

    def __init__(self, exe: str) -> None:
        self.exe = exe

    def voices(self) -> tuple[str, ...]:
        out = subprocess.run([self.exe, "--voices"], capture_output=True, text=True, timeout=10).stdout
        rows = [line.split() for line in out.splitlines()[1:]]
        return tuple(sorted({r[1].lower() for r in rows if len(r) > 1}))

    def synth(self, text: str, voice: str, wpm: int) -> np.ndarray:
        proc = subprocess.run([self.exe, "--stdout", "--stdin", "-v", voice, "-s", str(wpm)], input=text.encode(),
                              capture_output=True, timeout=60)
        if proc.returncode != 0 or len(proc.stdout) < 44:
            raise ModelError(f"espeak-ng failed: {proc.stderr.decode(errors='replace').strip()[:200]}")
        with wave.open(io.BytesIO(proc.stdout)) as w:
            self.sample_rate = w.getframerate()
            frames = w.readframes(w.getnframes())
        return np.frombuffer(frames, dtype="<i2").astype(np.float32) / 32768.0


def espeak_voice(voice: str | None) -> str:
    """An eSpeak voice for ``voice``: itself, or the language of a Kokoro voice name, or the default."""
    if not voice or voice.lower() in _MODEL_NAMES:  # "--voice espeak" names the model, not one of its voices
        return DEFAULT_VOICE
    if len(voice) > 3 and voice[2] == "_" and voice[0] in _KOKORO_LANG:
        return _KOKORO_LANG[voice[0]]
    return voice


def open_espeak() -> LibEspeak | EspeakCommand:
    """The in-process library, else the command, else a ModelError saying how to install one."""
    try:
        return LibEspeak.shared()
    except (ImportError, OSError, AttributeError) as lib_error:
        exe = shutil.which("espeak-ng")
        if exe:
            return EspeakCommand(exe)
        raise ModelError(
            f"The eSpeak NG voice is unavailable ({lib_error}). Run `uv sync` (package espeakng-loader) "
            "or install espeak-ng (`sudo apt-get install espeak-ng` / `brew install espeak-ng`)."
        ) from None


@register(Role.TTS, "espeak", priority=90)
class EspeakTTS:
    """TextToSpeech over eSpeak NG; ``voice`` is an eSpeak voice name such as "en-us", "en-gb" or "de"."""

    def __init__(self, engine: LibEspeak | EspeakCommand, model_id: str = "espeak") -> None:
        self.engine = engine
        self.info = ModelInfo(model_id, Role.TTS, "espeak-ng")

    @classmethod
    def accepts(cls, folder: ModelFolder) -> bool:
        return str(folder.config.get("model_type", "")).lower() in ("builtin:espeak", "espeak", "espeak-ng")

    @classmethod
    def load(cls, folder: ModelFolder, model_id: str) -> EspeakTTS:
        return cls(open_espeak(), model_id)

    @classmethod
    def voice_names(cls, folder: ModelFolder) -> tuple[str, ...]:
        """The voices, without loading the adapter (eSpeak's voice list is not MLX work)."""
        return open_espeak().voices()

    @property
    def sample_rate(self) -> int:
        return int(self.engine.sample_rate)

    def voices(self) -> tuple[str, ...]:
        return self.engine.voices()

    def synthesize(self, text: str, voice: str | None, speed: float) -> Iterator[AudioPiece]:
        if not text.strip():
            return
        wpm = int(min(max(BASE_WPM * (speed or 1.0), 80), 450))
        pcm = self.engine.synth(text, espeak_voice(voice), wpm)
        if len(pcm):
            yield AudioPiece(pcm, self.sample_rate)

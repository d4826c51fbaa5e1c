"""Speech-to-text through mlx-audio: Whisper-class and Parakeet-class models from a local folder.

``accepts`` recognises the family from ``config.json`` (Whisper: ``model_type == "whisper"`` or MLX/HF Whisper dims;
Parakeet: ``model_type`` parakeet* or a NeMo ASR config). Whisper needs the Hugging Face processor files
(tokenizer + preprocessor_config.json) next to the weights. On MLX's CPU backend the weights are cast to float32
(float16 is ~30x slower there); on Metal they stay as shipped. Engine thread only; returns plain Python values.
"""

from __future__ import annotations

import glob
from math import gcd
from typing import Any

import numpy as np

from models.base import ModelError, ModelFolder, ModelInfo, Role, TranscriptResult
from models.registry import register

SAMPLE_RATE = 16000
WHISPER_TEMPERATURES = (0.0, 0.4, 0.8)  # fallback ladder when a greedy decode looks degenerate
FALLBACK_SEED = 0


def model_family(folder: ModelFolder) -> str | None:
    """"whisper", "parakeet" or None, judged from config.json alone."""
    cfg = folder.config
    mtype = str(cfg.get("model_type", "")).lower()
    archs = [str(a) for a in cfg.get("architectures", []) or []]
    if mtype == "whisper" or {"n_mels", "n_audio_ctx"} <= cfg.keys() or any("Whisper" in a for a in archs):
        return "whisper"
    nemo = "nemo.collections.asr" in str(cfg.get("target", ""))
    if mtype.startswith("parakeet") or nemo or {"preprocessor", "encoder", "joint"} <= cfg.keys():
        return "parakeet"
    return None


def _has_weights(folder: ModelFolder) -> bool:
    return bool(glob.glob(str(folder.path / "*.safetensors")) or glob.glob(str(folder.path / "*.npz")))


def _to_16k(pcm: np.ndarray, sample_rate: int) -> np.ndarray:
    x = np.asarray(pcm, dtype=np.float32)
    if x.ndim == 2:
        x = x.mean(axis=1 if x.shape[1] <= 8 else 0)
    if x.ndim != 1:
        raise ModelError(f"Speech-to-text needs mono audio, got an array of shape {x.shape}.")
    if not np.all(np.isfinite(x)):
        raise ModelError("The audio contains NaN or infinite samples; check the microphone or file.")
    if not isinstance(sample_rate, int) or not 1000 <= sample_rate <= 384000:
        raise ModelError(f"Unsupported sample rate {sample_rate!r} Hz for speech-to-text; use e.g. 16000.")
    if sample_rate == SAMPLE_RATE or len(x) == 0:
        return x
    from scipy.signal import resample_poly

    g = gcd(sample_rate, SAMPLE_RATE)
    return resample_poly(x, SAMPLE_RATE // g, sample_rate // g).astype(np.float32)


@register(Role.STT, "mlx-audio")
class MlxAudioSTT:
    """One adapter for both families; ``family`` selects how ``transcribe`` calls the model."""

    def __init__(self, model: Any, family: str, model_id: str, language: str | None = None) -> None:
        self._model, self.family, self.language = model, family, language
        self.info = ModelInfo(model_id, Role.STT, f"mlx-audio/{family}")

    @classmethod
    def accepts(cls, folder: ModelFolder) -> bool:
        return model_family(folder) is not None and _has_weights(folder)

    @classmethod
    def load(cls, folder: ModelFolder, model_id: str) -> "MlxAudioSTT":
        family = model_family(folder)
        if family is None:
            raise ModelError(f"{folder.path} is not a Whisper or Parakeet model (config.json model_type).")
        try:
            import mlx.core as mx
            from mlx_audio.stt.utils import load as load_stt

            kwargs = {"model_type": "parakeet"} if family == "parakeet" else {}
            model = load_stt(folder.path, **kwargs)
        except ModelError:
            raise
        except Exception as e:  # library errors: missing files, shape mismatches, bad config
            raise ModelError(
                f"Could not load the speech-to-text model {model_id!r} from {folder.path}: {e}. "
                "Re-download or re-import the model folder."
            ) from e
        if family == "whisper":
            if getattr(model, "_processor", None) is None:
                raise ModelError(
                    f"The Whisper model {model_id!r} has no tokenizer files (tokenizer.json / vocab.json and "
                    f"preprocessor_config.json) in {folder.path}. mlx-audio needs a conversion that ships them, "
                    "e.g. mlx-community/whisper-large-v3-turbo-asr-fp16."
                )
        if not mx.metal.is_available():  # CPU: float16/bfloat16 kernels are ~30x slower than float32
            model.set_dtype(mx.float32)
            if family == "whisper":
                model.dtype = mx.float32
        language = folder.config.get("hearth_language")
        return cls(model, family, model_id, language if isinstance(language, str) else None)

    @property
    def sample_rate(self) -> int:
        return SAMPLE_RATE

    def transcribe(self, pcm: np.ndarray, sample_rate: int, language: str | None = None) -> TranscriptResult:
        """``language`` (e.g. "en") skips Whisper's language detection; None uses the folder's or detects."""
        x = _to_16k(pcm, sample_rate)
        if len(x) < SAMPLE_RATE // 50:  # under 20 ms: nothing to hear
            return TranscriptResult("", language or self.language)
        try:
            if self.family == "whisper":
                return self._whisper(x, language or self.language)
            return self._parakeet(x)
        except ModelError:
            raise
        except Exception as e:
            raise ModelError(f"Speech-to-text failed on {len(x) / SAMPLE_RATE:.1f} s of audio: {e}") from e

    def _whisper(self, x: np.ndarray, language: str | None) -> TranscriptResult:
        import mlx.core as mx

        m = self._model
        follow = int(mx.random.randint(0, 2**31 - 1, ()).item())  # drawn from the sequence the chat model uses
        mx.random.seed(FALLBACK_SEED)  # the same audio gives the same words, even when the fallback samples
        try:
            out = m.generate(
                x,
                language=language,
                temperature=WHISPER_TEMPERATURES,
                return_timestamps=False,
                condition_on_previous_text=False,
                fp16=m.dtype == mx.float16,
                verbose=None,
            )
        finally:
            mx.random.seed(follow)  # the chat model's sampling goes on from its own sequence, not from a fixed seed
        return TranscriptResult(str(out.text).strip(), getattr(out, "language", None) or language)

    def _parakeet(self, x: np.ndarray) -> TranscriptResult:
        import mlx.core as mx

        dtype = mx.bfloat16 if mx.metal.is_available() else mx.float32
        out = self._model.generate(mx.array(x), dtype=dtype)
        return TranscriptResult(str(out.text).strip(), self.language or "en")

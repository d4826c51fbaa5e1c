"""Read and write WAV files as mono float32, with clear errors for missing, non-WAV or corrupt files."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import numpy as np

from audio.types import AudioFileError

_INT_SCALE = {np.dtype(np.int16): 32768.0, np.dtype(np.int32): 2147483648.0}


def _to_float(data: np.ndarray) -> np.ndarray:
    if data.dtype == np.uint8:
        return (data.astype(np.float32) - 128.0) / 128.0
    if data.dtype in _INT_SCALE:
        return (data.astype(np.float64) / _INT_SCALE[data.dtype]).astype(np.float32)
    if data.dtype.kind == "f":
        return data.astype(np.float32)
    raise ValueError(f"unsupported sample type {data.dtype}")


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Return (mono float32 samples in [-1, 1], sample rate). Multi-channel files are averaged to mono."""
    from scipy.io import wavfile

    p = Path(path)
    if not p.is_file():
        raise AudioFileError(f"Audio file not found: {p}. Check the path.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy warns about unknown chunks (LIST etc.); they are harmless
            rate, data = wavfile.read(str(p))
        pcm = _to_float(np.asarray(data))
    except (ValueError, EOFError, OSError, struct.error, MemoryError) as e:
        raise AudioFileError(
            f"{p} is not a readable WAV file ({e}). Use a PCM or float WAV, e.g. convert with "
            f"`sox input.ext -r 16000 -c 1 output.wav`."
        ) from None
    if pcm.ndim == 2:
        pcm = pcm.mean(axis=1, dtype=np.float32)
    if pcm.size == 0:
        raise AudioFileError(f"{p} contains no audio samples. Record or choose a non-empty WAV file.")
    return pcm, int(rate)


def write_wav(path: str | Path, pcm: np.ndarray, sample_rate: int) -> Path:
    """Write mono float32 samples as 16-bit PCM (clipped to [-1, 1])."""
    from scipy.io import wavfile

    p = Path(path)
    x = np.clip(np.asarray(pcm, dtype=np.float32), -1.0, 1.0)
    wavfile.write(str(p), int(sample_rate), (x * 32767.0).astype(np.int16))
    return p

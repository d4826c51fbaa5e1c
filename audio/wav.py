"""Read and write WAV files as mono float32, with clear errors for missing, non-WAV or corrupt files.

A damaged file that still holds usable audio is read with a note (logged as a warning, and returned by
``load_wav``): a data chunk cut short (a copy interrupted half-way) or samples that are not numbers (NaN / inf, which
are replaced by silence). A file that is mostly non-numbers is refused.
"""

from __future__ import annotations

import logging
import struct
import warnings
from dataclasses import dataclass, field
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


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WavData:
    pcm: np.ndarray = field(repr=False)  # mono float32, finite
    sample_rate: int
    notes: tuple[str, ...] = ()  # what was wrong with the file but could be read past


def _data_chunk_sizes(p: Path) -> tuple[int, int] | None:
    """(bytes the data chunk declares, bytes actually present), or None when there is no data chunk header."""
    try:
        return _scan_chunks(p)
    except (OSError, struct.error):
        return None


def _scan_chunks(p: Path) -> tuple[int, int] | None:
    size = p.stat().st_size
    with open(p, "rb") as f:
        if f.read(12)[8:12] != b"WAVE":
            return None
        pos = 12
        while pos + 8 <= size:
            f.seek(pos)
            cid, n = struct.unpack("<4sI", f.read(8))
            if cid == b"data":
                return n, size - pos - 8
            pos += 8 + n + (n & 1)
    return None


def _notes_and_clean(p: Path, pcm: np.ndarray) -> tuple[np.ndarray, list[str]]:
    notes = []
    sizes = _data_chunk_sizes(p)
    if sizes and sizes[1] < sizes[0]:
        notes.append(f"{p} is cut short: it holds {100 * sizes[1] / sizes[0]:.0f}% of the audio its header "
                     "announces (an interrupted copy?). Reading the part that is there.")
    bad = ~np.isfinite(pcm)
    if bad.any():
        share = float(bad.mean())
        if share > 0.5:
            raise AudioFileError(f"{p} is damaged: {100 * share:.0f}% of its samples are not numbers (NaN). "
                                 "Record or export it again.")
        pcm = np.where(bad, np.float32(0.0), pcm).astype(np.float32)
        notes.append(f"{p}: {int(bad.sum())} samples were not numbers (NaN/inf) and were replaced by silence.")
    return pcm, notes


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Return (mono float32 samples in [-1, 1], sample rate). Multi-channel files are averaged to mono; notes about
    a damaged but readable file are logged as warnings (see ``load_wav`` to get them as values)."""
    data = load_wav(path)
    for note in data.notes:
        log.warning(note)
    return data.pcm, data.sample_rate


def load_wav(path: str | Path) -> WavData:
    """The file's samples (mono float32), its rate and the notes about any damage that could be read past."""
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
        with np.errstate(invalid="ignore"):
            pcm = pcm.mean(axis=1, dtype=np.float32)
    if pcm.size == 0:
        raise AudioFileError(f"{p} contains no audio samples. Record or choose a non-empty WAV file.")
    pcm, notes = _notes_and_clean(p, pcm)
    return WavData(pcm, int(rate), tuple(notes))


def write_wav(path: str | Path, pcm: np.ndarray, sample_rate: int) -> Path:
    """Write mono float32 samples as 16-bit PCM (clipped to [-1, 1])."""
    from scipy.io import wavfile

    p = Path(path)
    x = np.clip(np.asarray(pcm, dtype=np.float32), -1.0, 1.0)
    wavfile.write(str(p), int(sample_rate), (x * 32767.0).astype(np.int16))
    return p

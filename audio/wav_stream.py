"""A WAV file written as the audio arrives, so that a crash keeps everything up to the last commit.

Samples go straight to the file (16-bit mono PCM, unbuffered); ``commit()`` rewrites the 44-byte header in one
``pwrite`` so that it covers every sample appended so far, then fsyncs. Between commits the header still describes the
previous commit, so a reader sees a complete, playable file of what was committed (later bytes lie past the data chunk
and are ignored). Memory stays bounded: nothing is kept once written. ``output_problem`` checks a path before any work.
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

import numpy as np

from audio.types import AudioFileError

_HEADER = 44


def _header(frames: int, sample_rate: int) -> bytes:
    data = frames * 2
    return (b"RIFF" + struct.pack("<I", 36 + data) + b"WAVE" + b"fmt "
            + struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, sample_rate * 2, 2, 16) + b"data" + struct.pack("<I", data))


def output_problem(path: str | Path) -> str | None:
    """Why a WAV cannot be written at ``path`` (checked before any synthesis), or None when it can."""
    p = Path(path).expanduser()
    if p.is_dir():
        return f"Cannot write {p}: it is a folder. Give a file name, e.g. {p / 'reply.wav'}."
    parent = p.parent
    if not parent.exists():
        return f"Cannot write {p}: the folder {parent} does not exist. Create it, or choose another path."
    if not parent.is_dir():
        return f"Cannot write {p}: {parent} is not a folder."
    if p.exists() and not os.access(p, os.W_OK):
        return f"Cannot write {p}: the file is read-only. Choose another path."
    try:
        with tempfile.TemporaryFile(dir=parent, prefix=".hearth-write-check-"):
            pass
    except OSError as exc:
        return f"Cannot write {p}: {exc.strerror or exc} in {parent}. Choose a folder you can write to."
    return None


class WavStream:
    """Append float32 mono samples to a 16-bit WAV file; ``commit()`` makes the file valid up to here."""

    def __init__(self, path: str | Path, sample_rate: int) -> None:
        self.path = Path(path).expanduser()
        self.sample_rate = int(sample_rate)
        self.frames = 0
        self._committed = -1
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(self._fd, _header(0, self.sample_rate))
        except OSError as exc:
            raise AudioFileError(f"Cannot write {self.path}: {exc.strerror or exc}.") from None

    @property
    def seconds(self) -> float:
        return self.frames / self.sample_rate

    def append(self, pcm: np.ndarray) -> None:
        x = np.clip(np.nan_to_num(np.asarray(pcm, dtype=np.float32)), -1.0, 1.0)
        data = (x * 32767.0).astype("<i2").tobytes()
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._fd, view):]
        except OSError as exc:
            raise AudioFileError(f"Writing {self.path} failed: {exc.strerror or exc}.") from None
        self.frames += len(x)

    def commit(self) -> None:
        """Header patched to cover every sample so far, then fsync: the file is now a complete WAV."""
        if self._fd < 0 or self._committed == self.frames:
            return
        try:
            os.pwrite(self._fd, _header(self.frames, self.sample_rate), 0)
            os.fsync(self._fd)
        except OSError as exc:
            raise AudioFileError(f"Writing {self.path} failed: {exc.strerror or exc}.") from None
        self._committed = self.frames

    def close(self) -> None:
        if self._fd < 0:
            return
        try:
            self.commit()
        finally:
            os.close(self._fd)
            self._fd = -1

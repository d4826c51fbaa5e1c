"""Audio sources behind one interface: fixed-size mono float32 blocks with stream timestamps.

``ArraySource`` (numpy, for tests) and ``WavFileSource`` live here; the microphone is ``audio.capture.MicrophoneSource``.
A source may be iterated once; ``close()`` releases it (safe to call twice).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Iterator, Protocol, runtime_checkable

import numpy as np

from audio.types import AudioBlock, AudioFormat
from audio.wav import load_wav

log = logging.getLogger(__name__)


@runtime_checkable
class AudioSource(Protocol):
    @property
    def format(self) -> AudioFormat: ...

    @property
    def block_size(self) -> int: ...

    def blocks(self) -> Iterator[AudioBlock]: ...

    def close(self) -> None: ...


class ArraySource:
    """Blocks from a numpy array; the last block is zero-padded. ``realtime=True`` paces blocks like a device."""

    def __init__(self, pcm: np.ndarray, sample_rate: int, block_ms: float = 20.0, realtime: bool = False) -> None:
        x = np.asarray(pcm, dtype=np.float32)
        if x.ndim != 1:
            raise ValueError("ArraySource expects mono (1-D) samples")
        self._pcm = x
        self._format = AudioFormat(int(sample_rate))
        self._block = max(1, int(round(sample_rate * block_ms / 1000.0)))
        self._realtime = realtime
        self._closed = False

    @property
    def format(self) -> AudioFormat:
        return self._format

    @property
    def block_size(self) -> int:
        return self._block

    def blocks(self) -> Iterator[AudioBlock]:
        sr, n = self._format.sample_rate, self._block
        t0 = time.monotonic()
        for start in range(0, len(self._pcm), n):
            if self._closed:
                return
            chunk = self._pcm[start : start + n]
            if len(chunk) < n:
                chunk = np.concatenate([chunk, np.zeros(n - len(chunk), dtype=np.float32)])
            if self._realtime:
                wait = t0 + start / sr - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            yield AudioBlock(chunk.copy(), sr, start / sr)

    def close(self) -> None:
        self._closed = True


class WavFileSource(ArraySource):
    """Blocks from a WAV file (any PCM/float WAV; stereo is mixed to mono). Bad files raise AudioFileError; a damaged
    file that can still be read (cut short, NaN samples) is read with ``notes`` (also logged as warnings)."""

    def __init__(self, path: str | Path, block_ms: float = 20.0, realtime: bool = False) -> None:
        data = load_wav(path)
        for note in data.notes:
            log.warning(note)
        super().__init__(data.pcm, data.sample_rate, block_ms, realtime)
        self.path = Path(path)
        self.notes = data.notes

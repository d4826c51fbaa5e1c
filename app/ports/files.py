"""Several WAV files as one audio source, with a second of silence between them (one turn per file).

Files may have different sample rates: each is resampled to the highest one among them (the hearing pipeline then
converts to its own rate, as it does for a microphone)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from audio.sources import ArraySource, WavFileSource
from audio.resample import resample
from audio.types import AudioBlock, AudioFormat


class ConcatSource:
    def __init__(self, sources: list[WavFileSource], gap_s: float = 1.2) -> None:
        if not sources:
            raise ValueError("ConcatSource needs at least one source")
        rate = max(s.format.sample_rate for s in sources)
        gap = np.zeros(int(gap_s * rate), np.float32)
        parts = []
        for s in sources:
            pcm = np.concatenate([b.pcm for b in s.blocks()])
            if s.format.sample_rate != rate:
                pcm = resample(pcm, s.format.sample_rate, rate)
            parts += [pcm.astype(np.float32), gap]
        self._inner = ArraySource(np.concatenate(parts), rate)

    @property
    def format(self) -> AudioFormat:
        return self._inner.format

    @property
    def block_size(self) -> int:
        return self._inner.block_size

    def blocks(self) -> Iterator[AudioBlock]:
        return self._inner.blocks()

    def close(self) -> None:
        self._inner.close()

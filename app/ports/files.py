"""Several WAV files as one audio source, with a second of silence between them (one turn per file)."""

from __future__ import annotations

from typing import Iterator

import numpy as np

from audio.sources import ArraySource, WavFileSource
from audio.types import AudioBlock, AudioFormat, UnsupportedSampleRate


class ConcatSource:
    def __init__(self, sources: list[WavFileSource], gap_s: float = 1.2) -> None:
        rates = {s.format.sample_rate for s in sources}
        if len(rates) != 1:
            raise UnsupportedSampleRate(f"All input files must share one sample rate (got {sorted(rates)} Hz).")
        rate = rates.pop()
        gap = np.zeros(int(gap_s * rate), np.float32)
        parts = []
        for s in sources:
            parts += [np.concatenate([b.pcm for b in s.blocks()]), gap]
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

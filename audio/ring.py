"""A preallocated single-producer / single-consumer ring buffer of float32 samples.

The producer is the PortAudio callback: ``write`` only copies into preallocated memory and bumps a counter (no
allocation, no locks, no Python objects created per sample). When the reader falls behind the *new* samples are
dropped and counted, so the reader's view stays consistent without the writer touching the read position.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int) -> None:
        if capacity <= 0:
            raise ValueError("capacity must be positive")
        self._buf = np.zeros(capacity, dtype=np.float32)
        self._cap = capacity
        self._written = 0  # total samples ever written (only the writer changes it)
        self._read = 0  # total samples ever read (only the reader changes it)
        self.dropped = 0  # samples lost to overflow

    @property
    def capacity(self) -> int:
        return self._cap

    @property
    def available(self) -> int:
        return self._written - self._read

    @property
    def total_written(self) -> int:
        return self._written

    def write(self, samples: np.ndarray) -> int:
        """Copy as many samples as fit; returns how many were written (the rest are counted in ``dropped``)."""
        n = min(len(samples), self._cap - (self._written - self._read))
        if n < len(samples):
            self.dropped += len(samples) - n
        if n <= 0:
            return 0
        start = self._written % self._cap
        first = min(n, self._cap - start)
        self._buf[start : start + first] = samples[:first]
        if n > first:
            self._buf[: n - first] = samples[first:n]
        self._written += n  # publish after the copy
        return n

    def read_into(self, out: np.ndarray) -> bool:
        """Fill ``out`` completely if enough samples are available; returns False (reading nothing) otherwise."""
        n = len(out)
        if self.available < n:
            return False
        start = self._read % self._cap
        first = min(n, self._cap - start)
        out[:first] = self._buf[start : start + first]
        if n > first:
            out[first:] = self._buf[: n - first]
        self._read += n
        return True

    def read(self, n: int) -> np.ndarray | None:
        out = np.empty(n, dtype=np.float32)
        return out if self.read_into(out) else None

    def clear(self) -> None:
        self._read = self._written

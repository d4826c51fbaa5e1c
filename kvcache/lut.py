"""Fast code <-> value tables: exact nearest-centroid encoding by a fine bin table, and decoding packed bytes
straight to codebook values with one gather (a byte holds 8/bits codes; 3-bit codes are read as 12-bit halves)."""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx
import numpy as np

_BINS = 4096
_RANGE = 8.0  # in units of the coordinate standard deviation 1/sqrt(dim)


@dataclass(frozen=True)
class CodeTables:
    bits: int
    lo: mx.array  # (_BINS,) uint8: code at each fine bin's left edge
    upper: mx.array  # (2**bits,) float32: boundary above each code (+inf for the last)
    offset: float
    inv_width: float
    decode: mx.array  # (2**group_bits, codes_per_entry) float32 codebook values

    def encode(self, y: mx.array) -> mx.array:
        """Nearest-centroid codes (uint8) of unit-scale coordinates y; exact (one boundary per fine bin at most)."""
        idx = mx.clip(((y + self.offset) * self.inv_width).astype(mx.int32), 0, _BINS - 1)
        lo = mx.take(self.lo, idx)
        return lo + (y > mx.take(self.upper, lo)).astype(mx.uint8)

    def values(self, packed: mx.array, dim: int) -> mx.array:
        """Packed uint8 (..., dim*bits/8) -> codebook values float32 (..., dim), without the per-vector scale."""
        lead = packed.shape[:-1]
        if self.bits == 5:  # low-nibble byte of a code pair + that pair's two high bits -> 10-bit index
            low = packed[..., : dim // 2].astype(mx.uint16)
            high = mx.right_shift(packed[..., dim // 2 :, None], mx.array([0, 2, 4, 6], dtype=mx.uint8))
            pairs = mx.bitwise_and(high, 3).reshape(*lead, dim // 2).astype(mx.uint16)
            idx = low | mx.left_shift(pairs, 8)
            return mx.take(self.decode, idx, axis=0).reshape(*lead, dim)
        if self.bits == 3:
            p = packed.reshape(*lead, dim // 8, 3).astype(mx.uint16)
            lo = p[..., 0] | mx.left_shift(mx.bitwise_and(p[..., 1], 0x0F), 8)
            hi = mx.right_shift(p[..., 1], 4) | mx.left_shift(p[..., 2], 4)
            idx = mx.stack([lo, hi], axis=-1)
        else:
            idx = packed
        return mx.take(self.decode, idx, axis=0).reshape(*lead, dim)


def _decode_table(centroids: np.ndarray, bits: int) -> np.ndarray:
    if bits == 5:  # index = byte of two low nibbles | two high bits << 8
        e = np.arange(1024)
        first = (e & 15) | (((e >> 8) & 1) << 4)
        second = ((e >> 4) & 15) | (((e >> 9) & 1) << 4)
        return centroids[np.stack([first, second], axis=1)].astype(np.float32)
    group = 12 if bits == 3 else 8
    per = group // bits
    entries = np.arange(2**group)
    codes = (entries[:, None] >> (bits * np.arange(per))[None]) & (2**bits - 1)
    return centroids[codes].astype(np.float32)


def make_tables(centroids: np.ndarray, bounds: np.ndarray, dim: int, bits: int) -> CodeTables:
    half = _RANGE / np.sqrt(dim)
    width = 2 * half / _BINS
    if np.min(np.diff(bounds), initial=np.inf) <= 2 * width:
        raise ValueError("codebook boundaries too close for the bin table")
    edges = -half + width * np.arange(_BINS) - 0.01 * width  # margin for rounding of the bin index
    lo = np.searchsorted(bounds, edges, side="right").astype(np.uint8)
    upper = np.concatenate([bounds, [np.inf]]).astype(np.float32)
    return CodeTables(bits, mx.array(lo), mx.array(upper), float(half), float(1 / width),
                      mx.array(_decode_table(centroids, bits)))

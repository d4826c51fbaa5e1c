"""Code <-> value conversion: exact nearest-level encoding by a fine bin table, and decoding packed bytes to level
values by arithmetic only (bit shifts, then the odd polynomial of codebook.poly_coefficients), compiled into one
fused elementwise kernel per width. The decoder writes "planes" (code k of every byte group) so that no input is
broadcast: MLX's compiled CPU loops are vectorised only then. Table gathers cost ~3 ns per element on CPU; the
plane decoder ~0.3-0.4 ns (attention.py multiplies by the planes without interleaving them)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import mlx.core as mx
import numpy as np

_BINS = 4096
_RANGE = 8.0  # in units of the coordinate standard deviation 1/sqrt(dim)


def _poly(codes: mx.array, bits: int, coef: tuple[float, ...]) -> mx.array:
    """The odd polynomial of the centred code, Estrin's scheme: a shallow graph, so the compiled decoder is one
    fused kernel (MLX splits deep elementwise graphs)."""
    u = codes.astype(mx.float32) - (2**bits - 1) / 2
    if len(coef) == 1:
        return u * coef[0]
    u2 = u * u
    inner = coef[0] + coef[1] * u2
    if len(coef) >= 3:
        high = coef[2] if len(coef) == 3 else coef[2] + coef[3] * u2
        inner = inner + (u2 * u2) * high
    return u * inner


_PER_THREAD = threading.local()  # a compiled function keeps the streams of the thread that traced it


def _decoder(bits: int, coef: tuple[float, ...]) -> Callable[..., list[mx.array]]:
    """This thread's compiled plane decoder for (bits, coef)."""
    made = getattr(_PER_THREAD, "decoders", None)
    if made is None:
        made = _PER_THREAD.decoders = {}
    key = (bits, coef)
    if key not in made:
        made[key] = _make_decoder(bits, coef)
    return made[key]


def codes_per_group(bits: int) -> int:
    """Codes sharing one group of packed bytes: a byte for 1, 2 and 4 bits, 8 codes for 3 and 5 bits."""
    return 8 // bits if bits in (1, 2, 4) else 8


def _make_decoder(bits: int, coef: tuple[float, ...]) -> Callable[..., list[mx.array]]:
    """Elementwise part of decoding, compiled for fixed shapes (contiguous loops; shapeless kernels are strided).
    Inputs are byte planes of shape (..., groups); returns ``codes_per_group`` planes: plane k holds the value of
    code ``g * codes_per_group + k`` of each group g. No broadcasting, so each is one fused loop."""
    mask = 2**bits - 1
    if bits in (1, 2, 4):

        def f(p):
            p = p.astype(mx.uint32)  # 32-bit lanes throughout: mixing uint8 and float32 lanes is not vectorised
            return [_poly((p >> (k * bits)) & mask, bits, coef) for k in range(8 // bits)]
    elif bits == 3:

        def f(b0, b1, b2):
            word = b0.astype(mx.uint32) | (b1.astype(mx.uint32) << 8) | (b2.astype(mx.uint32) << 16)
            return [_poly((word >> (3 * k)) & 7, bits, coef) for k in range(8)]
    else:  # 5 bits: 4-bit plane bytes lo0..lo3 (two codes each) and the 1-bit plane byte hi of each group of 8
        return _five_bit_decoder(coef)
    return mx.compile(f)


def _five_bit_decoder(coef: tuple[float, ...]) -> Callable[..., list[mx.array]]:
    """Codes first, then the polynomial, as two compiled functions: fused into one, MLX passes some of the shift
    constants as broadcast inputs, which makes the loop strided and ~2.5x slower."""

    def codes(lo0, lo1, lo2, lo3, hi):
        hi = hi.astype(mx.uint32) * (1 << 24)
        words = [lo0.astype(mx.uint32) + lo1.astype(mx.uint32) * 256 + hi,
                 lo2.astype(mx.uint32) + lo3.astype(mx.uint32) * 256 + hi]
        # code k: nibble k % 4 of its word, and bit 24 + k (bit k of hi) moved to bit 4
        return [(((words[k // 4] >> (4 * (k % 4))) & 15) | ((words[k // 4] >> (20 + k)) & 16)).astype(mx.float32)
                for k in range(8)]

    def levels(*planes):
        return [_poly(c, 5, coef) for c in planes]

    split, poly = mx.compile(codes), mx.compile(levels)
    return lambda *planes: poly(*split(*planes))


def byte_planes(packed: mx.array, bits: int, dim: int) -> list[mx.array]:
    """Strided views of the packed bytes (..., dim*bits/8) that the plane decoder reads (no copies)."""
    if bits in (1, 2, 4):
        return [packed]
    if bits == 3:
        return [packed[..., i::3] for i in range(3)]
    half = dim // 2
    return [packed[..., i:half:4] for i in range(4)] + [packed[..., half:]]


@dataclass(frozen=True)
class CodeTables:
    bits: int
    lo: mx.array  # (_BINS,) uint8: code at each fine bin's left edge
    upper: mx.array  # (2**bits,) float32: boundary above each code (+inf for the last)
    offset: float
    inv_width: float
    coef: tuple[float, ...]

    def encode(self, y: mx.array) -> mx.array:
        """Nearest-level codes (uint8) of unit-scale coordinates y; exact (one boundary per fine bin at most)."""
        idx = mx.clip(((y + self.offset) * self.inv_width).astype(mx.int32), 0, _BINS - 1)
        lo = mx.take(self.lo, idx)
        return lo + (y > mx.take(self.upper, lo)).astype(mx.uint8)

    def planes(self, packed: mx.array, dim: int) -> list[mx.array]:
        """Packed uint8 (..., dim*bits/8) -> codes_per_group(bits) float32 planes (..., dim / codes_per_group):
        plane k holds coordinates k, k + per, k + 2 per, ... (per = codes_per_group), before the per-vector scale."""
        return _decoder(self.bits, self.coef)(*byte_planes(packed, self.bits, dim))

    def values(self, packed: mx.array, dim: int) -> mx.array:
        """Packed uint8 (..., dim*bits/8) -> level values float32 (..., dim), without the per-vector scale."""
        return mx.stack(self.planes(packed, dim), axis=-1).reshape(*packed.shape[:-1], dim)


def level_values(bits: int, coef: tuple[float, ...]) -> np.ndarray:
    """The levels exactly as the decoder computes them (float32), in code order."""
    return np.array(_poly(mx.arange(2**bits), bits, coef))


def make_tables(coef: tuple[float, ...], dim: int, bits: int) -> tuple[CodeTables, np.ndarray]:
    """Encoding/decoding tables for the polynomial levels; also returns the levels (float32, code order)."""
    levels = level_values(bits, coef)
    bounds = 0.5 * (levels[1:].astype(np.float64) + levels[:-1])
    half = _RANGE / np.sqrt(dim)
    width = 2 * half / _BINS
    if np.min(np.diff(bounds), initial=np.inf) <= 2 * width:
        raise ValueError("codebook boundaries too close for the bin table")
    edges = -half + width * np.arange(_BINS) - 0.01 * width  # margin for rounding of the bin index
    lo = np.searchsorted(bounds, edges, side="right").astype(np.uint8)
    upper = np.concatenate([bounds, [np.inf]]).astype(np.float32)
    tables = CodeTables(bits, mx.array(lo), mx.array(upper), float(half), float(1 / width), coef)
    return tables, levels

"""Vector codec: norm + rotated unit vector quantized coordinate-wise with Lloyd-Max-like codebooks (levels on an
odd polynomial of the code index, so decoding is arithmetic; see codebook.poly_coefficients).

encode(x)  -> packed codes (uint8) and one float16 scale per vector.
Fractional widths (e.g. 4.75 bits): after the rotation every coordinate has the same distribution, so the first
``n_hi`` rotated coordinates use ceil(bits) and the rest floor(bits); the mean squared error is the weighted average.
The stored scale is the norm corrected so that scale * codebook values is the least-squares fit of the rotated vector
(costs nothing, removes the quantizer's norm shrinkage). Optional centring by a per-head mean vector.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import mlx.core as mx
import numpy as np

from .codebook import poly_coefficients
from .lut import CodeTables, codes_per_group, make_tables
from .packing import check_packable, pack, packed_width, unpack
from .rotation import Rotation, make_rotation

_EPS = 1e-12


@dataclass(frozen=True)
class CodecPart:
    """Rotated coordinates [start, end) quantized with one codebook of ``bits`` bits."""

    start: int
    end: int
    bits: int
    centroids: mx.array  # (2**bits,) float32, unit-vector scale
    tables: CodeTables

    @property
    def width(self) -> int:
        return packed_width(self.end - self.start, self.bits)


@dataclass(frozen=True)
class VectorCodec:
    dim: int
    bits: float
    rotation: Rotation
    parts: tuple[CodecPart, ...]
    fit_scale: bool = True

    @property
    def width(self) -> int:
        """Packed bytes per vector."""
        return sum(p.width for p in self.parts)

    def encode(self, x: mx.array, mean: mx.array | None = None) -> tuple[mx.array, mx.array]:
        """x (..., dim) -> (packed uint8 (..., width), scale float16 (...))."""
        x = x.astype(mx.float32)
        if mean is not None:
            x = x - mean
        norm = mx.linalg.norm(x, axis=-1, keepdims=True)
        y = self.rotation.forward(x / mx.maximum(norm, _EPS))
        codes = [p.tables.encode(y[..., p.start : p.end]) for p in self.parts]
        scale = norm
        if self.fit_scale:
            c = mx.concatenate([p.centroids[k] for p, k in zip(self.parts, codes)], axis=-1)
            scale = norm * mx.sum(y * c, axis=-1, keepdims=True) / mx.maximum(mx.sum(c * c, axis=-1, keepdims=True), _EPS)
        packed = [pack(k, p.bits) for p, k in zip(self.parts, codes)]
        return _join(packed), scale.squeeze(-1).astype(mx.float16)

    def _split(self, packed: mx.array) -> list[mx.array]:
        out, off = [], 0
        for p in self.parts:
            out.append(packed[..., off : off + p.width])
            off += p.width
        return out

    def codes(self, packed: mx.array) -> mx.array:
        return _join([unpack(a, p.bits, p.end - p.start) for p, a in zip(self.parts, self._split(packed))])

    def values(self, packed: mx.array) -> mx.array:
        """Codebook values of the codes (float32, rotated domain), before the per-vector scale."""
        return _join([p.tables.values(a, p.end - p.start) for p, a in zip(self.parts, self._split(packed))])

    def planes(self, packed: mx.array) -> list[mx.array]:
        """Codebook values of every part as decoded planes (lut.CodeTables.planes), laid end to end they hold the
        coordinates in ``plane_order()``: what attention multiplies by, without interleaving them."""
        out: list[mx.array] = []
        for p, a in zip(self.parts, self._split(packed)):
            out += p.tables.planes(a, p.end - p.start)
        return out

    def plane_order(self) -> np.ndarray:
        """int32 (dim,): the coordinate at each position of the planes laid end to end."""
        order = []
        for p in self.parts:
            per = codes_per_group(p.bits)
            groups = (p.end - p.start) // per
            order += [p.start + g * per + k for k in range(per) for g in range(groups)]
        return np.array(order, dtype=np.int32)

    def decode_rotated(self, packed: mx.array, scale: mx.array) -> mx.array:
        """Reconstruction in the rotated domain (float32), without the mean."""
        return self.values(packed) * scale[..., None].astype(mx.float32)

    def decode(self, packed: mx.array, scale: mx.array, mean: mx.array | None = None) -> mx.array:
        """Full reconstruction in the original domain (float32)."""
        x = self.rotation.inverse(self.decode_rotated(packed, scale))
        return x if mean is None else x + mean


def _join(arrays: list[mx.array]) -> mx.array:
    return arrays[0] if len(arrays) == 1 else mx.concatenate(arrays, axis=-1)


def split_bits(dim: int, bits: float) -> list[tuple[int, int]]:
    """[(coordinates, bits), ...]: ceil(bits) for a multiple of 8 coordinates, floor(bits) for the rest."""
    lo = math.floor(bits)
    n_hi = int(round(dim * (bits - lo) / 8)) * 8
    return [(n, b) for n, b in ((n_hi, lo + 1), (dim - n_hi, lo)) if n > 0]


def _part(dim: int, start: int, n: int, bits: int) -> CodecPart:
    check_packable(n, bits)
    tables, levels = make_tables(poly_coefficients(dim, bits), dim, bits)
    return CodecPart(start, start + n, bits, mx.array(levels), tables)


def make_codec(dim: int, bits: float, seed: int, fit_scale: bool = True, rotation: Rotation | None = None) -> VectorCodec:
    check_packable(dim, math.ceil(bits) if bits <= 5 else 6)
    rot = rotation if rotation is not None else make_rotation(dim, seed)
    if rot.dim != dim:
        raise ValueError(f"rotation is for dim {rot.dim}, codec for {dim}")
    parts, start = [], 0
    for n, b in split_bits(dim, bits):
        parts.append(_part(dim, start, n, b))
        start += n
    return VectorCodec(dim, bits, rot, tuple(parts), fit_scale)

"""Vector codec: norm + rotated unit vector quantized coordinate-wise with a shared Lloyd-Max codebook.

encode(x)  -> packed codes (uint8, dim*bits/8 per vector) and one float16 scale per vector.
The stored scale is the norm corrected so that scale * codebook[codes] is the least-squares fit of the rotated
vector (costs nothing, removes the norm shrinkage of the quantizer). Optional centring by a per-head mean vector.
"""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx

from .codebook import boundaries, codebook
from .lut import CodeTables, make_tables
from .packing import check_packable, pack, unpack
from .rotation import Rotation, make_rotation

_EPS = 1e-12


@dataclass(frozen=True)
class VectorCodec:
    dim: int
    bits: int
    rotation: Rotation
    centroids: mx.array  # (2**bits,) float32, unit-vector scale
    bounds: mx.array  # (2**bits - 1,) float32
    tables: CodeTables
    fit_scale: bool = True

    def encode(self, x: mx.array, mean: mx.array | None = None) -> tuple[mx.array, mx.array]:
        """x (..., dim) -> (packed uint8 (..., dim*bits/8), scale float16 (...))."""
        x = x.astype(mx.float32)
        if mean is not None:
            x = x - mean
        norm = mx.linalg.norm(x, axis=-1, keepdims=True)
        y = self.rotation.forward(x / mx.maximum(norm, _EPS))
        codes = self.tables.encode(y)
        scale = norm
        if self.fit_scale:
            c = self.centroids[codes]
            scale = norm * mx.sum(y * c, axis=-1, keepdims=True) / mx.maximum(mx.sum(c * c, axis=-1, keepdims=True), _EPS)
        return pack(codes, self.bits), scale.squeeze(-1).astype(mx.float16)

    def codes(self, packed: mx.array) -> mx.array:
        return unpack(packed, self.bits, self.dim)

    def values(self, packed: mx.array) -> mx.array:
        """Codebook values of the codes (float32, rotated domain), before the per-vector scale."""
        return self.tables.values(packed, self.dim)

    def decode_rotated(self, packed: mx.array, scale: mx.array) -> mx.array:
        """Reconstruction in the rotated domain (float32), without the mean."""
        return self.values(packed) * scale[..., None].astype(mx.float32)

    def decode(self, packed: mx.array, scale: mx.array, mean: mx.array | None = None) -> mx.array:
        """Full reconstruction in the original domain (float32)."""
        x = self.rotation.inverse(self.decode_rotated(packed, scale))
        return x if mean is None else x + mean


def make_codec(dim: int, bits: int, seed: int, fit_scale: bool = True, rotation: Rotation | None = None) -> VectorCodec:
    check_packable(dim, bits)
    c = codebook(dim, bits)
    b = boundaries(c)
    rot = rotation if rotation is not None else make_rotation(dim, seed)
    if rot.dim != dim:
        raise ValueError(f"rotation is for dim {rot.dim}, codec for {dim}")
    tables = make_tables(c, b, dim, bits)
    return VectorCodec(dim, bits, rot, mx.array(c.astype("float32")), mx.array(b.astype("float32")), tables, fit_scale)

"""A run of consecutive tokens whose keys and values are stored compressed."""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx

from .codec import VectorCodec


@dataclass(frozen=True)
class Segment:
    """Packed key/value codes (B, H, T, packed) uint8 and per-vector float16 scales (B, H, T)."""

    kp: mx.array
    ks: mx.array
    vp: mx.array
    vs: mx.array

    @property
    def length(self) -> int:
        return self.ks.shape[2]

    @property
    def nbytes(self) -> int:
        return self.kp.nbytes + self.ks.nbytes + self.vp.nbytes + self.vs.nbytes

    def arrays(self) -> tuple[mx.array, mx.array, mx.array, mx.array]:
        return self.kp, self.ks, self.vp, self.vs

    def slice(self, start: int, end: int) -> "Segment":
        return Segment(*(a[:, :, start:end] for a in self.arrays()))


def encode_segment(
    keys: mx.array, values: mx.array, kc: VectorCodec, vc: VectorCodec, k_mean: mx.array | None, v_mean: mx.array | None
) -> Segment:
    kp, ks = kc.encode(keys, k_mean)
    vp, vs = vc.encode(values, v_mean)
    return Segment(kp, ks, vp, vs)

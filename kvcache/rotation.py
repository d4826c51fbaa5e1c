"""Random orthogonal rotations along the last axis.

Power-of-two head_dim: randomized Hadamard, y = H (s * x) / sqrt(d) with random signs s (mx.hadamard_transform).
Any other head_dim: a stored random orthogonal matrix (QR of a Gaussian matrix, sign-fixed).
Both are exactly orthogonal, so the inverse is the transpose and norms are preserved.
"""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx
import numpy as np


def is_power_of_two(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


@dataclass(frozen=True)
class Rotation:
    """A seeded random orthogonal transform of vectors of length ``dim`` (last axis)."""

    dim: int
    kind: str  # "hadamard" or "dense"
    signs: mx.array | None
    matrix: mx.array | None

    def forward(self, x: mx.array) -> mx.array:
        if self.kind == "hadamard":
            return mx.hadamard_transform(x * self.signs.astype(x.dtype))
        return x @ self.matrix.T.astype(x.dtype)

    def inverse(self, y: mx.array) -> mx.array:
        if self.kind == "hadamard":
            return mx.hadamard_transform(y) * self.signs.astype(y.dtype)
        return y @ self.matrix.astype(y.dtype)

    def dense(self) -> np.ndarray:
        """The rotation as a (dim, dim) float64 matrix R with forward(x) = R @ x."""
        eye = mx.eye(self.dim, dtype=mx.float32)
        return np.array(self.forward(eye)).T.astype(np.float64)


def make_rotation(dim: int, seed: int) -> Rotation:
    """Randomized Hadamard for power-of-two ``dim`` (up to 8192), a stored orthogonal matrix otherwise."""
    if dim < 3:
        raise ValueError(f"head_dim must be >= 3, got {dim}")
    rng = np.random.default_rng(seed)
    if is_power_of_two(dim) and dim <= 8192:
        signs = rng.choice(np.array([-1.0, 1.0], dtype=np.float32), size=dim)
        return Rotation(dim, "hadamard", mx.array(signs), None)
    g = rng.standard_normal((dim, dim))
    q, r = np.linalg.qr(g)
    q = q * np.sign(np.diag(r))[None, :]
    return Rotation(dim, "dense", None, mx.array(q.astype(np.float32)))

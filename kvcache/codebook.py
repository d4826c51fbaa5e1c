"""Lloyd-Max codebooks for the coordinates of a randomly rotated unit vector.

After a random orthogonal rotation, each coordinate of a unit vector in R^d follows the marginal of the uniform
distribution on the sphere: density proportional to (1 - x^2)^((d - 3) / 2) on [-1, 1] (close to N(0, 1/d)).
The codebook is the scalar quantizer minimising mean squared error for that density, computed numerically by
Lloyd's algorithm on a fine grid (cell integrals from cumulative sums, so each iteration is O(grid)).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

SUPPORTED_BITS = (1, 2, 3, 4, 5)
_GRID = 40001
_MAX_ITERS = 3000
_TOL = 1e-13


def sphere_marginal_pdf(x: np.ndarray, dim: int) -> np.ndarray:
    """Density of one coordinate of a uniform random unit vector in R^dim (unnormalised on the grid)."""
    if dim < 3:
        raise ValueError(f"head_dim must be >= 3 for the sphere marginal, got {dim}")
    inside = np.clip(1.0 - x * x, 1e-300, None)
    logp = 0.5 * (dim - 3) * np.log(inside)
    return np.exp(logp - logp.max())


def _grid(dim: int) -> tuple[np.ndarray, np.ndarray]:
    """Grid over the support where the mass is (14 standard deviations), and normalised weights."""
    half = min(1.0, 14.0 / np.sqrt(dim))
    x = np.linspace(-half, half, _GRID)
    w = sphere_marginal_pdf(x, dim)
    return x, w / w.sum()


def _cell_means(x: np.ndarray, cw: np.ndarray, cxw: np.ndarray, bounds: np.ndarray, old: np.ndarray) -> np.ndarray:
    idx = np.searchsorted(x, bounds)
    idx = np.concatenate([[0], idx, [len(x)]])
    mass = cw[idx[1:]] - cw[idx[:-1]]
    first = cxw[idx[1:]] - cxw[idx[:-1]]
    return np.where(mass > 0, first / np.maximum(mass, 1e-300), old)


def lloyd_max(x: np.ndarray, w: np.ndarray, levels: int) -> np.ndarray:
    """Lloyd's algorithm for a discrete density w on sorted grid x; returns sorted centroids."""
    cw = np.concatenate([[0.0], np.cumsum(w)])
    cxw = np.concatenate([[0.0], np.cumsum(w * x)])
    # start from quantiles of the density
    cdf = np.cumsum(w)
    c = np.interp((np.arange(levels) + 0.5) / levels, cdf, x)
    for _ in range(_MAX_ITERS):
        bounds = 0.5 * (c[1:] + c[:-1])
        new = _cell_means(x, cw, cxw, bounds, c)
        if np.max(np.abs(new - c)) < _TOL * max(1.0, np.abs(c).max()):
            c = new
            break
        c = new
    return np.sort(c)


def quantizer_mse(x: np.ndarray, w: np.ndarray, centroids: np.ndarray) -> float:
    """Expected squared error of nearest-centroid quantization under the grid density."""
    c = np.sort(centroids)
    bounds = 0.5 * (c[1:] + c[:-1])
    q = c[np.searchsorted(bounds, x)]
    return float(np.sum(w * (x - q) ** 2))


@lru_cache(maxsize=64)
def _codebook_cached(dim: int, bits: int) -> tuple[float, ...]:
    x, w = _grid(dim)
    c = lloyd_max(x, w, 2**bits)
    c = 0.5 * (c - c[::-1])  # the density is symmetric: enforce exact symmetry
    return tuple(float(v) for v in c)


def codebook(dim: int, bits: int) -> np.ndarray:
    """Sorted Lloyd-Max centroids (float64, unit-vector scale) for one rotated coordinate at this head_dim."""
    if bits not in SUPPORTED_BITS:
        raise ValueError(f"unsupported bit width {bits}: use one of {SUPPORTED_BITS}")
    return np.array(_codebook_cached(int(dim), int(bits)))


def boundaries(centroids: np.ndarray) -> np.ndarray:
    """Decision thresholds between consecutive centroids."""
    c = np.sort(np.asarray(centroids))
    return 0.5 * (c[1:] + c[:-1])


def theoretical_mse(dim: int, bits: int) -> float:
    """Expected squared error per unit vector (sum over dim coordinates) of the Lloyd-Max codebook."""
    x, w = _grid(dim)
    return dim * quantizer_mse(x, w, codebook(dim, bits))


POLY_TERMS = 4  # odd polynomial of degree 7 in the centred code index


@lru_cache(maxsize=64)
def _poly_cached(dim: int, bits: int) -> tuple[float, ...]:
    x, w = _grid(dim)
    levels = 2**bits
    u = np.arange(levels) - (levels - 1) / 2
    basis = np.stack([u ** (2 * k + 1) for k in range(min(POLY_TERMS, levels // 2))], axis=1)
    coef = np.linalg.lstsq(basis, codebook(dim, bits), rcond=None)[0]
    for _ in range(200):  # Lloyd's algorithm restricted to levels on the polynomial
        c = basis @ coef
        cell = np.searchsorted(0.5 * (c[1:] + c[:-1]), x)
        mass = np.bincount(cell, w, levels)
        means = np.where(mass > 0, np.bincount(cell, w * x, levels) / np.maximum(mass, 1e-300), c)
        root = np.sqrt(mass)[:, None]
        coef = np.linalg.lstsq(basis * root, means * root[:, 0], rcond=None)[0]
    return tuple(float(a) for a in coef)


def poly_coefficients(dim: int, bits: int) -> tuple[float, ...]:
    """Coefficients a_k of the decoder's levels c(u) = sum_k a_k u^(2k+1), u = code - (2^bits - 1) / 2.

    The levels are Lloyd-Max levels constrained to an odd degree-7 polynomial of the code index, so decoding is
    arithmetic (no table gather, which is slow on CPU). Their distortion is within 0.5 % of the unconstrained
    Lloyd-Max codebook for 2 to 5 bits at head_dim 64 to 256."""
    if bits not in SUPPORTED_BITS:
        raise ValueError(f"unsupported bit width {bits}: use one of {SUPPORTED_BITS}")
    return _poly_cached(int(dim), int(bits))

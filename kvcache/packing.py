"""Bit packing of b-bit codes (b in 1..5) along the last axis: every 8 codes become b bytes (uint8).

5-bit codes are stored as a 4-bit plane followed by a 1-bit plane (same size, simpler shifts)."""

from __future__ import annotations

import mlx.core as mx

PACK_BITS = (1, 2, 3, 4, 5)


def packed_width(dim: int, bits: int) -> int:
    """Bytes used by ``dim`` codes of ``bits`` bits."""
    check_packable(dim, bits)
    return dim // 8 * bits


def check_packable(dim: int, bits: int) -> None:
    if bits not in PACK_BITS:
        raise ValueError(f"unsupported bit width {bits}: use one of {PACK_BITS}")
    if dim % 8:
        raise ValueError(f"head_dim {dim} is not a multiple of 8; compressed KV cache needs that")


def _shifts(n: int, step: int) -> mx.array:
    return mx.arange(n, dtype=mx.uint32) * step


def pack(codes: mx.array, bits: int) -> mx.array:
    """codes: integer array (..., d) with values < 2**bits -> uint8 (..., d * bits / 8)."""
    d = codes.shape[-1]
    check_packable(d, bits)
    lead = codes.shape[:-1]
    if bits == 5:
        c = codes.astype(mx.uint8)
        return mx.concatenate([pack(mx.bitwise_and(c, 15), 4), pack(mx.right_shift(c, 4), 1)], axis=-1)
    if bits in (1, 2, 4):  # byte-aligned: 8 / bits codes per byte
        per = 8 // bits
        c = codes.astype(mx.uint8).reshape(*lead, d // per, per)
        return mx.sum(mx.left_shift(c, (mx.arange(per) * bits).astype(mx.uint8)), axis=-1).astype(mx.uint8)
    c = codes.astype(mx.uint32).reshape(*lead, d // 8, 8)
    word = mx.sum(mx.left_shift(c, _shifts(8, bits)), axis=-1, keepdims=True)  # disjoint bits: sum == or
    parts = mx.bitwise_and(mx.right_shift(word, _shifts(bits, 8)), 0xFF)
    return parts.astype(mx.uint8).reshape(*lead, d // 8 * bits)


def unpack(packed: mx.array, bits: int, dim: int) -> mx.array:
    """Inverse of ``pack``: uint8 (..., dim * bits / 8) -> uint8 codes (..., dim)."""
    check_packable(dim, bits)
    if packed.shape[-1] != dim // 8 * bits:
        raise ValueError(f"packed width {packed.shape[-1]} does not match dim {dim} at {bits} bits")
    lead = packed.shape[:-1]
    if bits == 5:
        low, high = unpack(packed[..., : dim // 2], 4, dim), unpack(packed[..., dim // 2 :], 1, dim)
        return low | mx.left_shift(high, 4)
    p = packed.astype(mx.uint32).reshape(*lead, dim // 8, bits)
    word = mx.sum(mx.left_shift(p, _shifts(bits, 8)), axis=-1, keepdims=True)
    codes = mx.bitwise_and(mx.right_shift(word, _shifts(8, bits)), (1 << bits) - 1)
    return codes.astype(mx.uint8).reshape(*lead, dim)

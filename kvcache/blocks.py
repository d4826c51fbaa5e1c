"""The compressed tokens of one layer: fixed-size blocks of packed codes and scales, filled in place.

Each block holds ``block`` tokens (B, H, block, width) uint8 codes and (B, H, block) float16 scales for keys and
values; every block is full except the last. New tokens are written into the free part of the last block (MLX
updates a buffer in place when nothing else holds it), so appending never re-copies what is stored, and attention
reads each block as one tile without slicing or concatenating. A partly filled block is read rounded up to a
multiple of ``ROUND`` tokens, which keeps the number of distinct tile shapes (compiled decoders trace per shape)
small; the tokens beyond the filled count are never attended (attention drops their scores).
"""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx

from .segment import Segment

ROUND = 256  # tokens: a partly filled block is read in multiples of this


@dataclass(frozen=True)
class Tile:
    """Tokens [start, start + valid) of the compressed region, read as the first ``read`` tokens of a block."""

    start: int
    valid: int
    codes: Segment  # arrays of ``read`` tokens (read >= valid; the extra tokens are stale or zero)

    @property
    def read(self) -> int:
        return self.codes.length


def _empty_block(batch: int, heads: int, tokens: int, k_width: int, v_width: int) -> Segment:
    codes = lambda w: mx.zeros((batch, heads, tokens, w), dtype=mx.uint8)  # noqa: E731
    scales = lambda: mx.zeros((batch, heads, tokens), dtype=mx.float16)  # noqa: E731
    return Segment(codes(k_width), scales(), codes(v_width), scales())


class CodeBlocks:
    """Blocks of compressed tokens (see module doc); ``length`` tokens are stored."""

    def __init__(self, block: int):
        self.block = block
        self.blocks: list[Segment] = []
        self.length = 0

    def append(self, seg: Segment) -> None:
        """Store the tokens of ``seg`` after the ones already stored."""
        done = 0
        while done < seg.length:
            at = self.length % self.block
            if at == 0 and self.length == len(self.blocks) * self.block:
                B, H, _, kw = seg.kp.shape
                self.blocks.append(_empty_block(B, H, self.block, kw, seg.vp.shape[3]))
            n = min(seg.length - done, self.block - at)
            target = self.blocks[self.length // self.block]
            for dst, src in zip(target.arrays(), seg.arrays()):
                dst[:, :, at : at + n] = src[:, :, done : done + n]
            done += n
            self.length += n

    def trim_to(self, n: int) -> None:
        """Keep the first ``n`` tokens (blocks beyond them are released)."""
        self.length = max(0, min(n, self.length))
        del self.blocks[-(-self.length // self.block) :]

    def tiles(self) -> list[Tile]:
        out = []
        for i, blk in enumerate(self.blocks):
            valid = min(self.block, self.length - i * self.block)
            if valid <= 0:
                break
            read = self.block if valid == self.block else min(self.block, -(-valid // ROUND) * ROUND)
            codes = blk if read == self.block else Segment(*(a[:, :, :read] for a in blk.arrays()))
            out.append(Tile(i * self.block, valid, codes))
        return out

    @property
    def segments(self) -> list[Segment]:
        """The stored tokens as one segment per block (views, no copies)."""
        return [t.codes if t.read == t.valid else t.codes.slice(0, t.valid) for t in self.tiles()]

    @property
    def nbytes(self) -> int:
        """Bytes of the stored tokens (the unfilled rest of the last block is ``reserved_bytes``)."""
        return sum(s.nbytes for s in self.segments)

    @property
    def reserved_bytes(self) -> int:
        return sum(b.nbytes for b in self.blocks)

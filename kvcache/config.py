"""Typed settings of the compressed KV cache."""

from __future__ import annotations

from dataclasses import dataclass

from .codebook import SUPPORTED_BITS


class KVCacheError(ValueError):
    """A user-facing error of the compressed KV cache (what happened and how to fix it)."""


@dataclass(frozen=True)
class KVQuantConfig:
    """How full-attention KV caches are compressed.

    key_bits / value_bits: Lloyd-Max code width per rotated coordinate, 2 to 5 in steps of 1/8 (fractional widths
        give ceil(bits) to a share of the rotated coordinates and floor(bits) to the rest).
        Default K4.75/V3: on real Q/K/V the softmax KL tracks the key MSE, so keys get the bits (see notes).
    sink_tokens: the first tokens kept uncompressed (16-bit: the input dtype, or bfloat16 for float32 input).
    window: the newest tokens kept uncompressed (16-bit) after each attention call. Whatever the window, the tokens
        of one update are read uncompressed by the attention call that follows it and compressed right after.
    flush_tokens: decode tokens gather uncompressed until this many are beyond the window, then are quantized
        together.
    center_keys: subtract a per-head mean key (softmax is invariant to it, so it is never added back).
    center_values: subtract a per-head mean value (added back once after attention).
    query_aware: scale key channels by (E[q^2] / E[k^2])^(1/8) before the rotation (queries divided by the same
        weights, so q.k is unchanged): quantization error moves away from the channels the queries read. The weights
        are fixed at the first compression from the queries seen so far. Off by default: it moved no real-model
        perplexity (Gemma 3 270M: +0.36 % with, +0.05 % without; a 135M llama: +4.6 % with, +4.2 % without).
    tile: tokens per block of compressed tokens, the attention tile (2048: decoded planes of one tile stay in cache).
    """

    key_bits: float = 4.75
    value_bits: float = 3
    sink_tokens: int = 4
    window: int = 64
    flush_tokens: int = 64
    center_keys: bool = True
    center_values: bool = False
    query_aware: bool = False
    fit_scale: bool = True
    tile: int = 2048
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("key_bits", "value_bits"):
            b = getattr(self, name)
            if not isinstance(b, (int, float)) or not 2 <= b <= max(SUPPORTED_BITS) or (b * 8) % 1:
                raise KVCacheError(f"{name}={b} is not supported: use 2 to 5 bits in steps of 0.125 (e.g. 3, 4, 4.75)")
        for name in ("sink_tokens", "window"):
            if getattr(self, name) < 0:
                raise KVCacheError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.flush_tokens < 1 or self.tile < 64:
            raise KVCacheError("flush_tokens must be >= 1 and tile >= 64")

    @property
    def label(self) -> str:
        extra = f"+s{self.sink_tokens}" if self.sink_tokens else ""
        extra += f"+w{self.window}" if self.window else ""
        return f"K{self.key_bits:g}V{self.value_bits:g}{extra}"

    def to_meta(self) -> dict[str, str]:
        return {k: str(v) for k, v in self.__dict__.items()}

    @classmethod
    def from_meta(cls, meta: dict[str, str]) -> "KVQuantConfig":
        kwargs = {}
        for name, field in cls.__dataclass_fields__.items():
            if name in meta:
                kwargs[name] = _parse(meta[name], field.type)
        return cls(**kwargs)


def _parse(text: str, kind: str):
    if kind == "bool":
        return text == "True"
    return float(text) if kind == "float" else int(text)

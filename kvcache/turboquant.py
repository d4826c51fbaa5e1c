"""CompressedKVCache: a TurboQuant-style KV cache speaking mlx-lm 0.32's cache protocol.

Token order inside one layer's cache: sinks (first ``sink_tokens``, input dtype) ++ compressed segments ++ recent
(newest tokens, input dtype, at most ``window + flush_tokens``). Incoming chunks are compressed as they arrive, so the
full-precision cache is never held. ``update_and_fetch`` returns lightweight views; attention must go through
``kvcache.attention.compressed_attention`` (kvcache.patch routes mlx-lm / mlx-vlm models there).
"""

from __future__ import annotations

import mlx.core as mx

from .codec import VectorCodec, make_codec
from .config import KVCacheError, KVQuantConfig
from .blocks import CodeBlocks
from .segment import Segment, encode_segment

_FLOATS = (mx.float32, mx.float16, mx.bfloat16)


def plain_dtype(dtype):
    """Sinks and recent tokens are kept in 16 bits: the input dtype if it is 16-bit, else bfloat16 (the rounding is
    far below the codes' error; a float32 model would otherwise pay 32 bits per element for its window)."""
    return dtype if dtype in (mx.float16, mx.bfloat16) else mx.bfloat16


class CompressedView:
    """Stands in for the keys or values array returned by update_and_fetch (shape / dtype only)."""

    def __init__(self, cache: "CompressedKVCache", which: str, dim: int):
        self.cache, self.which = cache, which
        self.shape = (cache.batch, cache.n_kv_heads, cache.offset, dim)
        self.dtype = cache.dtype


def _cat(a: mx.array | None, b: mx.array) -> mx.array:
    return b if a is None else mx.concatenate([a, b], axis=2)


def _len(a: mx.array | None) -> int:
    return 0 if a is None else a.shape[2]


def _key_weights(q_sq: mx.array, k_centred: mx.array) -> mx.array:
    """Per-channel key weights (B, H, 1, d) = (E[q^2] / E[k^2])^(1/8), geometric mean 1, clipped to [1/8, 8]."""
    k_sq = mx.mean(k_centred * k_centred, axis=2, keepdims=True)
    q_sq = q_sq + 1e-6 * mx.mean(q_sq, axis=-1, keepdims=True) + 1e-30
    k_sq = k_sq + 1e-6 * mx.mean(k_sq, axis=-1, keepdims=True) + 1e-30
    log_w = 0.125 * (mx.log(q_sq) - mx.log(k_sq))
    return mx.clip(mx.exp(log_w - mx.mean(log_w, axis=-1, keepdims=True)), 1 / 8, 8)


class CompressedKVCache:
    """One full-attention layer's compressed cache (see module doc)."""

    def __init__(self, config: KVQuantConfig | None = None):
        self.config = config or KVQuantConfig()
        self.offset = 0
        self.sink_k = self.sink_v = self.recent_k = self.recent_v = None
        self.k_mean = self.v_mean = self.k_weight = None
        self._q_sq, self._q_count = None, 0
        self.blocks = CodeBlocks(self.config.tile)
        self.k_codec: VectorCodec | None = None
        self.v_codec: VectorCodec | None = None
        self.dtype = None
        self.batch = self.n_kv_heads = 0

    # ---- protocol -------------------------------------------------------------------------------------------
    def update_and_fetch(self, keys: mx.array, values: mx.array):
        """Adds the tokens uncompressed: the attention call that follows reads them exactly, then compresses them
        (``settle``). Tokens an earlier update left (no attention call followed it) are compressed first."""
        self._check_input(keys, values)
        self._flush()
        store = plain_dtype(keys.dtype)
        keys, values = keys.astype(store), values.astype(store)
        take = 0 if self.blocks.length or self.recent_k is not None else min(keys.shape[2], self.config.sink_tokens - _len(self.sink_k))
        if take > 0:
            self.sink_k = _cat(self.sink_k, keys[:, :, :take])
            self.sink_v = _cat(self.sink_v, values[:, :, :take])
        if take < keys.shape[2]:
            self.recent_k = _cat(self.recent_k, keys[:, :, take:])
            self.recent_v = _cat(self.recent_v, values[:, :, take:])
        self.offset += keys.shape[2]
        return CompressedView(self, "keys", self.k_codec.dim), CompressedView(self, "values", self.v_codec.dim)

    def size(self) -> int:
        return self.offset

    def empty(self) -> bool:
        return self.offset == 0

    def is_trimmable(self) -> bool:
        return True

    def make_mask(self, N: int, return_array: bool = False, window_size: int | None = None):
        if window_size is None and N == 1:
            return None
        if window_size is None and not return_array:
            return "causal"
        rows = mx.arange(self.offset, self.offset + N)[:, None]
        cols = mx.arange(self.offset + N)[None]
        mask = rows >= cols
        return mask & (rows < cols + window_size) if window_size is not None else mask

    @property
    def nbytes(self) -> int:
        """Bytes of what the cache holds (compressed tokens as stored)."""
        return self._plain_nbytes() + self.blocks.nbytes

    @property
    def reserved_nbytes(self) -> int:
        """Bytes the cache has allocated: ``nbytes`` plus the unfilled rest of the last block of codes."""
        return self._plain_nbytes() + self.blocks.reserved_bytes

    def _plain_nbytes(self) -> int:
        arrays = [self.sink_k, self.sink_v, self.recent_k, self.recent_v, self.k_mean, self.v_mean, self.k_weight]
        return sum(a.nbytes for a in arrays if a is not None)

    @property
    def segments(self) -> list[Segment]:
        """The compressed tokens, one segment per block (views)."""
        return self.blocks.segments

    def trim(self, n: int) -> int:
        n = max(0, min(int(n), self.offset))
        left = self._trim_recent(n)
        coded = min(left, self.blocks.length)
        self.blocks.trim_to(self.blocks.length - coded)
        left -= coded
        if left:
            keep = _len(self.sink_k) - left
            self.sink_k, self.sink_v = self.sink_k[:, :, :keep], self.sink_v[:, :, :keep]
        self.offset -= n
        return n

    # ---- state ----------------------------------------------------------------------------------------------
    @property
    def state(self) -> dict[str, mx.array]:
        named = dict(sink_k=self.sink_k, sink_v=self.sink_v, recent_k=self.recent_k, recent_v=self.recent_v,
                     k_mean=self.k_mean, v_mean=self.v_mean, k_weight=self.k_weight)
        out = {k: v for k, v in named.items() if v is not None}
        for i, seg in enumerate(self.segments):
            for name, a in zip(("kp", "ks", "vp", "vs"), seg.arrays()):
                out[f"seg{i:06d}_{name}"] = a
        return out

    @state.setter
    def state(self, arrays: dict[str, mx.array]) -> None:
        from .state import apply_state

        apply_state(self, arrays)

    @property
    def meta_state(self) -> tuple[str, ...]:
        from .state import meta_of

        return meta_of(self)

    @meta_state.setter
    def meta_state(self, meta: tuple[str, ...]) -> None:
        from .state import apply_meta

        apply_meta(self, meta)

    # ---- internals ------------------------------------------------------------------------------------------
    def _check_input(self, keys: mx.array, values: mx.array) -> None:
        if keys.ndim != 4 or values.ndim != 4 or keys.shape[:3] != values.shape[:3]:
            raise KVCacheError(f"keys/values must be [batch, kv_heads, tokens, head_dim]; got {keys.shape} and {values.shape}")
        if keys.dtype not in _FLOATS or values.dtype not in _FLOATS:
            raise KVCacheError(f"compressed KV cache needs float keys/values, got {keys.dtype}/{values.dtype}")
        if self.k_codec is None:
            self.setup(keys.shape[0], keys.shape[1], keys.shape[3], values.shape[3], keys.dtype)
        elif keys.shape[:2] != (self.batch, self.n_kv_heads) or keys.shape[3] != self.k_codec.dim or values.shape[3] != self.v_codec.dim:
            raise KVCacheError(f"keys shape {keys.shape} does not match this cache ({self.batch}, {self.n_kv_heads}, *, {self.k_codec.dim})")

    def setup(self, batch: int, heads: int, k_dim: int, v_dim: int, dtype) -> None:
        cfg = self.config
        try:
            self.k_codec = make_codec(k_dim, cfg.key_bits, cfg.seed, cfg.fit_scale)
            self.v_codec = make_codec(v_dim, cfg.value_bits, cfg.seed + 1, cfg.fit_scale)
        except ValueError as e:
            raise KVCacheError(f"cannot compress this layer: {e}") from e
        self.batch, self.n_kv_heads, self.dtype = batch, heads, dtype

    def _trim_recent(self, n: int) -> int:
        r = min(n, _len(self.recent_k))
        if r:
            keep = _len(self.recent_k) - r
            self.recent_k, self.recent_v = self.recent_k[:, :, :keep], self.recent_v[:, :, :keep]
            if keep == 0:
                self.recent_k = self.recent_v = None
        return n - r

    def observe_queries(self, queries: mx.array) -> None:
        """What an attention call does to the cache without computing attention (tests, benchmarks):
        ``note_queries`` then ``settle``."""
        self.note_queries(queries)
        self.settle()

    def settle(self) -> None:
        """Called by attention after it has read the cache: compresses the tokens beyond the window."""
        self._flush()

    def note_queries(self, queries: mx.array) -> None:
        """Called by attention before it reads the cache: gathers query statistics until the key weights are fixed
        (only with ``query_aware``)."""
        if self.k_mean is not None or not self.config.query_aware:
            return
        B, Hq, L, d = queries.shape
        q = queries.astype(mx.float32).reshape(B, self.n_kv_heads, -1, d)
        sq = mx.sum(q * q, axis=2, keepdims=True)
        self._q_sq = sq if self._q_sq is None else self._q_sq + sq
        self._q_count += q.shape[2]

    def _flush(self) -> None:
        n = _len(self.recent_k) - self.config.window
        if n < self.config.flush_tokens:
            return
        k, v = self.recent_k[:, :, :n], self.recent_v[:, :, :n]
        if self.k_mean is None:
            if self.config.query_aware and not self._q_count:
                return  # wait for the first attention call's queries
            self._init_means(k, v)
        kw = 1.0 if self.k_weight is None else self.k_weight
        k_mean = self.k_mean * kw
        for start in range(0, n, self.config.tile):
            end = min(n, start + self.config.tile)
            seg = encode_segment(k[:, :, start:end] * kw, v[:, :, start:end], self.k_codec, self.v_codec, k_mean, self.v_mean)
            self.blocks.append(seg)
        rest = _len(self.recent_k) - n
        self.recent_k = mx.contiguous(self.recent_k[:, :, n:]) if rest else None
        self.recent_v = mx.contiguous(self.recent_v[:, :, n:]) if rest else None

    def _init_means(self, k: mx.array, v: mx.array) -> None:
        cfg = self.config
        self.k_mean = mx.mean(k.astype(mx.float32), axis=2, keepdims=True) if cfg.center_keys else mx.zeros((1, 1, 1, k.shape[3]))
        self.v_mean = mx.mean(v.astype(mx.float32), axis=2, keepdims=True) if cfg.center_values else mx.zeros((1, 1, 1, v.shape[3]))
        if cfg.query_aware and self._q_count:
            self.k_weight = _key_weights(self._q_sq / self._q_count, k.astype(mx.float32) - self.k_mean)
            self._q_sq, self._q_count = None, 0

    def append_segment(self, seg: Segment) -> None:
        """Append already-compressed tokens (e.g. from another cache with the same config); newest-token buffer
        must be empty so token order is kept."""
        if self.recent_k is not None or self.k_codec is None or self.k_mean is None:
            raise KVCacheError("append_segment needs a started cache with no uncompressed recent tokens")
        if seg.kp.shape[:2] != (self.batch, self.n_kv_heads) or seg.kp.shape[3] != self.k_codec.width or seg.vp.shape[3] != self.v_codec.width:
            raise KVCacheError("segment shape does not match this cache")
        self.blocks.append(seg)
        self.offset += seg.length

    def dequantize(self) -> tuple[mx.array, mx.array]:
        """The whole cache in float32 (tests and debugging only: this is the unbounded-memory path)."""
        ks, vs = [], []
        for part_k, part_v in ((self.sink_k, self.sink_v),):
            if part_k is not None:
                ks.append(part_k.astype(mx.float32)), vs.append(part_v.astype(mx.float32))
        kw = 1.0 if self.k_weight is None else self.k_weight
        for seg in self.segments:
            ks.append(self.k_codec.decode(seg.kp, seg.ks) / kw + self.k_mean)
            vs.append(self.v_codec.decode(seg.vp, seg.vs, self.v_mean))
        if self.recent_k is not None:
            ks.append(self.recent_k.astype(mx.float32)), vs.append(self.recent_v.astype(mx.float32))
        return mx.concatenate(ks, axis=2), mx.concatenate(vs, axis=2)

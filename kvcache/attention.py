"""Attention over a CompressedKVCache without materialising the full-precision cache.

The query is rotated once; scores against a compressed tile are (rotated query) . (codebook values of the codes)
times the per-vector scale; tiles are combined with an online softmax; values of compressed tiles are accumulated in
the rotated domain and rotated back once at the end. Tiles in the input dtype (sinks, recent tokens) use the plain
vectors. Transient memory is bounded by the tile size whatever the context length.
"""

from __future__ import annotations

from dataclasses import dataclass

import mlx.core as mx

_NEG = -1e30
SCORE_BUDGET = 1 << 23  # float32 score elements per tile (32 MB)
DECODE_TILE = 1024  # tokens per tile when few queries (smaller tiles stay in cache)
EVAL_EVERY = 16  # tiles between evaluations of the running softmax state: bounds transient memory on long contexts


@dataclass
class _Online:
    m: mx.array
    l: mx.array
    acc_plain: mx.array | None = None
    acc_rot: mx.array | None = None

    def add(self, s: mx.array, values: mx.array, rotated: bool, p_scale: mx.array | None = None) -> None:
        m_new = mx.maximum(self.m, mx.max(s, axis=-1, keepdims=True))
        alpha = mx.exp(self.m - m_new)
        p = mx.exp(s - m_new)
        self.l = self.l * alpha + mx.sum(p, axis=-1, keepdims=True)
        pv = (p if p_scale is None else p * p_scale) @ values
        self.acc_plain = None if self.acc_plain is None else self.acc_plain * alpha
        self.acc_rot = None if self.acc_rot is None else self.acc_rot * alpha
        if rotated:
            self.acc_rot = pv if self.acc_rot is None else self.acc_rot + pv
        else:
            self.acc_plain = pv if self.acc_plain is None else self.acc_plain + pv
        self.m = m_new


def _tile_mask(mask, q_start: int, L: int, start: int, end: int, shape5: tuple[int, ...]):
    """The part of the model's mask for key positions [start, end), broadcastable to (B, Hkv, rep, L, T)."""
    if mask is None:
        return None
    if isinstance(mask, str):
        if end - 1 <= q_start:
            return None
        return mx.arange(q_start, q_start + L)[:, None] >= mx.arange(start, end)[None]
    m = mask[..., start:end]
    B, Hkv, rep = shape5[:3]
    if m.ndim == 4 and m.shape[1] == Hkv * rep and Hkv * rep > 1:
        return m.reshape(m.shape[0], Hkv, rep, L, end - start)
    if m.ndim >= 3:
        return m.reshape(m.shape[0], 1, 1, L, end - start)
    return m


def _apply_mask(s: mx.array, m) -> mx.array:
    if m is None:
        return s
    if m.dtype == mx.bool_:
        return mx.where(m, s, _NEG)
    return s + m.astype(s.dtype)


def _plain_tiles(cache):
    yield 0, cache.sink_k, cache.sink_v
    start = cache.offset - (0 if cache.recent_k is None else cache.recent_k.shape[2])
    yield start, cache.recent_k, cache.recent_v


def _tile_tokens(cache, B: int, Hq: int, L: int) -> int:
    return max(64, min(cache.config.tile, DECODE_TILE, SCORE_BUDGET // max(1, B * Hq * L)))


def _plain_tile(st: _Online, q, k, v, cache, mask5) -> None:
    k, v = k.astype(mx.float32), v.astype(mx.float32)
    if cache.k_mean is not None:
        k, v = k - cache.k_mean, v - cache.v_mean
    s = _apply_mask(q @ mx.expand_dims(k, 2).swapaxes(-1, -2), mask5)
    st.add(s, mx.expand_dims(v, 2), rotated=False)


def _quant_tile(st: _Online, q_rot, seg, cache, mask5) -> None:
    """Scores from codebook values, scaled per key afterwards; value scales folded into the probabilities."""
    raw = None
    for a, b, keys in cache.k_codec.part_values(seg.kp):
        part = q_rot[..., a:b] @ mx.expand_dims(keys, 2).swapaxes(-1, -2)
        raw = part if raw is None else raw + part
    k_scale = seg.ks.astype(mx.float32)[:, :, None, None, :]
    s = _apply_mask(raw * k_scale, mask5)
    v_scale = seg.vs.astype(mx.float32)[:, :, None, None, :]
    st.add(s, mx.expand_dims(cache.v_codec.values(seg.vp), 2), rotated=True, p_scale=v_scale)


def compressed_attention(queries: mx.array, cache, scale: float, mask=None) -> mx.array:
    """Drop-in for scaled_dot_product_attention(queries, keys, values, scale=, mask=) over a CompressedKVCache."""
    B, Hq, L, dk = queries.shape
    Hkv = cache.n_kv_heads
    if Hq % Hkv:
        raise ValueError(f"{Hq} query heads cannot share {Hkv} kv heads")
    cache.note_queries(queries)
    rep, q_start = Hq // Hkv, cache.offset - L
    shape5 = (B, Hkv, rep, L)
    q = queries.astype(mx.float32).reshape(B, Hkv, rep, L, dk) * scale
    st = _Online(mx.full((B, Hkv, rep, L, 1), _NEG), mx.zeros((B, Hkv, rep, L, 1)))
    for start, k, v in _plain_tiles(cache):
        if k is not None and k.shape[2]:
            _plain_tile(st, q, k, v, cache, _tile_mask(mask, q_start, L, start, start + k.shape[2], shape5))
    if cache.segments:
        q_rot = cache.k_codec.rotation.forward(q if cache.k_weight is None else q / cache.k_weight[:, :, None])
        pos, step = _len_sinks(cache), _tile_tokens(cache, B, Hq, L)
        tiles = 0
        for seg in cache.segments:
            for a in range(0, seg.length, step):
                b = min(seg.length, a + step)
                part = seg if (a, b) == (0, seg.length) else seg.slice(a, b)
                _quant_tile(st, q_rot, part, cache, _tile_mask(mask, q_start, L, pos + a, pos + b, shape5))
                tiles += 1
                if tiles % EVAL_EVERY == 0:
                    mx.eval([a for a in (st.m, st.l, st.acc_plain, st.acc_rot) if a is not None])
            pos += seg.length
    out = _finish(st, cache, queries.dtype, (B, Hq, L))
    cache.settle()
    return out


def _len_sinks(cache) -> int:
    return 0 if cache.sink_k is None else cache.sink_k.shape[2]


def _finish(st: _Online, cache, dtype, bhl: tuple[int, int, int]) -> mx.array:
    out = st.acc_plain
    if st.acc_rot is not None:
        back = cache.v_codec.rotation.inverse(st.acc_rot)
        out = back if out is None else out + back
    out = out / st.l
    if cache.v_mean is not None:
        out = out + cache.v_mean[:, :, None]
    return out.reshape(*bhl, out.shape[-1]).astype(dtype)

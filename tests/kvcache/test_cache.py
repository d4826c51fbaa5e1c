"""CompressedKVCache: attention fast path vs dequantized cache, protocol, trim, state, errors."""

import mlx.core as mx
import numpy as np
import pytest

from kvcache import CompressedKVCache, KVCacheError, KVQuantConfig, compressed_attention

CONFIGS = [
    KVQuantConfig(),
    KVQuantConfig(key_bits=5, value_bits=2.5),
    KVQuantConfig(key_bits=3, value_bits=2, sink_tokens=0, center_keys=False),
    KVQuantConfig(center_values=True, window=16, flush_tokens=8, tile=64),
]


def _fill(cache, lengths, heads=2, dim=64, dtype=mx.float32, seed=0):
    """Update like a model layer does: each update is followed by attention, which shows the cache the queries."""
    mx.random.seed(seed)
    for n in lengths:
        k = mx.random.normal((1, heads, n, dim)).astype(dtype)
        v = mx.random.normal((1, heads, n, dim)).astype(dtype)
        cache.update_and_fetch(k, v)
        cache.observe_queries(mx.random.normal((1, heads * 3, n, dim)).astype(dtype))


def _reference(q, cache, mask):
    keys, values = cache.dequantize()
    return mx.fast.scaled_dot_product_attention(q, keys, values, scale=0.125, mask=mask)


@pytest.mark.parametrize("config", CONFIGS, ids=lambda c: c.label)
def test_fast_path_equals_attention_over_dequantized_cache(config):
    cache = CompressedKVCache(config)
    for step, n in enumerate([37, 200, 1, 1, 90, 1]):
        _fill(cache, [n], seed=step)
        q = mx.random.normal((1, 6, n, 64))
        mask = "causal" if n > 1 else None
        out = compressed_attention(q, cache, 0.125, mask)
        assert mx.allclose(out, _reference(q, cache, mask), atol=2e-5), (step, n)
    assert cache.segments, "tokens must be compressed"


def test_array_mask_and_small_score_budget(monkeypatch):
    import kvcache.attention as att

    monkeypatch.setattr(att, "SCORE_BUDGET", 64 * 6 * 5)  # forces 64-token tiles for 5 queries
    cache = CompressedKVCache(KVQuantConfig(tile=256))
    _fill(cache, [300, 5])
    q = mx.random.normal((1, 6, 5, 64))
    mask = mx.arange(300, 305)[:, None] >= mx.arange(305)[None]
    out = compressed_attention(q, cache, 0.125, mask)
    assert mx.allclose(out, _reference(q, cache, mask), atol=2e-5)


def test_quality_close_to_full_precision():
    cache = CompressedKVCache()
    mx.random.seed(1)
    k, v = mx.random.normal((1, 2, 500, 128)), mx.random.normal((1, 2, 500, 128))
    cache.update_and_fetch(k, v)
    q = mx.random.normal((1, 4, 1, 128))
    cache.observe_queries(mx.random.normal((1, 4, 500, 128)))
    assert cache.segments
    out = compressed_attention(q, cache, 128**-0.5, None)
    ref = mx.fast.scaled_dot_product_attention(q, k, v, scale=128**-0.5, mask=None)
    cos = mx.sum(out * ref, -1) / (mx.linalg.norm(out, axis=-1) * mx.linalg.norm(ref, axis=-1))
    assert float(mx.min(cos)) > 0.97


def test_compressed_bytes_per_element():
    cache = CompressedKVCache(KVQuantConfig(key_bits=4, value_bits=3, sink_tokens=0, window=0))
    _fill(cache, [4096], heads=1, dim=128)
    bits = cache.nbytes * 8 / (2 * 4096 * 128)
    assert bits == pytest.approx(3.5 + 16 / 128, abs=0.02)  # codes + one fp16 scale per vector (+ means, weights)


def test_chunks_are_compressed_as_they_arrive():
    cache = CompressedKVCache(KVQuantConfig(sink_tokens=4, flush_tokens=64, window=0))
    _fill(cache, [512])
    assert cache.recent_k is None and cache.sink_k.shape[2] == 4
    assert sum(s.length for s in cache.segments) == 508
    _fill(cache, [1] * 10)
    assert cache.recent_k.shape[2] == 10 and cache.offset == 522


def test_first_chunk_waits_for_queries_then_keys_are_weighted_by_them():
    cache = CompressedKVCache(KVQuantConfig(query_aware=True, window=0))
    mx.random.seed(2)
    k = mx.random.normal((1, 2, 300, 64)) * mx.linspace(0.2, 3, 64)
    cache.update_and_fetch(k, k)
    cache.update_and_fetch(k[:, :, :0], k[:, :, :0])  # an update with no attention call between: still waiting
    assert not cache.segments and cache.recent_k.shape[2] == 296  # waiting for the first attention call
    q = mx.random.normal((1, 6, 300, 64)) * mx.linspace(3, 0.2, 64)
    ref = _reference(q, cache, "causal")  # what attention reads: the chunk itself, uncompressed
    out = compressed_attention(q, cache, 0.125, "causal")
    assert mx.allclose(out, ref, atol=2e-5)
    assert cache.segments and cache.recent_k is None and cache.k_weight.shape == (1, 2, 1, 64)
    w = cache.k_weight[0, 0, 0]
    assert float(w[0]) > 1.5 > 0.67 > float(w[-1])  # channels the queries read get finer steps
    plain = CompressedKVCache(KVQuantConfig(query_aware=False, window=0))
    plain.update_and_fetch(k, k)
    compressed_attention(q, plain, 0.125, "causal")
    assert plain.segments and plain.k_weight is None


def test_a_chunk_is_read_exactly_by_its_own_attention_call_then_compressed():
    cache = CompressedKVCache(KVQuantConfig(sink_tokens=4, window=8))
    mx.random.seed(4)
    k, v = mx.random.normal((1, 2, 300, 64)), mx.random.normal((1, 2, 300, 64))
    q = mx.random.normal((1, 6, 300, 64))
    cache.update_and_fetch(k[:, :, :200], v[:, :, :200])
    compressed_attention(q[:, :, :200], cache, 0.125, "causal")
    assert sum(s.length for s in cache.segments) == 188 and cache.recent_k.shape[2] == 8  # sinks, window stay
    cache.update_and_fetch(k[:, :, 200:], v[:, :, 200:])
    keys, values = cache.dequantize()
    assert mx.allclose(keys[:, :, 192:], k[:, :, 192:], atol=2e-2)  # window + new chunk: 16-bit, not codes
    assert cache.recent_k.dtype == mx.bfloat16 and cache.sink_k.dtype == mx.bfloat16
    out = compressed_attention(q[:, :, 200:], cache, 0.125, "causal")
    expect = mx.fast.scaled_dot_product_attention(q[:, :, 200:], keys, values, scale=0.125,
                                                  mask=mx.arange(200, 300)[:, None] >= mx.arange(300)[None])
    assert mx.allclose(out, expect, atol=2e-5)
    assert cache.recent_k.shape[2] == 8 and sum(s.length for s in cache.segments) == 288
    assert not mx.allclose(cache.dequantize()[0][:, :, 200:292], k[:, :, 200:292], atol=2e-2)


def test_trim_drops_exactly_the_newest_tokens():
    a = CompressedKVCache()
    _fill(a, [300, 1, 1])
    kb, vb = a.dequantize()
    assert a.is_trimmable() and a.trim(52) == 52 and a.offset == 250
    ka, va = a.dequantize()
    assert ka.shape == (1, 2, 250, 64)
    assert mx.allclose(ka, kb[:, :, :250]) and mx.allclose(va, vb[:, :, :250])
    assert a.trim(1000) == 250 and a.offset == 0 and a.dequantize  # everything trimmed
    _fill(a, [10])
    assert a.offset == 10 and a.sink_k.shape[2] == 4


def test_state_round_trip_through_from_meta():
    cache = CompressedKVCache(KVQuantConfig(value_bits=4))
    _fill(cache, [150, 1, 1])
    other = CompressedKVCache()
    other.meta_state = cache.meta_state
    other.state = dict(cache.state)
    assert other.config == cache.config and other.offset == 152
    q = mx.random.normal((1, 4, 1, 64))
    assert mx.allclose(compressed_attention(q, cache, 0.1), compressed_attention(q, other, 0.1))


def test_make_mask_and_empty():
    cache = CompressedKVCache()
    assert cache.empty() and cache.nbytes == 0
    assert cache.make_mask(1) is None and cache.make_mask(4) == "causal"
    _fill(cache, [3])
    m = cache.make_mask(2, return_array=True)
    assert m.shape == (2, 5) and not cache.empty()


def test_clear_errors_for_bad_input():
    with pytest.raises(KVCacheError, match="key_bits=6"):
        KVQuantConfig(key_bits=6)
    with pytest.raises(KVCacheError, match="value_bits=3.1"):
        KVQuantConfig(value_bits=3.1)
    cache = CompressedKVCache()
    with pytest.raises(KVCacheError, match="float"):
        cache.update_and_fetch(mx.zeros((1, 2, 3, 64), mx.int32), mx.zeros((1, 2, 3, 64), mx.int32))
    with pytest.raises(KVCacheError, match="kv_heads"):
        cache.update_and_fetch(mx.zeros((2, 3, 64)), mx.zeros((2, 3, 64)))
    with pytest.raises(KVCacheError, match="multiple of 8"):
        CompressedKVCache().update_and_fetch(mx.zeros((1, 1, 2, 60)), mx.zeros((1, 1, 2, 60)))
    cache.update_and_fetch(mx.zeros((1, 2, 3, 64)), mx.zeros((1, 2, 3, 64)))
    with pytest.raises(KVCacheError, match="does not match"):
        cache.update_and_fetch(mx.zeros((1, 4, 3, 64)), mx.zeros((1, 4, 3, 64)))


def test_long_context_evaluates_in_bounded_steps(monkeypatch):
    import kvcache.attention as att

    monkeypatch.setattr(att, "EVAL_EVERY", 2)
    monkeypatch.setattr(att, "SCORE_BUDGET", 3 * 3 * 64 * 2)  # key groups of 3 tiles, merged by online softmax
    cache = CompressedKVCache(KVQuantConfig(sink_tokens=0, tile=64))
    _fill(cache, [700])
    assert len(cache.blocks.tiles()) == 10 and cache.blocks.tiles()[-1].read == 64 > cache.blocks.tiles()[-1].valid
    assert len(att._groups(att._pieces(cache), 2 * 3)) > 3
    q = mx.random.normal((1, 6, 1, 64))
    assert mx.allclose(compressed_attention(q, cache, 0.125), _reference(q, cache, None), atol=2e-5)


def test_append_segment_checks_shapes():
    a, b = CompressedKVCache(KVQuantConfig(window=0)), CompressedKVCache(KVQuantConfig(window=0))
    _fill(a, [200])
    _fill(b, [200], seed=3)
    a.append_segment(b.segments[0])
    assert a.offset == 200 + b.segments[0].length
    with pytest.raises(KVCacheError, match="does not match"):
        a.append_segment(b.segments[0].slice(0, 10).__class__(*(x[:, :1] for x in b.segments[0].arrays())))


def test_tiles_alternate_between_cpu_streams_with_the_one_stream_result(monkeypatch):
    """On the CPU, compressed tiles are decoded on two streams side by side (one per core), from whichever thread
    owns the cache (the engine's): the result is exactly the one-stream result."""
    import threading

    import kvcache.attention as att

    def attend(streams: int) -> tuple[int, np.ndarray]:
        monkeypatch.setattr(att, "CPU_STREAMS", streams)
        cache = CompressedKVCache(KVQuantConfig(sink_tokens=0, tile=64))
        _fill(cache, [700])
        q = mx.random.normal((1, 6, 1, 64))
        out = compressed_attention(q, cache, 0.125)
        assert mx.allclose(out, _reference(q, cache, None), atol=2e-5)
        return len(att._streams()), np.array(out)

    found: dict[str, tuple[int, np.ndarray]] = {}
    worker = threading.Thread(target=lambda: found.update(two=attend(2)))
    worker.start()
    worker.join()
    used, one = attend(1)
    assert used == 1 and found["two"][0] == (2 if mx.default_device() == mx.cpu else 1)
    assert np.array_equal(found["two"][1], one)

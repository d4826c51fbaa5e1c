"""Save / load round trips with clear errors, and the memory budget from model configs."""

import mlx.core as mx
import numpy as np
import pytest
from mlx_lm.models.cache import ArraysCache, KVCache, RotatingKVCache

from kvcache import CompressedKVCache, KVCacheError, KVQuantConfig, compressed_attention
from kvcache.budget import budget_table, bytes_per_token, geometry_from_config, max_context
from kvcache.store import load_cache, model_fingerprint, save_cache

CONFIG = {"model_type": "qwen2", "hidden_size": 256, "num_hidden_layers": 2}


def _caches():
    mx.random.seed(0)
    comp = CompressedKVCache(KVQuantConfig(value_bits=4, query_aware=True))
    comp.update_and_fetch(mx.random.normal((1, 2, 150, 64)), mx.random.normal((1, 2, 150, 64)))
    comp.observe_queries(mx.random.normal((1, 4, 150, 64)))
    comp.update_and_fetch(mx.random.normal((1, 2, 1, 64)), mx.random.normal((1, 2, 1, 64)))
    assert comp.segments and comp.k_weight is not None
    plain = KVCache()
    plain.update_and_fetch(mx.random.normal((1, 2, 5, 8)), mx.random.normal((1, 2, 5, 8)))
    arrays = ArraysCache(size=2)
    arrays[1] = mx.random.normal((1, 3))
    rot = RotatingKVCache(max_size=8, keep=2)
    rot.update_and_fetch(mx.random.normal((1, 2, 3, 8)), mx.random.normal((1, 2, 3, 8)))
    return [comp, plain, arrays, rot]


def test_save_load_round_trip(tmp_path):
    caches = _caches()
    fp = model_fingerprint(CONFIG)
    path = save_cache(tmp_path / "p.safetensors", caches, fp, {"tokens": "151"})
    assert [p.name for p in tmp_path.iterdir()] == ["p.safetensors"]  # no temp file left behind
    loaded, header = load_cache(path, fp)
    assert header["tokens"] == "151" and [type(c) for c in loaded] == [type(c) for c in caches]
    q = mx.random.normal((1, 4, 1, 64))
    assert mx.array_equal(compressed_attention(q, loaded[0], 0.1), compressed_attention(q, caches[0], 0.1))
    assert loaded[0].config == caches[0].config and loaded[0].offset == 151
    assert mx.array_equal(loaded[0].k_weight, caches[0].k_weight)
    assert loaded[1].offset == 5 and mx.array_equal(loaded[1].keys, caches[1].keys)
    assert loaded[2][0] is None and mx.array_equal(loaded[2][1], caches[2][1])
    assert loaded[3].offset == 3 and loaded[3].keep == 2
    loaded[0].update_and_fetch(mx.zeros((1, 2, 1, 64)), mx.zeros((1, 2, 1, 64)))
    assert loaded[0].offset == 152


def test_loading_for_another_model_is_refused(tmp_path):
    path = save_cache(tmp_path / "p.safetensors", _caches(), model_fingerprint(CONFIG))
    other = model_fingerprint({**CONFIG, "hidden_size": 512})
    with pytest.raises(KVCacheError, match="different model"):
        load_cache(path, other)


def test_corrupt_or_missing_files_give_clear_errors(tmp_path):
    fp = model_fingerprint(CONFIG)
    path = save_cache(tmp_path / "p.safetensors", _caches(), fp)
    data = path.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    (tmp_path / "junk.safetensors").write_bytes(b"\x00" * 64)
    for name in ("cut.safetensors", "junk.safetensors", "missing.safetensors"):
        with pytest.raises(KVCacheError):
            load_cache(tmp_path / name, fp)


def test_inconsistent_metadata_is_detected(tmp_path):
    caches = _caches()
    caches[0].offset += 3  # metadata no longer matches the stored tokens
    fp = model_fingerprint(CONFIG)
    path = save_cache(tmp_path / "p.safetensors", caches[:1], fp)
    with pytest.raises(KVCacheError, match="corrupt"):
        load_cache(path, fp)


QWEN35_4B = {
    "model_type": "qwen3_5",
    "text_config": {"num_hidden_layers": 32, "num_attention_heads": 16, "num_key_value_heads": 4, "head_dim": 256,
                    "hidden_size": 2560, "full_attention_interval": 4},
}


def test_geometry_of_hybrid_dense_and_sliding_configs():
    g = geometry_from_config(QWEN35_4B)
    assert (g.full_layers, g.kv_heads, g.head_dim) == (8, 4, 256)
    assert bytes_per_token(g, None) == 32 * 1024
    types = {**QWEN35_4B["text_config"], "layer_types": ["linear_attention"] * 3 + ["full_attention"]}
    assert geometry_from_config({"text_config": types}).full_layers == 1
    dense = geometry_from_config({"num_hidden_layers": 28, "num_attention_heads": 24, "num_key_value_heads": 8,
                                  "hidden_size": 3072})
    assert (dense.full_layers, dense.head_dim, bytes_per_token(dense, None)) == (28, 128, 112 * 1024)
    gemma = geometry_from_config({"num_hidden_layers": 6, "num_attention_heads": 4, "num_key_value_heads": 1,
                                  "head_dim": 256, "hidden_size": 640, "sliding_window": 512,
                                  "layer_types": ["sliding_attention"] * 5 + ["full_attention"]})
    assert (gemma.full_layers, gemma.sliding_layers, gemma.sliding_window) == (1, 5, 512)
    with pytest.raises(KVCacheError, match="attention sizes"):
        geometry_from_config({"model_type": "x"})


def test_one_million_tokens_fit_in_9_gb_at_the_default():
    g = geometry_from_config(QWEN35_4B)
    default = KVQuantConfig()
    assert max_context(g, 9 * 10**9, default) >= 2**20 > max_context(g, 9 * 10**9, None)
    rows = {r.label: r for r in budget_table(g, 16 * 2**30)}
    assert rows["bf16"].bits_per_element == 16 and rows["K4V3"].bits_per_element == pytest.approx(3.5 + 2 / 256 * 8)
    assert rows["K2V2"].max_tokens > rows["K4V3"].max_tokens > rows["K4V4"].max_tokens > rows["bf16"].max_tokens
    assert np.isclose(rows["K4V3"].bytes_per_token, 8 * 4 * (128 + 96 + 4))


def _flip(path, offset_from_end):
    data = bytearray(path.read_bytes())
    data[len(data) - offset_from_end] ^= 0x10
    path.write_bytes(bytes(data))


def test_a_bit_flip_in_array_data_is_an_error_value_not_garbage(tmp_path):
    from kvcache.store import CacheLoadFailed, try_load_cache

    fp = model_fingerprint(CONFIG)
    path = save_cache(tmp_path / "p.safetensors", _caches(), fp)
    _flip(path, 7)  # inside the last array's data: the file still parses
    with pytest.raises(KVCacheError, match="does not match its checksum"):
        load_cache(path, fp)
    failed = try_load_cache(path, fp)
    assert isinstance(failed, CacheLoadFailed) and "delete it and recompute" in failed.message


def test_arrays_that_differ_from_their_header_are_refused(tmp_path):
    fp = model_fingerprint(CONFIG)
    path = save_cache(tmp_path / "p.safetensors", _caches(), fp)
    arrays, header = mx.load(str(path), format="safetensors", return_metadata=True)
    name = next(n for n, a in arrays.items() if a.dtype == mx.float32)
    arrays[name] = arrays[name].astype(mx.float16)
    mx.save_safetensors(str(path), arrays, header)
    with pytest.raises(KVCacheError, match=f"{name} is float16.*header says float32"):
        load_cache(path, fp)


def test_structure_is_checked_against_the_model(tmp_path):
    from kvcache.store import CacheLayout

    caches = _caches()
    fp = model_fingerprint(CONFIG)
    path = save_cache(tmp_path / "p.safetensors", caches, fp)
    geometry = {**CONFIG, "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 64}
    good = CacheLayout(("attention", "attention", "arrays", "sliding"), kv_heads=2, head_dim=64, v_head_dim=64)
    assert CacheLayout.of(caches, geometry).kinds == good.kinds
    with pytest.raises(KVCacheError, match="layer 1 has 2 heads of size 8, this model has 2 of size 64"):
        load_cache(path, fp, good)  # the plain layer was saved with head size 8
    with pytest.raises(KVCacheError, match="holds 4 layers but this model has 3"):
        load_cache(path, fp, CacheLayout(good.kinds[:3]))
    with pytest.raises(KVCacheError, match="layer 2 is a arrays cache, this model needs attention"):
        load_cache(path, fp, CacheLayout(("attention",) * 4))
    loaded, _ = load_cache(path, fp, CacheLayout(good.kinds))
    assert len(loaded) == 4


def test_stale_snapshot_temp_files_are_removed_at_start(tmp_path):
    import os

    from kvcache.store import clean_stale_temp_files

    dead = tmp_path / ".p.safetensors.tmp-99999999.safetensors"
    live = tmp_path / f".q.safetensors.tmp-{os.getpid()}.safetensors"
    keep = tmp_path / "p.safetensors"
    for p in (dead, live, keep):
        p.write_bytes(b"\0" * 1000)
    assert clean_stale_temp_files(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, keep.name])


def test_budget_counts_sinks_window_and_the_decode_batch():
    from kvcache.budget import fixed_bytes, plain_tokens, resident_bytes

    g = geometry_from_config(QWEN35_4B)
    plain, windowed = KVQuantConfig(window=0), KVQuantConfig(window=128)
    assert plain_tokens(plain) == 4 + 0 + 64 and plain_tokens(windowed) == 4 + 128 + 64
    assert fixed_bytes(g, windowed) - fixed_bytes(g, plain) == 8 * 4 * 128 * 2 * 512
    assert max_context(g, 2 * 10**9, windowed) < max_context(g, 2 * 10**9, plain)
    tokens = 2**20  # the 4x size goal at head_dim 256 holds with the window counted
    assert resident_bytes(g, None, tokens) / resident_bytes(g, windowed, tokens) >= 4.0
    cache = CompressedKVCache(KVQuantConfig(window=32))
    cache.update_and_fetch(mx.random.normal((1, 4, 600, 256)), mx.random.normal((1, 4, 600, 256)))
    cache.observe_queries(mx.random.normal((1, 8, 600, 256)))
    one = geometry_from_config({**QWEN35_4B["text_config"], "full_attention_interval": 32})
    assert one.full_layers == 1 and cache.nbytes <= resident_bytes(one, cache.config, 600)
    # the last block of codes is allocated whole (2048 tokens for the ~560 compressed ones): the bound counts it
    block_codes = one.kv_heads * cache.config.tile * (256 * 4.75 / 8 + 256 * 3 / 8 + 4)
    assert resident_bytes(one, cache.config, 600) - block_codes < cache.reserved_nbytes
    assert cache.reserved_nbytes <= resident_bytes(one, cache.config, 600)

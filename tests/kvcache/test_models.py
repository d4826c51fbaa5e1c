"""Generation through the compressed cache on tiny random-weight models built here (dense qwen2, hybrid qwen3_5)."""

import mlx.core as mx
import numpy as np
import pytest
from mlx_lm.models import qwen2, qwen3_5
from mlx_lm.models.cache import ArraysCache, KVCache, make_prompt_cache

from kvcache import CompressedKVCache, KVCacheError, KVQuantConfig, compress_prompt_cache
from kvcache.patch import supports_model

VOCAB = 512


def _dense():
    args = qwen2.ModelArgs(model_type="qwen2", hidden_size=256, num_hidden_layers=2, intermediate_size=512,
                           num_attention_heads=4, rms_norm_eps=1e-6, vocab_size=VOCAB, num_key_value_heads=2)
    return qwen2.Model(args)


def _hybrid():
    text = dict(model_type="qwen3_5_text", hidden_size=256, intermediate_size=512, num_hidden_layers=4,
                num_attention_heads=4, num_key_value_heads=2, head_dim=64, vocab_size=VOCAB, rms_norm_eps=1e-6,
                linear_num_value_heads=4, linear_num_key_heads=2, linear_key_head_dim=32, linear_value_head_dim=32,
                full_attention_interval=2, tie_word_embeddings=True)
    return qwen3_5.Model(qwen3_5.ModelArgs(model_type="qwen3_5", text_config=text))


def _build(factory):
    mx.random.seed(0)
    model = factory()
    mx.eval(model.parameters())
    return model


def _run(model, cache, tokens, chunk=64, decode=6):
    """Prefill in chunks, then teacher-forced decode steps; returns the logits of every decode step."""
    prompt, tail = tokens[:-decode], tokens[-decode:]
    for i in range(0, len(prompt), chunk):
        model(mx.array(prompt[None, i : i + chunk]), cache=cache)
        mx.eval([c.state for c in cache])
    outs = []
    for t in tail:
        logits = model(mx.array([[int(t)]]), cache=cache)[0, -1]
        outs.append(np.array(logits.astype(mx.float32)))
    return np.stack(outs)


def _cos(a, b):
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


@pytest.mark.parametrize("factory", [_dense, _hybrid], ids=["dense", "hybrid"])
def test_generation_logits_close_to_normal_cache(factory):
    model = _build(factory)
    tokens = np.random.default_rng(1).integers(0, VOCAB, size=200)
    ref = _run(model, make_prompt_cache(model), tokens)
    cache = compress_prompt_cache(make_prompt_cache(model), KVQuantConfig(), model=model)
    kinds = {type(c) for c in cache}
    assert CompressedKVCache in kinds and KVCache not in kinds
    out = _run(model, cache, tokens)
    assert np.min(_cos(out, ref)) >= 0.99
    assert not np.allclose(out, ref, atol=1e-5), "the cache must actually be compressed"
    full = [c for c in cache if isinstance(c, CompressedKVCache)]
    assert all(c.offset == 200 and c.segments for c in full)


def test_hybrid_keeps_linear_attention_caches():
    model = _build(_hybrid)
    cache = compress_prompt_cache(make_prompt_cache(model), KVQuantConfig())
    assert [type(c) for c in cache] == [ArraysCache, CompressedKVCache] * 2


def test_prefilled_kv_cache_is_converted():
    model = _build(_dense)
    tokens = np.random.default_rng(2).integers(0, VOCAB, size=120)
    plain = make_prompt_cache(model)
    model(mx.array(tokens[None, :100]), cache=plain)
    cache = compress_prompt_cache(plain, KVQuantConfig())
    assert all(isinstance(c, CompressedKVCache) and c.offset == 100 for c in cache)
    ref_cache = make_prompt_cache(model)
    model(mx.array(tokens[None, :100]), cache=ref_cache)
    a = np.array(model(mx.array(tokens[None, 100:]), cache=cache)[0, -1])
    b = np.array(model(mx.array(tokens[None, 100:]), cache=ref_cache)[0, -1])
    assert _cos(a, b) >= 0.99


def test_unsupported_model_is_a_clear_error():
    class Direct:
        def named_modules(self):
            return []

    Direct.__module__ = "mlx_lm.models.not_routed"
    with pytest.raises(KVCacheError, match="normal KV cache"):
        compress_prompt_cache([KVCache()], KVQuantConfig(), model=Direct())
    assert supports_model(_build(_dense))


def test_patch_routes_only_compressed_caches_and_is_idempotent():
    import mlx_lm.models.base as base

    from kvcache.patch import install

    install()
    assert install() == 0  # already patched
    wrapped = qwen2.scaled_dot_product_attention
    assert hasattr(wrapped, "hearth_original") and hasattr(base.scaled_dot_product_attention, "hearth_original")
    q, k = mx.random.normal((1, 2, 3, 8)), mx.random.normal((1, 2, 3, 8))
    plain = wrapped(q, k, k, cache=None, scale=0.5, mask=None)
    assert mx.allclose(plain, mx.fast.scaled_dot_product_attention(q, k, k, scale=0.5))
    cache = CompressedKVCache()
    cache.update_and_fetch(k, k)
    with pytest.raises(KVCacheError, match="sinks"):
        wrapped(q, None, None, cache=cache, scale=0.5, mask=None, sinks=mx.zeros((2,)))

"""mlx-vlm: the qwen3_5 language model (its own cache classes and attention function) through the compressed cache."""

from types import SimpleNamespace as NS

import mlx.core as mx
import numpy as np
from mlx_vlm.models.qwen3_5.config import TextConfig
from mlx_vlm.models.qwen3_5.language import LanguageModel

from kvcache import CompressedKVCache, compress_prompt_cache


def _model():
    cfg = TextConfig(model_type="qwen3_5", hidden_size=256, intermediate_size=512, linear_num_value_heads=4,
                     linear_num_key_heads=2, linear_key_head_dim=32, linear_value_head_dim=32, linear_conv_kernel_dim=4,
                     num_hidden_layers=4, num_attention_heads=4, rms_norm_eps=1e-6, vocab_size=512,
                     num_key_value_heads=2, max_position_embeddings=4096, head_dim=64, full_attention_interval=2,
                     tie_word_embeddings=True)
    vision = NS(vision_config=NS(spatial_merge_size=2), image_token_id=600, video_token_id=601, vision_start_token_id=602)
    mx.random.seed(0)
    model = LanguageModel(cfg, vision)
    mx.eval(model.parameters())
    return model


def _run(model, cache, tokens, decode=4):
    n = len(tokens) - decode
    for i in range(0, n, 64):
        model(mx.array(tokens[None, i : min(i + 64, n)]), cache=cache)
    return np.stack([np.array(model(mx.array([[int(t)]]), cache=cache).logits[0, -1]) for t in tokens[n:]])


def test_vlm_hybrid_generation_close_to_normal_cache():
    model = _model()
    tokens = np.random.default_rng(1).integers(0, 512, size=150)
    ref = _run(model, model.make_cache(), tokens)
    cache = compress_prompt_cache(model.make_cache(), model=model)
    assert [type(c).__name__ for c in cache] == ["ArraysCache", "CompressedKVCache"] * 2
    out = _run(model, cache, tokens)
    cos = (out * ref).sum(-1) / (np.linalg.norm(out, axis=-1) * np.linalg.norm(ref, axis=-1))
    assert cos.min() >= 0.99
    assert all(c.segments for c in cache if isinstance(c, CompressedKVCache))

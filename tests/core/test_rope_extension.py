"""memory.extend_context: the YaRN extension a model family documents, applied at load and in the history bound."""

from __future__ import annotations

import json

from app.engine.memory import context_budget
from app.engine.snapshots import fingerprint
from models.base import Role
from models.loader import load_adapter
from models.rope_extension import extended_config, extension_for
from models.store import ModelStore

QWEN35_TEXT = {
    "model_type": "qwen3_5", "max_position_embeddings": 262144,
    "rope_parameters": {"rope_type": "default", "rope_theta": 10000000, "partial_rotary_factor": 0.25,
                        "mrope_section": [11, 11, 10]},
}


def _yarn_modules(model) -> int:
    from mlx_lm.models.rope_utils import YarnRoPE

    return sum(isinstance(m, YarnRoPE) for _, m in model.named_modules())


def test_documented_families_only_and_never_twice():
    assert extension_for({"model_type": "qwen2", "max_position_embeddings": 32768}).context == 131072
    assert extension_for({"model_type": "gemma3_text", "max_position_embeddings": 32768}) is None
    assert extension_for({"model_type": "qwen3_5", "vision_config": {}, "text_config": QWEN35_TEXT}) is None  # mlx-vlm
    scaled = {"model_type": "qwen2", "max_position_embeddings": 32768, "rope_scaling": {"type": "yarn", "factor": 4}}
    assert extension_for(scaled) is None


def test_qwen35_rope_parameters_become_yarn_keeping_theta_and_rotary_fraction():
    from mlx_lm.models.qwen3_5 import TextModelArgs
    from mlx_lm.models.rope_utils import YarnRoPE, initialize_rope

    config = {"model_type": "qwen3_5", "text_config": QWEN35_TEXT}
    ext = extension_for(config)
    out = extended_config(config, ext)
    rope = out["text_config"]["rope_parameters"]
    assert rope["type"] == "yarn" and rope["factor"] == 4.0 and rope["original_max_position_embeddings"] == 262144
    assert rope["rope_theta"] == 10000000 and rope["partial_rotary_factor"] == 0.25
    assert out["text_config"]["max_position_embeddings"] == 1048576
    assert QWEN35_TEXT["rope_parameters"]["rope_type"] == "default"  # the original is untouched
    args = TextModelArgs.from_dict({**out["text_config"], "hidden_size": 64, "num_hidden_layers": 1,
                                    "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 32})
    rope_layer = initialize_rope(8, args.rope_theta, False, args.rope_scaling, args.max_position_embeddings)
    assert isinstance(rope_layer, YarnRoPE)


def test_loading_with_the_extension_builds_yarn_and_leaves_the_folder_alone(tiny_llm, tmp_path):
    before = (tiny_llm / "config.json").read_text()
    plain = load_adapter((Role.LLM,), str(tiny_llm), ModelStore(tmp_path))
    extended = load_adapter((Role.LLM,), str(tiny_llm), ModelStore(tmp_path), extend_context=True)
    assert _yarn_modules(plain.model) == 0 and _yarn_modules(extended.model) > 0
    assert extended.info.variant == "yarn4" and plain.info.variant == ""
    assert (tiny_llm / "config.json").read_text() == before
    assert fingerprint(plain, "K4.75V3") != fingerprint(extended, "K4.75V3")  # a snapshot of one is not the other's
    tokens = list(range(1, 40))
    import mlx.core as mx

    logits = extended.model(mx.array(tokens)[None])
    assert bool(mx.all(mx.isfinite(logits)))


def test_the_history_bound_follows_the_setting(tiny_llm, tmp_path):
    store = ModelStore(tmp_path)
    own = json.loads((tiny_llm / "config.json").read_text())["max_position_embeddings"]
    off = context_budget(store, str(tiny_llm), 4.75, 3, True)
    on = context_budget(store, str(tiny_llm), 4.75, 3, True, extend=True)
    assert off.model_context == own and off.extension == ""
    assert on.model_context == 4 * own and "YaRN x4" in on.extension

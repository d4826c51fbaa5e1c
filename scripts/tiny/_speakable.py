"""Make a random tiny model's greedy output speakable: tokens that decode to non-ASCII or broken bytes get a
zero embedding (with tied embeddings, a zero logit), so argmax prefers ordinary text pieces."""

from __future__ import annotations

from pathlib import Path


def unspeakable_ids(outdir: Path) -> list[int]:
    from transformers import PreTrainedTokenizerFast

    tok = PreTrainedTokenizerFast.from_pretrained(str(outdir))
    special = set(tok.all_special_ids)
    bad = []
    for i in range(len(tok)):
        text = tok.decode([i])
        if i in special or not text.strip() or not all(32 <= ord(c) < 127 for c in text):
            bad.append(i)
    return bad


def silence_tokens(embedding_weight, ids: list[int]):
    """A copy of the embedding matrix with the rows of ``ids`` zeroed."""
    import mlx.core as mx

    mask = mx.ones((embedding_weight.shape[0], 1), dtype=embedding_weight.dtype)
    mask[mx.array(ids)] = 0
    return embedding_weight * mask

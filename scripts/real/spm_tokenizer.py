"""A Hugging Face ``tokenizers`` tokenizer rebuilt from a GGUF's SentencePiece-BPE vocabulary and scores.

SentencePiece BPE repeatedly merges the adjacent pair whose joined piece has the highest score. A ``tokenizers`` BPE
does the same when every way of splitting a vocabulary piece into two vocabulary pieces is a merge ranked by the
piece's score, so the merges are derived from the vocabulary here (the GGUF ships none). Control tokens become special
added tokens, user-defined ones (newline and space runs, HTML tags) added tokens matched before BPE, and byte tokens
``<0xNN>`` the byte fallback. Spaces are written as ``▁``; no prefix space is added (Gemma 3's setting).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

SPACE = "\u2581"
NORMAL, UNKNOWN, CONTROL, USER_DEFINED, UNUSED, BYTE = 1, 2, 3, 4, 5, 6


@dataclass(frozen=True)
class SpmVocab:
    tokens: tuple[str, ...]
    scores: tuple[float, ...]
    types: tuple[int, ...]
    bos_id: int
    eos_id: int
    unk_id: int
    pad_id: int
    add_bos: bool


def derive_merges(vocab: SpmVocab) -> list[tuple[str, str]]:
    """Every split of a normal piece into two normal pieces, highest-scoring joined piece first."""
    mergeable = {t for t, ty in zip(vocab.tokens, vocab.types) if ty == NORMAL}
    ranked: list[tuple[float, int, str, str]] = []
    for idx, (piece, ty) in enumerate(zip(vocab.tokens, vocab.types)):
        if ty != NORMAL or len(piece) < 2:
            continue
        score = vocab.scores[idx]
        for cut in range(1, len(piece)):
            left, right = piece[:cut], piece[cut:]
            if left in mergeable and right in mergeable:
                ranked.append((-score, idx, left, right))
    ranked.sort()
    return [(left, right) for _, _, left, right in ranked]


def build_tokenizer(vocab: SpmVocab):
    """The ``tokenizers.Tokenizer`` for ``vocab`` (BPE with byte fallback, added tokens, ``<bos>`` prefix)."""
    from tokenizers import AddedToken, Tokenizer, decoders, normalizers, processors
    from tokenizers.models import BPE

    # every piece is in the model's vocabulary, so that the added tokens below keep their ids (no merge reaches the
    # control and user-defined ones: merges join normal pieces only)
    ids = {t: i for i, t in enumerate(vocab.tokens)}
    unk = vocab.tokens[vocab.unk_id]
    model = BPE(vocab=ids, merges=derive_merges(vocab), unk_token=unk, fuse_unk=True, byte_fallback=True)
    tok = Tokenizer(model)
    tok.normalizer = normalizers.Replace(" ", SPACE)
    tok.decoder = decoders.Sequence([decoders.Replace(SPACE, " "), decoders.ByteFallback(), decoders.Fuse()])
    added = []
    for idx, (piece, ty) in enumerate(zip(vocab.tokens, vocab.types)):
        if ty in (CONTROL, USER_DEFINED) or idx == vocab.unk_id:
            added.append(AddedToken(piece, special=ty != USER_DEFINED, normalized=False))
    tok.add_special_tokens([a for a in added if a.special])
    tok.add_tokens([a for a in added if not a.special])
    bos = vocab.tokens[vocab.bos_id]
    if vocab.add_bos:
        tok.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, vocab.bos_id)]
        )
    _check_ids(tok, vocab)
    return tok


def _check_ids(tok, vocab: SpmVocab) -> None:
    """Every piece keeps its GGUF id (the embedding rows are indexed by it)."""
    got = tok.get_vocab(with_added_tokens=True)
    wrong = [(t, i, got.get(t)) for i, t in enumerate(vocab.tokens) if got.get(t) != i]
    if wrong:
        raise ValueError(f"{len(wrong)} token ids moved while building the tokenizer, e.g. {wrong[:3]}")
    if tok.get_vocab_size(with_added_tokens=True) != len(vocab.tokens):
        raise ValueError("tokenizer size differs from the GGUF vocabulary")


def round_trip_failures(tok, texts: Sequence[str]) -> list[str]:
    """Texts that do not decode back to themselves (empty list: all round-trip)."""
    bad = []
    for text in texts:
        ids = tok.encode(text, add_special_tokens=False).ids
        if tok.decode(ids, skip_special_tokens=False) != text:
            bad.append(text)
    return bad

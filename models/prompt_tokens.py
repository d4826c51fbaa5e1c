"""Token ids of a rendered chat prompt without re-tokenizing the whole conversation every turn.

A turn's prompt is the previous prompt plus a few messages, so its text shares a long prefix with the last one.
Control tokens of the chat template (``<|im_start|>``, ``<start_of_turn>``, ...) are added tokens: the tokenizer
splits the text at them before its model sees it, so the ids after such a token depend only on the text after it.
The ids of the shared part are kept up to the last control token inside it; only the text from there on is
tokenized. Each tokenizer is checked: the first uses also tokenize the whole text, and any difference turns reuse off
for good (the full tokenization is always the answer then).
"""

from __future__ import annotations

import logging
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)

CHECKS = 3  # incremental results compared with a full tokenization before reuse is trusted


def shared_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of two strings (binary search over slice comparisons, done in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[lo:mid] == b[lo:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def template_markers(tokenizer: object, template: str | None = None) -> dict[str, int]:
    """The added tokens that the chat template (the tokenizer's, else ``template``: a processor's) writes, with
    their ids."""
    template = getattr(tokenizer, "chat_template", None) or template
    vocab = getattr(tokenizer, "get_added_vocab", None)
    if not isinstance(template, str) or vocab is None:
        return {}
    try:
        added = vocab()
    except Exception:  # noqa: BLE001 - a tokenizer without the call: no reuse
        return {}
    return {text: int(i) for text, i in added.items() if len(text) > 1 and text in template}


class PromptTokens:
    """Tokenizes prompts, reusing the ids of the previous prompt's shared part (see the module doc)."""

    def __init__(self, encode: Callable[[str], Sequence[int]], markers: dict[str, int]) -> None:
        self._encode = encode
        self._markers = markers
        self._text = ""
        self._ids: tuple[int, ...] = ()
        self._checks_left = CHECKS
        self.reuse = bool(markers)
        self.reused_tokens = 0  # of the last call, for tests and stats

    def __call__(self, text: str) -> tuple[int, ...]:
        ids, kept = self._incremental(text) if self.reuse and self._text else (None, 0)
        if ids is None or self._checks_left > 0:
            full = tuple(int(t) for t in self._encode(text))
            if ids is not None:
                self._checks_left -= 1
                if ids != full:
                    self.reuse, kept = False, 0
                    log.info("this tokenizer splits prompts differently in parts; tokenizing whole prompts")
            ids = full
        self._text, self._ids, self.reused_tokens = text, ids, kept
        return ids

    def _incremental(self, text: str) -> tuple[tuple[int, ...] | None, int]:
        """The ids of ``text`` from the last prompt's shared part plus the rest, and how many were kept."""
        common = shared_prefix(self._text, text)
        cut, marker = max(((text.rfind(m, 0, common), m) for m in self._markers), default=(-1, ""))
        if cut <= 0:
            return None, 0
        nth = self._text.count(marker, 0, cut)  # occurrences before the cut: each is one marker id
        where = np.flatnonzero(np.asarray(self._ids, dtype=np.int64) == self._markers[marker])
        if len(where) <= nth:
            return None, 0
        keep = int(where[nth])
        return self._ids[:keep] + tuple(int(t) for t in self._encode(text[cut:])), keep

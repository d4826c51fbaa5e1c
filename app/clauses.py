"""The conversation's clause cutter: a pure function over the speech segmenter.

The state machine keeps the not-yet-spoken reply text in the turn (``pending``); each call re-reads it with a fresh
:class:`~app.speech_segmenter.ClauseSegmenter`, so no hidden state survives between steps. Every clause's ``raw``
is the exact text it consumed, so what is left is the tail of ``pending`` after them.
"""

from __future__ import annotations

from app.speech_segmenter import ClauseSegmenter, SegmenterConfig


def cut_clauses(pending: str, first: bool, final: bool,
                config: SegmenterConfig = SegmenterConfig()) -> tuple[tuple[str, ...], str]:
    seg = ClauseSegmenter(config)
    if not first:
        seg._index = 1  # later clauses are sentence-sized  # noqa: SLF001 - the segmenter's own rule switch
    clauses = seg.feed(pending) if not final else seg.feed(pending) + seg.flush()
    consumed = sum(len(c.raw) for c in clauses)
    rest = "" if final else pending[consumed:]
    return tuple(c.text for c in clauses), rest

"""How much of a reply is spoken, by the mode's SpeechStyle (pure text functions; the loop applies them)."""

from __future__ import annotations

import re

from app.modes.base import Mode, SpeechStyle

_FENCE = re.compile(r"(```|~~~).*?(\1|\Z)", re.DOTALL)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def spoken_part(reply: str, mode: Mode) -> str:
    """The words to voice: everything for CONVERSATIONAL; for BRIEF_SUMMARY, the reply without code blocks, cut
    to ``mode.max_spoken_sentences`` sentences (the whole reply stays shown)."""
    if mode.speech is SpeechStyle.CONVERSATIONAL:
        return reply
    prose = " ".join(_FENCE.sub(" ", reply).split())
    sentences = [s for s in _SENTENCE_END.split(prose) if s.strip()]
    limit = mode.max_spoken_sentences or len(sentences)
    return " ".join(sentences[:limit])

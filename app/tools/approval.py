"""Is a spoken or typed answer to "apply this edit?" a yes, a no, or neither?

Only a short whole answer counts: "yes", "go ahead", "do it", "sure, go ahead", "no", "cancel", "stop". A yes
inside a longer sentence ("yes but first rename the function") is UNCLEAR, so the loop asks again or treats it
as a new instruction; it never applies a change on it. Mixed answers ("yes no") are UNCLEAR too.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass


class Approval(enum.Enum):
    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class ApprovalRecord:
    """One answer to one proposal, for the conversation's record ("every approval is recorded")."""

    call_id: str
    tool: str
    summary: str  # the Proposal's summary the user answered
    answer: str  # what they said or typed, or "button" / "y" from the GUI / terminal
    verdict: "Approval"
    t: float  # time.monotonic() of the answer


_YES = frozenset({
    "yes", "yeah", "yep", "yup", "ya", "ok", "okay", "sure", "go ahead", "go for it", "do it", "apply", "apply it",
    "approve", "approved", "confirm", "confirmed", "run it", "proceed", "please do", "sounds good", "looks good",
    "correct", "affirmative", "y", "alright", "all right", "fine", "that's fine", "go", "yes sir", "absolutely",
})
_NO = frozenset({
    "no", "nope", "nah", "cancel", "cancel it", "stop", "don't", "do not", "don't do it", "reject", "rejected",
    "never mind", "nevermind", "abort", "n", "skip", "skip it", "not now", "leave it", "forget it", "wait",
    "hold on", "no way",
})
_NEUTRAL = frozenset({"please", "thanks", "thank you", "hearth", "oh", "um", "uh", "well", "then", "just"})
_PHRASES = {**{p: Approval.YES for p in _YES}, **{p: Approval.NO for p in _NO}, **{p: None for p in _NEUTRAL}}
_LONGEST = max(len(p.split()) for p in _PHRASES)
_MAX_WORDS = 5  # "yes please go ahead" fits; anything longer is a sentence, not an answer


def _words(text: str) -> list[str]:
    text = text.lower().replace("\u2019", "'")
    return re.sub(r"[^a-z' ]+", " ", text).split()


def _classes(words: list[str]) -> set[Approval] | None:
    """The answer classes of a segmentation of ``words`` into known phrases, or None when there is none."""
    best: list[set[Approval] | None] = [None] * (len(words) + 1)
    best[0] = set()
    for end in range(1, len(words) + 1):
        for size in range(1, min(_LONGEST, end) + 1):
            start = end - size
            phrase = " ".join(words[start:end])
            if best[start] is None or phrase not in _PHRASES:
                continue
            found = best[start] | ({_PHRASES[phrase]} if _PHRASES[phrase] else set())
            if best[end] is None or len(found) < len(best[end]):  # prefer the least mixed reading
                best[end] = found
    return best[-1]


def is_approval(text: str) -> Approval:
    words = _words(text)
    if not words or len(words) > _MAX_WORDS:
        return Approval.UNCLEAR
    classes = _classes(words)
    if classes is None or len(classes) != 1:
        return Approval.UNCLEAR
    return next(iter(classes))

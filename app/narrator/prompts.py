"""The narrator's words to the model: the system prompt, one instruction per kind of request, the narration
prompts, and the safety caveat.

Honest uncertainty is asked for twice over: the system prompt tells the model to say when it is unsure and to add
"I may be wrong" to anything about steps, stairs, kerbs, edges, traffic, vehicles or obstacles; and because a small
model does not always obey, :func:`safety_caveat` checks the finished reply — when it mentions a safety-relevant
thing without "may be wrong" / "check before" wording (a plain "I think" is not enough), the session speaks
:data:`SAFETY_CAVEAT` after it (it never rewrites the model's words).
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from app.narrator.scheduler import Reason


class NarratorRequest(enum.Enum):
    DESCRIBE = "describe"  # what's in front of me
    READ = "read"  # read this
    COLOUR = "colour"  # what colour is this
    PERSON = "person"  # is anyone there
    FOLLOW_UP = "follow-up"  # a question about the picture already seen
    OTHER = "other"  # anything else: an ordinary conversation turn


class Verbosity(enum.Enum):
    BRIEF = "brief"
    DETAILED = "detailed"


SAFETY_CAVEAT = "I may be wrong about this, so please check before you move."

NARRATOR_SYSTEM = (
    "You are Hearth, describing the camera view for a person who is blind or has low vision. Your words are "
    "spoken aloud, so use plain sentences: no lists, no markdown, no emoji. Put the most useful thing first. Say "
    "where things are from the camera's point of view: left, right, ahead, near, far, at the top or bottom. Never "
    "pretend to see what you cannot: when you are not sure, say so plainly ('I think', 'it looks like', 'I can't "
    "tell'). Do not guess who a person is. Whenever you mention steps, stairs, kerbs, edges, drops, holes, traffic, "
    "cars, bikes or obstacles in the way, say 'I may be wrong' and suggest checking before moving."
)

_LENGTH = {
    Verbosity.BRIEF: "Keep it to one or two short sentences.",
    Verbosity.DETAILED: "Use up to four short sentences, most important first.",
}

_INSTRUCTIONS: dict[NarratorRequest, str] = {
    NarratorRequest.DESCRIBE: (
        "Describe what is in front of the camera: the main things, where they are, and anything that matters for "
        "moving safely."),
    NarratorRequest.READ: (
        "Read out all the text you can see, word for word, in reading order: top to bottom, left to right, one "
        "column or block at a time. Do not summarise or correct it. If text is cut off at an edge of the picture, say "
        "which edge and which way to move the camera (text cut off at the right edge: move the camera to the "
        "right; too close: move it back). If text is blurred or too small, say so and suggest holding the camera "
        "steady or moving closer. If there is no text, say you can't see any."),
    NarratorRequest.COLOUR: (
        "Name the colour of the main object in the centre of the picture in everyday words (for example 'dark "
        "navy blue'), and any second colour or pattern. Say if the lighting makes you unsure."),
    NarratorRequest.PERSON: (
        "Say whether you can see anyone. If so: how many people, roughly where they are and how near, and what "
        "they seem to be doing. Do not guess who they are, their age or their feelings."),
    NarratorRequest.FOLLOW_UP: (
        "Answer about the picture you were shown last. If the answer is not in that picture, say so and suggest "
        "asking you to look again."),
}

_NARRATION = {
    Reason.FIRST_LOOK: "Narration is on. In one short sentence, say what the camera sees now.",
    Reason.CHANGED: (
        "The camera view has changed. In one short sentence, say what changed since what you last described — "
        "not the whole scene again. If nothing that matters changed, say only: Nothing new."),
}

# An ordered table: the first pattern that matches decides (reading before colour: "read the colour label").
_KINDS: tuple[tuple[re.Pattern[str], NarratorRequest], ...] = tuple((re.compile(p, re.IGNORECASE), k) for p, k in (
    (r"\b(read|what does (it|this|that) say|what(?:'s| is) written|what (it|this|that) says|text|label|sign)\b",
     NarratorRequest.READ),
    (r"\b(colou?rs?|shade)\b", NarratorRequest.COLOUR),
    (r"\b(any ?(one|body)|some ?(one|body)|people|persons?|who(?:'s| is) (there|here|that))\b",
     NarratorRequest.PERSON),
    (r"\b(in front of me|what do you see|what can you see|describe|look(ing)? (at|again|now)|what(?:'s| is) "
     r"(this|that|here|around)|what am i (holding|looking at|facing)|where am i)\b", NarratorRequest.DESCRIBE),
    (r"^(and|also|what about|how about|tell me more|more|which|how (many|big|far|tall)|where(?:'s| is)|is (it|there|"
     r"that)|are (they|there)|does (it|that)|can you tell)\b|\b(it|they|them|that one|the (left|right|other) one)\b",
     NarratorRequest.FOLLOW_UP),
))


def classify_request(text: str) -> NarratorRequest:
    """What the user asks the narrator for, from their words."""
    words = " ".join(text.strip().split())
    return next((kind for pattern, kind in _KINDS if pattern.search(words)), NarratorRequest.OTHER)


def needs_new_frame(kind: NarratorRequest) -> bool:
    """Whether the turn takes the newest frame; follow-ups (and ordinary talk) reuse the picture already in the
    conversation, which the engine's prompt cache holds, so it is neither re-sent nor re-read."""
    return kind in (NarratorRequest.DESCRIBE, NarratorRequest.READ, NarratorRequest.COLOUR, NarratorRequest.PERSON)


def instruction(kind: NarratorRequest, verbosity: Verbosity = Verbosity.BRIEF) -> str:
    """The instruction that goes with the user's words for this kind of request ("" for ordinary talk)."""
    if kind is NarratorRequest.OTHER:
        return ""
    length = "" if kind is NarratorRequest.READ else " " + _LENGTH[verbosity]  # reading is never shortened
    return _INSTRUCTIONS[kind] + length


def request_text(user_text: str, verbosity: Verbosity = Verbosity.BRIEF) -> str:
    """The user message the model reads: the user's words, then the instruction for their kind of request."""
    extra = instruction(classify_request(user_text), verbosity)
    return f"{user_text.strip()}\n\n({extra})" if extra else user_text.strip()


@dataclass(frozen=True)
class PlannedTurn:
    """A user turn in narrator mode: what kind it is, the text the model reads, and whether it takes a new frame."""

    kind: NarratorRequest
    model_text: str
    new_frame: bool


def plan_turn(user_text: str, verbosity: Verbosity = Verbosity.BRIEF) -> PlannedTurn:
    kind = classify_request(user_text)
    return PlannedTurn(kind, request_text(user_text, verbosity), needs_new_frame(kind))


def narration_text(reason: Reason, verbosity: Verbosity = Verbosity.BRIEF) -> str:
    """The (unspoken) user message of a narration turn; detailed narrations may take two sentences."""
    text = _NARRATION[reason]
    return text.replace("one short sentence", "one or two short sentences") if verbosity is Verbosity.DETAILED \
        else text


_SAFETY = re.compile(
    r"\b(steps?|stairs?|staircase|stairway|kerbs?|curbs?|edges?|ledges?|drops?|holes?|cliff|platform|escalators?|"
    r"traffic|cars?|vehicles?|bus|buses|trucks?|lorr(y|ies)|bikes?|bicycles?|scooters?|motorbikes?|road|street|"
    r"crossing|crosswalk|obstacles?|poles?|bollards?|wet floor|slippery|ice|icy)\b", re.IGNORECASE)
_HEDGE = re.compile(r"\b((may|might|could) be wrong|(please )?check (before|first|with)|not (sure|certain))\b",
                    re.IGNORECASE)  # a plain "I think" is not enough for a step or a car


def mentions_safety(text: str) -> bool:
    return bool(_SAFETY.search(text))


def safety_caveat(reply: str) -> str | None:
    """The sentence to speak after ``reply`` when it mentions something safety-relevant without any hedge."""
    if mentions_safety(reply) and not _HEDGE.search(reply):
        return SAFETY_CAVEAT
    return None

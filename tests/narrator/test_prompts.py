"""The narrator's prompts: request kinds, which turns take a new frame, the instructions, and the safety caveat."""

from __future__ import annotations

import pytest

from app.modes.base import LookPolicy, SpeechStyle
from app.modes.registry import get_mode
from app.narrator.prompts import (
    NARRATOR_SYSTEM,
    SAFETY_CAVEAT,
    NarratorRequest,
    Verbosity,
    classify_request,
    instruction,
    mentions_safety,
    PlannedTurn,
    narration_text,
    plan_turn,
    needs_new_frame,
    request_text,
    safety_caveat,
)
from app.narrator.scheduler import Reason

R = NarratorRequest


@pytest.mark.parametrize("text,kind", [
    ("What's in front of me?", R.DESCRIBE),
    ("what do you see", R.DESCRIBE),
    ("Describe the room", R.DESCRIBE),
    ("where am I", R.DESCRIBE),
    ("look again", R.DESCRIBE),
    ("Read this", R.READ),
    ("can you read this letter for me", R.READ),
    ("what does it say?", R.READ),
    ("what's written on the label", R.READ),
    ("What colour is this?", R.COLOUR),
    ("what color is my shirt", R.COLOUR),
    ("read the colour on the label", R.READ),  # reading wins: the words are on the label
    ("Is anyone there?", R.PERSON),
    ("is somebody in the room", R.PERSON),
    ("who's that", R.PERSON),
    ("how many people are here", R.PERSON),
    ("and on the left?", R.FOLLOW_UP),
    ("what about the other one", R.FOLLOW_UP),
    ("tell me more", R.FOLLOW_UP),
    ("how big is it", R.FOLLOW_UP),
    ("is it open?", R.FOLLOW_UP),
    ("Tell me a joke", R.OTHER),
    ("thank you", R.OTHER),
    ("", R.OTHER),
])
def test_classify_request(text, kind):
    assert classify_request(text) is kind


def test_only_looking_requests_take_a_new_frame_follow_ups_reuse_the_last_one():
    assert [k for k in R if needs_new_frame(k)] == [R.DESCRIBE, R.READ, R.COLOUR, R.PERSON]


def test_instructions_say_what_each_request_needs():
    read = instruction(R.READ, Verbosity.BRIEF)
    assert "word for word" in read and "reading order" in read and "cut off at an edge" in read
    assert "move the camera" in read and "blurred" in read
    assert "sentences" not in read  # reading is never shortened, whatever the verbosity
    assert "one or two short sentences" in instruction(R.DESCRIBE, Verbosity.BRIEF)
    assert "four" in instruction(R.DESCRIBE, Verbosity.DETAILED)
    assert "Do not guess who" in instruction(R.PERSON)
    assert "picture you were shown last" in instruction(R.FOLLOW_UP)
    assert instruction(R.OTHER) == ""
    assert request_text("  read this ") == f"read this\n\n({instruction(R.READ)})"
    assert request_text("tell me a joke") == "tell me a joke"
    assert plan_turn("what colour is this?") == PlannedTurn(R.COLOUR, request_text("what colour is this?"), True)
    assert plan_turn("tell me more").new_frame is False


def test_narration_prompts_ask_for_what_changed_not_the_whole_scene():
    changed = narration_text(Reason.CHANGED)
    assert "one short sentence" in changed and "not the whole scene" in changed
    assert "one or two short sentences" in narration_text(Reason.CHANGED, Verbosity.DETAILED)
    assert "what the camera sees now" in narration_text(Reason.FIRST_LOOK)


def test_system_prompt_asks_for_honest_uncertainty_and_safety_wording():
    assert "not sure" in NARRATOR_SYSTEM and "I may be wrong" in NARRATOR_SYSTEM
    assert "stairs" in NARRATOR_SYSTEM and "traffic" in NARRATOR_SYSTEM


@pytest.mark.parametrize("reply,caveat", [
    ("There are three steps going down just ahead.", True),
    ("A car is parked on the right.", True),
    ("There are no stairs here.", True),  # being wrong about "no stairs" matters just as much
    ("I think there is a kerb ahead.", True),  # "I think" is not enough for a kerb
    ("There is a kerb ahead, but I may be wrong.", False),
    ("Stairs ahead; please check before you step.", False),
    ("I'm not sure, but that could be a step.", False),
    ("A red mug on a wooden table.", False),
    ("The label says Stepney Road.", True),  # "road": a false alarm costs one sentence, a miss costs a fall
])
def test_safety_caveat_is_added_when_a_safety_word_has_no_may_be_wrong(reply, caveat):
    assert (safety_caveat(reply) == SAFETY_CAVEAT) is caveat
    assert mentions_safety(SAFETY_CAVEAT) is False


def test_the_narrator_mode_is_registered_with_the_narrator_prompt():
    mode = get_mode("narrator")
    assert mode.system_prompt == NARRATOR_SYSTEM and mode.tools == ()
    assert mode.look is LookPolicy.ON_REQUEST and mode.speech is SpeechStyle.CONVERSATIONAL

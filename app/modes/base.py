"""What a mode is: a frozen description the loop reads (system prompt, when to look, which tools, how to speak).

A mode holds no behaviour of its own; the loop and the front ends read its fields. Adding a mode is adding a file
that calls ``register_mode(Mode(...))``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class LookPolicy(enum.Enum):
    """When the newest camera/screen frame goes with a user turn."""

    NEVER = "never"
    ON_REQUEST = "on_request"  # when the words point at it ("what is this", "on my screen")
    ALWAYS = "always"


class SpeechStyle(enum.Enum):
    """How replies are voiced."""

    CONVERSATIONAL = "conversational"  # the whole reply is spoken
    BRIEF_SUMMARY = "brief_summary"  # one or two sentences spoken; code, diffs and output shown, not read


@dataclass(frozen=True)
class Mode:
    name: str  # the key: --mode NAME, settings
    title: str  # shown in the GUI picker
    system_prompt: str
    look: LookPolicy = LookPolicy.ON_REQUEST
    tools: tuple[str, ...] = ()  # tool names (app/tools registry) the model may call
    speech: SpeechStyle = SpeechStyle.CONVERSATIONAL
    needs_workspace: bool = False  # tools act on a workspace folder the user picked
    max_tool_steps: int = 0  # tool round trips allowed per user turn (0: no tools)
    max_spoken_sentences: int = 0  # 0: no limit; BRIEF_SUMMARY speaks at most this many

    def __post_init__(self) -> None:
        if self.tools and self.max_tool_steps <= 0:
            raise ValueError(f"mode {self.name!r} has tools but max_tool_steps {self.max_tool_steps}")

"""Events and intents of the voice loop (session) — the GUI renders the events and emits the intents.

Events flow from the session (and engine) to front ends; intents flow from front ends to the session. All frozen.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from app.engine.messages import now
from app.conversations.store import ConversationInfo
from app.tools.base import Proposal, ToolCall, ToolResult
from models.base import ImageInput, Message, Role


class LoopState(enum.Enum):
    IDLE = "idle"
    LISTENING = "listening"
    TRANSCRIBING = "transcribing"
    THINKING = "thinking"
    SPEAKING = "speaking"


class Stage(enum.Enum):
    """Points on a turn's latency timeline, in the order they normally happen."""

    END_OF_SPEECH = "end of speech"
    FINAL_TRANSCRIPT = "final transcript"
    FIRST_TOKEN = "first token"
    FIRST_CLAUSE = "first clause"
    FIRST_AUDIO = "first audio"
    REPLY_DONE = "reply done"
    BARGE_IN = "barge-in"


# --------------------------------------------------------------------------------------------------- events
@dataclass(frozen=True)
class StateChanged:
    state: LoopState
    turn_id: int = 0
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class MicLevel:
    """Microphone level for the meter: dBFS of the last block (-100 = silence) and whether voice is detected."""

    dbfs: float
    voice: bool = False
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class UserSaid:
    """A user turn as it enters the history (typed or transcribed), with any attached images."""

    turn_id: int
    text: str
    images: tuple[ImageInput, ...] = ()
    message_id: str = ""
    stt_turn_id: int | None = None  # the transcription this came from (spoken), None when typed
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class InputIgnored:
    """A user input ended without a reply (empty transcript, Hearth's own echo, a backchannel): the turn is over."""

    turn_id: int
    reason: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ReplyRecorded:
    """A reply (whole, heard part, or what came before a failure) entered the history under ``message_id``."""

    turn_id: int
    message_id: str
    text: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ReplyHeard:
    """After barge-in: the part of the reply the user actually heard, which is all the history keeps."""

    turn_id: int
    heard_text: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class StageMark:
    stage: Stage
    t: float


@dataclass(frozen=True)
class TurnTimeline:
    """One turn's latency timeline; marks are monotonic timestamps (seconds), in arrival order."""

    turn_id: int
    marks: tuple[StageMark, ...]
    cold_load_s: float = 0.0  # model loading that happened during this turn, reported apart

    def at(self, stage: Stage) -> float | None:
        return next((m.t for m in self.marks if m.stage is stage), None)


@dataclass(frozen=True)
class Notice:
    """Something the user should know that is not an error (e.g. oldest turns summarised)."""

    message: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class MemoryStats:
    """KV cache occupancy for the memory panel."""

    tokens: int
    bytes: int
    bf16_bytes: int  # what the same tokens would take uncompressed
    tokens_that_fit: int  # how many more tokens the budget allows


# -------------------------------------------------------------------------------------------------- intents
@dataclass(frozen=True)
class PushToTalk:
    pressed: bool
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class SetHandsFree:
    enabled: bool


@dataclass(frozen=True)
class SendText:
    text: str
    images: tuple[ImageInput, ...] = ()
    message_id: str = ""  # chosen by the front end (so its pending bubble is keyed by it); "" = the session picks


@dataclass(frozen=True)
class StopReply:
    pass


@dataclass(frozen=True)
class SwapModel:
    role: Role
    model_id: str


# ------------------------------------------------------------------------------------------- conversations
@dataclass(frozen=True)
class NewConversation:
    system: str = ""  # its own system prompt ("" = the default)


@dataclass(frozen=True)
class OpenConversation:
    conversation_id: str


@dataclass(frozen=True)
class RenameConversation:
    conversation_id: str
    title: str


@dataclass(frozen=True)
class DeleteConversation:
    conversation_id: str


@dataclass(frozen=True)
class ListConversations:
    pass


@dataclass(frozen=True)
class ConversationOpened:
    """The session now continues this conversation; ``messages`` is its history as saved."""

    info: ConversationInfo
    messages: tuple[Message, ...]  # ChatMessage, and AssistantToolCalls / ToolReply for tool steps
    problems: tuple[str, ...] = ()
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ConversationList:
    items: tuple[ConversationInfo, ...]
    current: str = ""
    t: float = field(default_factory=now)


# ------------------------------------------------------------------------------------------------- tools
@dataclass(frozen=True)
class ToolStarted:
    """A tool is working: ``notice`` ("Reading main.py…") is shown and said."""

    turn_id: int
    call: ToolCall
    notice: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ToolFinished:
    """A tool's result (or why it could not run); ``result.display`` is what the conversation shows."""

    turn_id: int
    result: ToolResult
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ApprovalRequested:
    """A write/run tool waits for the user's yes: show ``proposal.detail`` (diff or command) with Approve / Reject."""

    turn_id: int
    call: ToolCall
    proposal: Proposal
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ApprovalGiven:
    """How the user answered (recorded in the conversation with the tool's result)."""

    turn_id: int
    call_id: str
    approved: bool
    answer: str
    t: float = field(default_factory=now)


# ------------------------------------------------------------------------------------------- modes, narrator
@dataclass(frozen=True)
class SetMode:
    """Work in another mode (app/modes/), optionally on another workspace folder ("" = keep)."""

    mode: str
    workspace: str = ""


@dataclass(frozen=True)
class ModeChanged:
    mode: str
    title: str
    workspace: str  # "" when the mode has no workspace
    tools: tuple[str, ...]
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ModeRefused:
    """A SetMode could not be applied (unknown, forbidden by policy, no workspace): the mode stays as it was."""

    mode: str
    message: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class SetNarration:
    """Narrator mode: describe changes in view without being asked (on) or only on request (off)."""

    on: bool


@dataclass(frozen=True)
class NarrationChanged:
    """Continuous narration switched on or off (say it: a blind user cannot see the toggle)."""

    on: bool
    t: float = field(default_factory=now)

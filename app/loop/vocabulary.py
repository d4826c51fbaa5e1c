"""The voice loop's vocabulary: its configuration, the events it takes, the commands it returns and its state.

All frozen; the transitions live in :mod:`app.loop.machine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from app.conversations.transcript import Transcript
from app.engine.messages import AudioChunk, EngineRequest
from app.loop.events import LoopState
from app.loop.turn import Turn
from app.narrator.prompts import Verbosity
from app.tools.base import Proposal, ToolCall
from models.base import ChatMessage, ImageInput, SamplingParams
from models.tool_format import ParsedCall, ToolSpec


class ClauseCutter(Protocol):
    def __call__(self, pending: str, first: bool, final: bool) -> tuple[tuple[str, ...], str]: ...


@dataclass(frozen=True)
class LoopConfig:
    hands_free: bool = True
    speak: bool = True  # synthesise replies (off: text only)
    interrupt_on_backchannel: bool = False
    voice: str | None = None
    speed: float = 1.0
    sampling: SamplingParams = SamplingParams(max_tokens=400, temperature=0.0)
    always_look: bool = False  # the mode attaches the newest frame to every turn (narrator)
    barge_in_after_s: float = 0.9  # speech this long over a reply stops it at once (0: wait for the transcript)
    max_history_tokens: int = 24000
    stt_language: str | None = None  # skip language detection
    tools: tuple[ToolSpec, ...] = ()  # what the mode lets the model call (rendered by its chat template)
    max_tool_steps: int = 8  # tool round trips per user turn
    max_spoken_clauses: int = 0  # coding mode speaks a short summary, shows the rest (0 = speak everything)
    narrator: Verbosity | None = None  # narrator mode: requests planned (read / describe / ...), safety caveats


# ------------------------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class HeardSpeech:
    """An utterance from the endpointer; ``t_end`` is the monotonic time the user stopped speaking."""

    pcm: np.ndarray = field(repr=False, compare=False)
    sample_rate: int = 16000
    t_end: float = 0.0


@dataclass(frozen=True)
class SpeechBegan:
    """The user started speaking (voice activity); partial transcripts may follow."""


@dataclass(frozen=True)
class PartialSpeech:
    """The audio of the utterance so far, for a partial transcript (low engine priority)."""

    pcm: np.ndarray = field(repr=False, compare=False)
    sample_rate: int = 16000


@dataclass(frozen=True)
class UserInput:
    """A finished user turn: typed, or the final transcript of ``turn_id`` (then ``spoken``)."""

    text: str
    images: tuple[ImageInput, ...] = ()
    frame: ImageInput | None = None  # the newest camera/screen frame, attached if the turn calls for it
    spoken_turn: int | None = None
    message_id: str = ""  # the front end's id for a typed message ("" = a new one)
    narration_id: int | None = None  # a narration the session asked for (not the user's words; never interrupts)


@dataclass(frozen=True)
class PlaybackFinished:
    turn_id: int


@dataclass(frozen=True)
class PlaybackFlushed:
    """The player's report after a flush: seconds heard and total seconds queued, per clause id."""

    turn_id: int
    heard_seconds: dict[int, float] = field(default_factory=dict, compare=False)
    clause_seconds: dict[int, float] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Interrupt:
    """The user asked to stop the reply (button, key) — or ``then`` a new input barged in."""

    then: UserInput | None = None


# ----------------------------------------------------------------------------------------------- commands
@dataclass(frozen=True)
class Submit:
    request: EngineRequest


@dataclass(frozen=True)
class CancelTurn:
    turn_id: int


@dataclass(frozen=True)
class Play:
    chunk: AudioChunk


@dataclass(frozen=True)
class Flush:
    turn_id: int


@dataclass(frozen=True)
class Publish:
    event: Any


@dataclass(frozen=True)
class Record:
    """A complete message entered the history: the session saves it (append-only) to the conversation."""

    message: ChatMessage


@dataclass(frozen=True)
class EndOfAudio:
    """No more audio will come for this turn: the player posts PlaybackFinished once it has played it all."""

    turn_id: int


@dataclass(frozen=True)
class StartTool:
    """Plan this parsed call (validate, look up its risk) and report ToolPlanned or its error result."""

    turn_id: int
    call: ParsedCall


@dataclass(frozen=True)
class ProposeTool:
    """Compute what the user must approve (on the tool worker): the runner posts ProposalReady."""

    turn_id: int
    call: ToolCall


@dataclass(frozen=True)
class RunTool:
    turn_id: int
    call: ToolCall
    approved: Proposal | None = None


@dataclass(frozen=True)
class CancelTools:
    """Barge-in: the running tool stops (its cancel event is set)."""

    turn_id: int


@dataclass(frozen=True)
class ToolPlanned:
    """A valid call: ``needs_approval`` for write/run tools; ``notice`` is said and shown while it works."""

    turn_id: int
    call: ToolCall
    notice: str
    needs_approval: bool


@dataclass(frozen=True)
class ApprovalAnswer:
    """The user's answer to the pending proposal (a button, y/N, or a short spoken yes/no)."""

    call_id: str
    approved: bool
    answer: str = "button"


# -------------------------------------------------------------------------------------------------- state
@dataclass(frozen=True)
class Loop:
    config: LoopConfig = LoopConfig()
    phase: LoopState = LoopState.LISTENING
    history: Transcript = Transcript()
    turn: Turn | None = None  # the reply in progress
    stt_turn: int | None = None  # the utterance being transcribed
    stt_end: float = 0.0
    after_flush: UserInput | None = None
    partial_pending: bool = False  # at most one partial transcription in flight
    recent_speech: tuple[str, ...] = ()  # Hearth's own latest clauses, to recognise its voice coming back
    next_id: int = 1
    conversation_id: str = ""  # whose live prompt cache the engine continues

    @property
    def resting(self) -> LoopState:
        return LoopState.LISTENING if self.config.hands_free else LoopState.IDLE

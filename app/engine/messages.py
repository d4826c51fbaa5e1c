"""Every value that crosses a thread boundary in Hearth: engine requests and the events that come back.

All are frozen dataclasses holding plain Python / numpy data (never ``mx.array``). Requests carry a ``turn_id`` so
that a cancelled turn's queued work is dropped, and a :class:`Priority` that orders the engine's queue.
"""

from __future__ import annotations

import enum
import itertools
import time
from dataclasses import dataclass, field

import numpy as np

from models.base import ChatRequest, Role
from models.tool_format import ParsedCall

NO_TURN = 0  # turn_id of work that belongs to no conversation turn (model loads, `hearth say`)
_turn_ids = itertools.count(1)


def new_turn_id() -> int:
    return next(_turn_ids)


class Priority(enum.IntEnum):
    """Lower runs first. A token step of a running generation ranks as GENERATE."""

    CONTROL = 0  # cancel, shutdown
    TTS = 10  # speech the user is waiting to hear
    STT = 20  # final transcript
    STT_PARTIAL = 40
    GENERATE = 50  # generations and model loads: first come, first served, after everything above


# ---------------------------------------------------------------------------------------------------- requests
@dataclass(frozen=True)
class LoadModel:
    role: Role  # LLM and VLM both mean "the chat model"
    model_id: str  # catalog name, Hugging Face id or local folder
    turn_id: int = NO_TURN

    @property
    def priority(self) -> Priority:
        """A load ranks with the work that needs it, so it runs before any such request submitted after it:
        a chat-model swap happens between replies, a voice or ear loads ahead of queued speech."""
        return {Role.STT: Priority.STT, Role.TTS: Priority.TTS}.get(self.role, Priority.GENERATE)


@dataclass(frozen=True)
class Generate:
    turn_id: int
    request: ChatRequest
    conversation_id: str = ""  # whose live prompt cache to continue ("" = a one-off request, fresh cache)
    priority: Priority = Priority.GENERATE


@dataclass(frozen=True)
class Transcribe:
    turn_id: int
    pcm: np.ndarray = field(repr=False, compare=False)  # mono float32
    sample_rate: int = 16000
    partial: bool = False
    language: str | None = None  # skip language detection ("en", ...)

    @property
    def priority(self) -> Priority:
        return Priority.STT_PARTIAL if self.partial else Priority.STT


@dataclass(frozen=True)
class Synthesize:
    turn_id: int
    clause_id: int
    text: str
    voice: str | None = None
    speed: float = 1.0
    priority: Priority = Priority.TTS


@dataclass(frozen=True)
class SaveCache:
    """Write the conversation's live prompt cache to ``path`` (atomically), if the engine holds one."""

    conversation_id: str
    path: str
    turn_id: int = NO_TURN
    priority: Priority = Priority.CONTROL  # before a Shutdown submitted after it (same priority: first come first)


@dataclass(frozen=True)
class LoadCache:
    """Make the snapshot at ``path`` the conversation's live cache, if it was saved for the loaded model."""

    conversation_id: str
    path: str
    turn_id: int = NO_TURN
    priority: Priority = Priority.GENERATE  # after the model load queued before it


@dataclass(frozen=True)
class Cancel:
    turn_id: int
    priority: Priority = Priority.CONTROL


@dataclass(frozen=True)
class Shutdown:
    turn_id: int = NO_TURN
    priority: Priority = Priority.CONTROL


# ------------------------------------------------------------------------------------------------------ events
def now() -> float:
    """Monotonic timestamp used by every event, so stage latencies can be subtracted."""
    return time.monotonic()


@dataclass(frozen=True)
class ModelLoaded:
    role: Role
    model_id: str
    load_seconds: float
    supports_images: bool = False
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ModelLoadFailed:
    """A model load failed: which role and model; an ErrorEvent with the same message follows."""

    role: Role
    model_id: str
    message: str
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class TextDelta:
    turn_id: int
    text: str
    index: int  # token index within the reply
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class GenerationStats:
    prompt_tokens: int
    generated_tokens: int
    time_to_first_token_s: float
    tokens_per_second: float
    prompt_tokens_per_second: float
    peak_memory_gb: float
    kv_tokens: int = 0  # tokens held by the prompt cache after the reply
    kv_bytes: int = 0  # bytes of the prompt cache (all layers, compressed or not)
    reused_tokens: int = 0  # prompt tokens the live cache already held (not fed again)
    rebuilt_cache: bool = False  # the live cache could not be reused and was rebuilt from the transcript

    @property
    def fed_tokens(self) -> int:
        return self.prompt_tokens - self.reused_tokens


@dataclass(frozen=True)
class GenerationDone:
    turn_id: int
    text: str  # what the model said, tool-call markup removed
    stats: GenerationStats
    finish_reason: str
    tool_calls: tuple[ParsedCall, ...] = ()  # calls in the model's own format, parsed by mlx-lm's parser
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class TranscriptEvent:
    turn_id: int
    text: str
    partial: bool
    audio_seconds: float
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class AudioChunk:
    turn_id: int
    clause_id: int
    pcm: np.ndarray = field(repr=False, compare=False)  # mono float32
    sample_rate: int = 24000
    last: bool = False  # the clause's final chunk
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class Cancelled:
    turn_id: int
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class ErrorEvent:
    """An error as a value: ``message`` is for the user (what happened and the fix), ``detail`` for logs."""

    message: str
    turn_id: int = NO_TURN
    detail: str = ""
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class CacheSaved:
    conversation_id: str
    path: str
    tokens: int
    nbytes: int
    seconds: float
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class CacheRestored:
    """``ok``: the snapshot is the live cache now (no prefill needed); else ``reason`` says why it was not used and
    the next turn re-reads the transcript."""

    conversation_id: str
    ok: bool
    tokens: int = 0
    seconds: float = 0.0
    reason: str = ""
    t: float = field(default_factory=now)


@dataclass(frozen=True)
class EngineStopped:
    t: float = field(default_factory=now)


EngineRequest = LoadModel | Generate | Transcribe | Synthesize | SaveCache | LoadCache | Cancel | Shutdown
EngineEvent = (
    ModelLoaded | ModelLoadFailed | TextDelta | GenerationDone | TranscriptEvent | AudioChunk | CacheSaved
    | CacheRestored | Cancelled | ErrorEvent | EngineStopped
)

"""Protocols every model adapter implements, and the typed values they exchange.

Adapters live one per file (``llm_mlx.py``, ``vlm_mlx.py``, ``stt_*.py``, ``tts_*.py``) and register themselves
with :mod:`models.registry`. They run only on the engine thread; nothing here crosses threads except the frozen
dataclasses, which hold plain Python / numpy values, never ``mx.array``.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Protocol, Union, runtime_checkable

import numpy as np


PREFILL_CHUNK = 512  # prompt tokens per forward pass when the engine feeds a prompt (one engine step each)


class Role(enum.Enum):
    """What a model does in Hearth."""

    LLM = "llm"  # text only
    VLM = "vlm"  # text + images
    STT = "stt"
    TTS = "tts"


class Speaker(enum.Enum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True)
class ImageInput:
    """An image for the model: a file on disk, or RGB pixels (H, W, 3) uint8."""

    path: Path | None = None
    rgb: np.ndarray | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if (self.path is None) == (self.rgb is None):
            raise ValueError("ImageInput needs exactly one of path or rgb")


@dataclass(frozen=True)
class ChatMessage:
    speaker: Speaker
    text: str
    images: tuple[ImageInput, ...] = ()
    message_id: str = ""  # stable id of the message in its conversation ("" for one-off requests)


@dataclass(frozen=True)
class SamplingParams:
    max_tokens: int = 512
    temperature: float = 0.0
    top_p: float = 1.0
    seed: int | None = None


if TYPE_CHECKING:
    from models.tool_format import AssistantToolCalls, ToolReply, ToolSpec

Message = Union[ChatMessage, "AssistantToolCalls", "ToolReply"]  # a tool call and its result are messages too


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    sampling: SamplingParams = SamplingParams()
    tools: tuple["ToolSpec", ...] = ()  # rendered by the model's own chat template; calls parsed by mlx-lm's parser

    @property
    def uses_tools(self) -> bool:
        return bool(self.tools) or any(not isinstance(m, ChatMessage) for m in self.messages)


@dataclass(frozen=True)
class TokenPiece:
    """One decoding step's output."""

    text: str  # decoded text this step adds (may be "" while a multi-byte char is incomplete)
    token: int
    prompt_tokens: int
    prompt_tps: float
    generation_tps: float
    peak_memory_gb: float
    finish_reason: str | None = None  # "stop" | "length" | None


@dataclass(frozen=True)
class EncodedPrompt:
    """A request rendered to token ids by the model's chat template. Engine thread only: ``inputs`` may hold the
    adapter's prepared arrays (pixels) for a prompt with images."""

    tokens: tuple[int, ...]
    media_start: int | None = None  # index of the first image token; None for a text-only prompt
    inputs: Any = field(default=None, compare=False, repr=False)
    stable: int = 0  # tokens that later turns render the same way (the messages, not the generation prompt)


@dataclass(frozen=True)
class TranscriptResult:
    text: str
    language: str | None = None


@dataclass(frozen=True)
class AudioPiece:
    """A chunk of synthesised speech: mono float32 in [-1, 1]."""

    pcm: np.ndarray = field(repr=False)
    sample_rate: int


@dataclass(frozen=True)
class ModelInfo:
    """What a loaded adapter tells about itself."""

    model_id: str
    role: Role
    backend: str
    variant: str = ""  # how it was loaded differently from its folder (e.g. "yarn4": the context extension on)


@runtime_checkable
class ChatModel(Protocol):
    """Streaming text (LLM) or text+image (VLM) generation."""

    info: ModelInfo

    @property
    def supports_images(self) -> bool: ...

    def make_prompt_cache(self) -> list[Any]:
        """A fresh per-layer prompt cache; the engine owns it (and may swap in compressed caches)."""
        ...

    def stream(self, request: ChatRequest, prompt_cache: list[Any]) -> Iterator[TokenPiece]:
        """Generate a reply to ``request`` from an empty cache, one step per ``next()``; the cache is the engine's."""
        ...

    # The live prompt cache (app/engine/live_cache.py) drives these: it keeps what a conversation already fed.
    def encode(self, request: ChatRequest) -> EncodedPrompt:
        """The request's prompt as token ids (chat template, generation prompt added)."""
        ...

    def prefill(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int, end: int) -> None:
        """Feed the text-only tokens ``prompt.tokens[start:end]`` into a cache that holds ``[:start]``."""
        ...

    def generate(self, prompt: EncodedPrompt, prompt_cache: list[Any], start: int,
                 sampling: SamplingParams) -> Iterator[TokenPiece]:
        """Feed ``prompt.tokens[start:]`` (the cache holds ``[:start]``), then stream the reply."""
        ...

    def tool_format(self) -> Any:
        """How this model writes tool calls (models.tool_format.ToolFormat), or None when its template has none."""
        ...

    def position_state(self) -> Any:
        """Per-conversation position state the model keeps outside the cache (Qwen-VL's mRoPE deltas), or None."""
        ...

    def set_position_state(self, state: Any) -> None:
        """Restore what ``position_state`` returned (None: a fresh conversation)."""
        ...


@runtime_checkable
class SpeechToText(Protocol):
    info: ModelInfo

    @property
    def sample_rate(self) -> int: ...

    def transcribe(self, pcm: np.ndarray, sample_rate: int, language: str | None = None) -> TranscriptResult:
        """``language`` ("en", ...) skips language detection; None: the model's default or detection."""
        ...


@runtime_checkable
class TextToSpeech(Protocol):
    info: ModelInfo

    @property
    def sample_rate(self) -> int: ...

    def voices(self) -> tuple[str, ...]: ...

    def synthesize(self, text: str, voice: str | None, speed: float) -> Iterator[AudioPiece]: ...


@dataclass(frozen=True)
class ModelFolder:
    """A model's local files, with its parsed ``config.json`` (or empty when it has none)."""

    path: Path
    config: dict[str, Any] = field(compare=False, repr=False, default_factory=dict)


class ModelError(Exception):
    """A model could not be found, loaded or run. ``str()`` is a user-facing message with the fix."""

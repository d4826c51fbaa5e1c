"""The vocabulary of tools: what a call, a result, a proposal and a tool's context are, and the Tool protocol.

Everything here is a frozen value so it can cross threads (a ToolRunner worker posts a ToolResult back to the
session). A tool never raises out of ``run``: failures are ``ToolResult(ok=False, error=...)`` values the model can
read and correct.
"""

from __future__ import annotations

import enum
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Mapping, Protocol, runtime_checkable

if TYPE_CHECKING:
    from app.tools.undo import UndoJournal

MAX_CONTENT_CHARS = 12_000  # what one tool result may feed back to the model (~3k tokens)


class Risk(enum.Enum):
    """What running a tool can do: READ needs no confirmation; WRITE and RUN need the user's yes."""

    READ = "read"
    WRITE = "write"
    RUN = "run"

    @property
    def needs_approval(self) -> bool:
        return self is not Risk.READ


class DisplayKind(enum.Enum):
    """How the UI shows a tool's output (always monospace; the GUI may collapse it)."""

    DIFF = "diff"
    COMMAND_OUTPUT = "command_output"
    FILE_EXCERPT = "file_excerpt"
    TEXT = "text"


@dataclass(frozen=True)
class ToolDisplay:
    kind: DisplayKind
    text: str
    title: str = ""  # e.g. "app/main.py lines 10-40" or "$ pytest -q"


def _frozen_mapping(value: Mapping[str, object]) -> Mapping[str, object]:
    return MappingProxyType(dict(value))


@dataclass(frozen=True)
class ToolCall:
    """A validated call: ``arguments`` already match the tool's schema (see app.tools.calls.prepare_call)."""

    call_id: str
    name: str
    arguments: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arguments", _frozen_mapping(self.arguments))

    def __hash__(self) -> int:
        return hash((self.call_id, self.name))


@dataclass(frozen=True)
class ToolResult:
    call_id: str
    name: str
    ok: bool
    content: str  # what the model reads back (capped to MAX_CONTENT_CHARS)
    display: ToolDisplay | None = None  # what the UI shows
    error: str = ""  # user/model-facing reason when not ok

    def __post_init__(self) -> None:
        if len(self.content) > MAX_CONTENT_CHARS:
            object.__setattr__(self, "content", cap_text(self.content, MAX_CONTENT_CHARS))


class ProposalKind(enum.Enum):
    EDIT = "edit"  # a diff to apply
    COMMAND = "command"  # a command to run


@dataclass(frozen=True)
class Proposal:
    """What the user must approve before a WRITE/RUN tool acts: shown as-is (monospace), summarised when spoken."""

    kind: ProposalKind
    summary: str  # one short sentence, e.g. "Edit app/main.py: 3 lines changed" (spoken / title)
    detail: str  # the unified diff, or the command line
    paths: tuple[str, ...] = ()  # workspace-relative files it touches


@dataclass(frozen=True)
class ToolContext:
    """Everything a tool may use. ``cancel`` is set by barge-in; long-running tools check it."""

    workspace: Path | None
    offline: bool = True
    allowed_commands: tuple[str, ...] = ()
    cancel: threading.Event = field(default_factory=threading.Event, compare=False)
    undo: "UndoJournal | None" = field(default=None, compare=False)
    command_timeout_s: float = 120.0
    max_read_bytes: int = 256_000
    max_output_chars: int = 8_000


@runtime_checkable
class Tool(Protocol):
    name: str
    description: str
    parameters: Mapping[str, Any]  # JSON schema of the arguments (type "object")
    risk: Risk

    def notice(self, args: Mapping[str, object]) -> str:
        """A short notice spoken/shown while the tool runs, e.g. "Reading main.py…"."""
        ...

    def proposal(self, args: Mapping[str, object], ctx: ToolContext) -> "Proposal | ToolResult | None":
        """For WRITE/RUN tools: what the user must approve (or an error result when the call cannot work).
        READ tools return None."""
        ...

    def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolResult:
        """Do it. Never raises: errors are ToolResult(ok=False)."""
        ...


def cap_text(text: str, limit: int, keep: str = "head") -> str:
    """``text`` cut to ``limit`` characters with a marker saying how much was left out (keep head or tail)."""
    if len(text) <= limit:
        return text
    dropped = len(text) - limit
    if keep == "tail":
        return f"[… {dropped} characters cut …]\n" + text[-limit:]
    return text[:limit] + f"\n[… {dropped} characters cut …]"


def ok(call_id: str, name: str, content: str, display: ToolDisplay | None = None) -> ToolResult:
    return ToolResult(call_id, name, True, content, display)


def failed(call_id: str, name: str, error: str) -> ToolResult:
    return ToolResult(call_id, name, False, f"Error: {error}", None, error)

"""The workspace settings the tools run under, and the ToolContext made from them for one user turn.

A settings section can hold ``WorkspaceSettings`` as is (frozen, plain values). Each turn gets a fresh cancel Event
(barge-in sets it); the undo journal lives as long as the conversation.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from app.tools.base import ToolContext
from app.tools.undo import UndoJournal

# Test runners and linters; each run still needs the user's yes. Matching is by leading words (see run_command).
DEFAULT_ALLOWED_COMMANDS = (
    "pytest", "python -m pytest", "python3 -m pytest", "uv run pytest", "ruff check", "ruff format --check",
    "mypy", "uv run mypy", "npm test", "npm run lint", "cargo test", "cargo check", "go test", "make test",
)


@dataclass(frozen=True)
class WorkspaceSettings:
    folder: Path | None = None
    allowed_commands: tuple[str, ...] = DEFAULT_ALLOWED_COMMANDS
    command_timeout_s: float = 120.0
    max_read_bytes: int = 256_000
    max_output_chars: int = 8_000

    def context(self, offline: bool, undo: UndoJournal | None, cancel: threading.Event | None = None) -> ToolContext:
        """The context for one turn (a new cancel Event unless one is given)."""
        return ToolContext(workspace=self.folder, offline=offline, allowed_commands=self.allowed_commands,
                           cancel=cancel or threading.Event(), undo=undo, command_timeout_s=self.command_timeout_s,
                           max_read_bytes=self.max_read_bytes, max_output_chars=self.max_output_chars)

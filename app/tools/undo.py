"""What applied edits replaced, newest last, so "undo that" restores the files as they were.

One journal per conversation; the tool worker thread appends and pops under a lock (the journal is the one owner of
its stack). Entries are frozen values.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from app.tools.workspace import Workspace, WorkspaceError


@dataclass(frozen=True)
class FileChange:
    path: str  # workspace-relative
    before: str | None  # None: the edit created the file
    after: str


@dataclass(frozen=True)
class UndoEntry:
    label: str  # e.g. "edit app/main.py"
    changes: tuple[FileChange, ...]


class UndoJournal:
    def __init__(self, limit: int = 50) -> None:
        self._lock = threading.Lock()
        self._entries: list[UndoEntry] = []
        self._limit = limit

    def record(self, entry: UndoEntry) -> None:
        with self._lock:
            self._entries.append(entry)
            del self._entries[: -self._limit]

    def entries(self) -> tuple[UndoEntry, ...]:
        with self._lock:
            return tuple(self._entries)

    def undo_last(self, workspace: Workspace) -> UndoEntry:
        """Restore the newest entry's files; raises WorkspaceError (entry kept) when there is nothing to undo or a
        file was changed since the edit (so a later hand edit is never lost)."""
        with self._lock:
            if not self._entries:
                raise WorkspaceError("There is no edit to undo.")
            entry = self._entries[-1]
            for change in entry.changes:
                current = _current(workspace, change.path)
                if current != change.after:
                    raise WorkspaceError(f"{change.path} changed since that edit; not undoing it (the edit is kept).")
            for change in entry.changes:
                if change.before is None:
                    workspace.delete(change.path)
                else:
                    workspace.write_text(change.path, change.before)
            self._entries.pop()
            return entry


def _current(workspace: Workspace, path: str) -> str | None:
    try:
        resolved = workspace.resolve(path)
    except WorkspaceError:
        return None
    return resolved.read_bytes().decode("utf-8", errors="replace")

"""undo_edit: put back the files as they were before the newest applied edit ("undo that")."""

from __future__ import annotations

from typing import Mapping

from app.tools._patch import unified
from app.tools._support import WorkspaceTool
from app.tools.base import DisplayKind, Proposal, ProposalKind, Risk, ToolContext, ToolDisplay, ToolResult, ok
from app.tools.registry import register_tool
from app.tools.undo import UndoEntry
from app.tools.workspace import Workspace, WorkspaceError


def _reverse_diff(entry: UndoEntry) -> str:
    return "".join(unified(c.path, c.after, c.before or "") for c in entry.changes)


@register_tool
class UndoEdit(WorkspaceTool):
    name = "undo_edit"
    description = "Undo the newest edit applied in this conversation (restores the previous file contents)."
    parameters = {"type": "object", "properties": {}, "additionalProperties": False}
    risk = Risk.WRITE

    def notice(self, args: Mapping[str, object]) -> str:
        return "Undoing the last edit…"

    def _last(self, ctx: ToolContext) -> UndoEntry:
        entries = ctx.undo.entries() if ctx.undo is not None else ()
        if not entries:
            raise WorkspaceError("there is no edit to undo.")
        return entries[-1]

    def propose(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> Proposal:
        entry = self._last(ctx)
        return Proposal(ProposalKind.EDIT, f"Undo the {entry.label}.", _reverse_diff(entry),
                        tuple(c.path for c in entry.changes))

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        self._last(ctx)
        entry = ctx.undo.undo_last(ws)  # type: ignore[union-attr]  # _last proved it is there
        diff = _reverse_diff(entry)
        return ok("", self.name, f"Undid the {entry.label}.", ToolDisplay(DisplayKind.DIFF, diff, f"undo {entry.label}"))

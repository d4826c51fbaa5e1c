"""edit_file: change one file by search/replace blocks, a unified diff, or whole new content (a new file).

The proposal is the unified diff the user approves; ``run`` (after approval) recomputes it from the file as it is
then, writes atomically and records the previous content in the undo journal.
"""

from __future__ import annotations

from typing import Mapping

from app.tools._patch import PatchError, Replacement, apply_replacements, apply_unified_diff, changed_lines, unified
from app.tools._support import WorkspaceTool, arg_str
from app.tools.base import DisplayKind, Proposal, ProposalKind, Risk, ToolContext, ToolDisplay, ToolResult, ok
from app.tools.registry import register_tool
from app.tools.undo import FileChange, UndoEntry
from app.tools.workspace import Workspace, WorkspaceError


def _current(ws: Workspace, path: str, max_bytes: int) -> str | None:
    """The file's text, None when it does not exist yet; non-UTF-8 or oversized files are refused."""
    target = ws.resolve(path, must_exist=False)
    if not target.exists():
        return None
    if target.is_dir():
        raise WorkspaceError(f"'{path}' is a folder.")
    data = target.read_bytes()
    if len(data) > max_bytes:
        raise WorkspaceError(f"'{path}' is larger than {max_bytes} bytes; it cannot be edited here.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise WorkspaceError(f"'{path}' is not UTF-8 text; it cannot be edited here.") from None


def _edits(args: Mapping[str, object]) -> list[Replacement]:
    raw = args.get("edits") or []
    edits = []
    for n, item in enumerate(raw if isinstance(raw, list) else [], 1):
        if not isinstance(item, Mapping) or not isinstance(item.get("search"), str):
            raise PatchError(f"edit {n} needs 'search' and 'replace' strings.")
        edits.append(Replacement(item["search"], str(item.get("replace", ""))))
    return edits


def new_text(ws: Workspace, args: Mapping[str, object], max_bytes: int) -> tuple[str, str | None, str]:
    """(path, text before (None: new file), text after), or PatchError / WorkspaceError."""
    path = ws.relative(ws.resolve(arg_str(args, "path"), must_exist=False))
    before = _current(ws, path, max_bytes)
    given = [k for k in ("edits", "diff", "content") if args.get(k) not in (None, "", [])]
    if len(given) != 1:
        raise PatchError("give exactly one of 'edits' (search/replace blocks), 'diff' (unified diff) or "
                         "'content' (the whole text of a new file).")
    if given[0] == "content":
        return path, before, arg_str(args, "content")
    if before is None:
        raise WorkspaceError(f"'{path}' does not exist; to create it, give its whole text as 'content'.")
    if given[0] == "diff":
        return path, before, apply_unified_diff(before, arg_str(args, "diff"), path)
    return path, before, apply_replacements(before, _edits(args), path)


@register_tool
class EditFile(WorkspaceTool):
    name = "edit_file"
    description = ("Propose a change to one file: 'edits' = search/replace blocks (each search text must match "
                   "the file exactly once), or 'diff' = a unified diff, or 'content' = the whole text of a new file. "
                   "The user sees the diff and must approve it before it is applied.")
    parameters = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the workspace."},
            "edits": {"type": "array", "items": {
                "type": "object",
                "properties": {"search": {"type": "string"}, "replace": {"type": "string"}},
                "required": ["search", "replace"],
            }},
            "diff": {"type": "string", "description": "A unified diff of this file."},
            "content": {"type": "string", "description": "Whole text of a new file."},
        },
        "required": ["path"],
        "additionalProperties": False,
    }
    risk = Risk.WRITE

    def notice(self, args: Mapping[str, object]) -> str:
        return f"Editing {arg_str(args, 'path').rsplit('/', 1)[-1]}…"

    def propose(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> Proposal:
        path, before, after = new_text(ws, args, ctx.max_read_bytes)
        if before == after:
            raise PatchError(f"that edit leaves {path} unchanged.")
        diff = unified(path, before or "", after)
        added, removed = changed_lines(diff)
        verb = "Create" if before is None else "Edit"
        return Proposal(ProposalKind.EDIT, f"{verb} {path}: {added} line(s) added, {removed} removed.", diff, (path,))

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        path, before, after = new_text(ws, args, ctx.max_read_bytes)
        if before == after:
            raise PatchError(f"that edit leaves {path} unchanged.")
        diff = unified(path, before or "", after)
        ws.write_text(path, after)
        if ctx.undo is not None:
            ctx.undo.record(UndoEntry(f"edit {path}", (FileChange(path, before, after),)))
        added, removed = changed_lines(diff)
        summary = f"{'Created' if before is None else 'Edited'} {path}: +{added} -{removed} lines."
        return ok("", self.name, summary, ToolDisplay(DisplayKind.DIFF, diff, path))

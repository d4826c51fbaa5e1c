"""read_file: a text file of the workspace, whole or a line range, with line numbers (size-capped)."""

from __future__ import annotations

from typing import Mapping

from app.tools._support import WorkspaceTool, arg_int, arg_str, numbered
from app.tools.base import DisplayKind, Risk, ToolContext, ToolDisplay, ToolResult, cap_text, ok
from app.tools.registry import register_tool
from app.tools.workspace import Workspace, WorkspaceError

MAX_LINES = 400


@register_tool
class ReadFile(WorkspaceTool):
    name = "read_file"
    description = (f"Read a text file of the workspace with line numbers; give start_line/end_line for a range "
                   f"(at most {MAX_LINES} lines at a time).")
    parameters = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path relative to the workspace."},
            "start_line": {"type": "integer", "minimum": 1, "description": "First line (1-based)."},
            "end_line": {"type": "integer", "minimum": 1, "description": "Last line (inclusive)."},
        },
        "required": ["path"],
        "additionalProperties": False,
    }
    risk = Risk.READ

    def notice(self, args: Mapping[str, object]) -> str:
        return f"Reading {arg_str(args, 'path').rsplit('/', 1)[-1]}…"

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        path = arg_str(args, "path")
        text, truncated = ws.read_text(path, ctx.max_read_bytes)
        lines = text.splitlines()
        start = arg_int(args, "start_line", 1)
        end = min(arg_int(args, "end_line", start + MAX_LINES - 1), start + MAX_LINES - 1, len(lines))
        if lines and start > len(lines):
            raise WorkspaceError(f"{path} has only {len(lines)} lines; start_line {start} is past the end.")
        body = numbered(lines[start - 1:end], start) if lines else "(empty file)"
        notes = []
        if end < len(lines):
            notes.append(f"[lines {end + 1}-{len(lines)} not shown: ask for them with start_line]")
        if truncated:
            notes.append(f"[file cut at {ctx.max_read_bytes} bytes]")
        content = cap_text(body, ctx.max_output_chars * 2) + ("\n" + "\n".join(notes) if notes else "")
        title = f"{path} lines {start}-{end}" if lines else path
        return ok("", self.name, f"{title}:\n{content}", ToolDisplay(DisplayKind.FILE_EXCERPT, body, title))

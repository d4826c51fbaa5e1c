"""list_files: the workspace's files (or a folder's), .gitignore respected, optionally filtered by a glob."""

from __future__ import annotations

import fnmatch
from typing import Mapping

from app.tools._support import WorkspaceTool, arg_int, arg_str, list_workspace_files
from app.tools.base import DisplayKind, Risk, ToolContext, ToolDisplay, ToolResult, ok
from app.tools.registry import register_tool
from app.tools.workspace import Workspace, WorkspaceError


@register_tool
class ListFiles(WorkspaceTool):
    name = "list_files"
    description = ("List the files of the workspace or of one folder in it (ignored files left out). "
                   "Optionally filter by a glob such as '*.py' or 'tests/**'.")
    parameters = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "Folder relative to the workspace; default the root."},
            "glob": {"type": "string", "description": "Only names matching this pattern, e.g. '*.py'."},
            "limit": {"type": "integer", "minimum": 1, "maximum": 2000, "description": "At most this many."},
        },
        "additionalProperties": False,
    }
    risk = Risk.READ

    def notice(self, args: Mapping[str, object]) -> str:
        return f"Listing {arg_str(args, 'path') or 'the workspace'}…"

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        folder = ws.resolve(arg_str(args, "path", "."))
        if not folder.is_dir():
            raise WorkspaceError(f"'{arg_str(args, 'path')}' is a file, not a folder; read it instead.")
        files = list_workspace_files(ws, folder)
        pattern = arg_str(args, "glob")
        if pattern:
            files = [f for f in files if fnmatch.fnmatch(f, pattern) or fnmatch.fnmatch(f.rsplit("/", 1)[-1], pattern)]
        limit = arg_int(args, "limit", 500)
        shown = files[:limit]
        more = f"\n… and {len(files) - limit} more (narrow with path or glob)" if len(files) > limit else ""
        text = "\n".join(shown) + more if shown else "(no files)"
        header = f"{len(files)} file(s) in {ws.relative(folder)}"
        return ok("", self.name, f"{header}:\n{text}", ToolDisplay(DisplayKind.TEXT, text, header))

"""git: read-only ``git status`` / ``git diff`` / ``git log`` of the workspace repository."""

from __future__ import annotations

import subprocess
from typing import Callable, Mapping

from app.tools._support import WorkspaceTool, arg_int, arg_str, git
from app.tools.base import DisplayKind, Risk, ToolContext, ToolDisplay, ToolResult, cap_text, failed, ok
from app.tools.registry import register_tool
from app.tools.workspace import Workspace, WorkspaceError


def _status(args: Mapping[str, object]) -> list[str]:
    return ["status", "--short", "--branch"]


def _diff(args: Mapping[str, object]) -> list[str]:
    return ["diff", "--no-color", *(["--cached"] if args.get("staged") else [])]


def _log(args: Mapping[str, object]) -> list[str]:
    return ["log", "--no-color", f"-{arg_int(args, 'count', 10)}", "--format=%h %ad %an%n    %s", "--date=short"]


_COMMANDS: dict[str, Callable[[Mapping[str, object]], list[str]]] = {"status": _status, "diff": _diff, "log": _log}
_KINDS = {"status": DisplayKind.COMMAND_OUTPUT, "diff": DisplayKind.DIFF, "log": DisplayKind.COMMAND_OUTPUT}


@register_tool
class Git(WorkspaceTool):
    name = "git"
    description = ("Read the workspace's git state: 'status' (changed files), 'diff' (uncommitted changes; "
                   "staged=true for the index) or 'log' (recent commits). Optionally limited to one path.")
    parameters = {
        "type": "object",
        "properties": {
            "command": {"type": "string", "enum": sorted(_COMMANDS)},
            "path": {"type": "string", "description": "Limit to this file or folder."},
            "staged": {"type": "boolean"},
            "count": {"type": "integer", "minimum": 1, "maximum": 100, "description": "Commits for 'log' (10)."},
        },
        "required": ["command"],
        "additionalProperties": False,
    }
    risk = Risk.READ

    def notice(self, args: Mapping[str, object]) -> str:
        return f"Checking git {arg_str(args, 'command')}…"

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        command = arg_str(args, "command")
        if not ws.is_git():
            raise WorkspaceError("the workspace is not a git repository.")
        argv = _COMMANDS[command](args)
        path = arg_str(args, "path")
        if path:
            argv += ["--", ws.relative(ws.resolve(path, must_exist=False))]
        try:
            out = git(ws, *argv)
        except subprocess.TimeoutExpired:
            return failed("", self.name, f"git {command} took too long.")
        if out.returncode != 0:
            return failed("", self.name, f"git {command}: {out.stderr.strip()[-500:]}")
        text = out.stdout.rstrip() or f"(git {command}: nothing to show)"
        title = f"git {command}" + (f" {path}" if path else "")
        capped = cap_text(text, ctx.max_output_chars)
        return ok("", self.name, f"{title}:\n{capped}", ToolDisplay(_KINDS[command], capped, title))

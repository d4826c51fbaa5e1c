"""Shared pieces of the workspace tools (not a tool: the leading underscore keeps discovery away)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any, Mapping

from app.tools._gitignore import walk_files
from app.tools.base import Proposal, Risk, ToolContext, ToolResult, failed
from app.tools.workspace import Workspace, WorkspaceError

GIT_TIMEOUT_S = 30.0


class WorkspaceTool:
    """Base of the tools that act on the workspace: ``run``/``proposal`` turn every WorkspaceError or OSError into
    an error value; subclasses implement ``act`` (and ``propose`` for WRITE/RUN tools)."""

    name = ""
    description = ""
    parameters: Mapping[str, Any] = {"type": "object", "properties": {}}
    risk = Risk.READ

    def notice(self, args: Mapping[str, object]) -> str:
        return f"Using {self.name}…"

    def proposal(self, args: Mapping[str, object], ctx: ToolContext) -> Proposal | ToolResult | None:
        try:
            return self.propose(args, ctx, Workspace.at(ctx.workspace))
        except (WorkspaceError, OSError, ValueError) as exc:
            return failed("", self.name, _message(exc))

    def run(self, args: Mapping[str, object], ctx: ToolContext) -> ToolResult:
        try:
            return self.act(args, ctx, Workspace.at(ctx.workspace))
        except (WorkspaceError, OSError, ValueError) as exc:
            return failed("", self.name, _message(exc))

    def propose(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> Proposal | ToolResult | None:
        return None

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        raise NotImplementedError


def _message(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        name = Path(exc.filename).name if exc.filename else ""
        return f"{name}: {exc.strerror}" if name else exc.strerror
    return str(exc)


def git(ws: Workspace, *args: str, timeout: float = GIT_TIMEOUT_S) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-c", "core.quotepath=off", "--no-pager", *args], cwd=ws.root,
                          capture_output=True, text=True, errors="replace", timeout=timeout)


def list_workspace_files(ws: Workspace, under: Path | None = None) -> list[str]:
    """Workspace-relative files, .gitignore respected: ``git ls-files`` in a repository, else our own matcher."""
    start = under or ws.root
    if ws.is_git():
        out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", "."],
                             cwd=start, capture_output=True, timeout=GIT_TIMEOUT_S)
        if out.returncode == 0:
            prefix = start.relative_to(ws.root).as_posix()
            names = [n for n in out.stdout.decode("utf-8", "replace").split("\0") if n]
            rels = [n if prefix == "." else f"{prefix}/{n}" for n in names]
            root = str(ws.root)
            return sorted(r for r in rels if os.path.isfile(os.path.join(root, r)))  # (deleted files are listed)
    return walk_files(ws.root, start)


def arg_str(args: Mapping[str, object], key: str, default: str = "") -> str:
    value = args.get(key, default)
    return value if isinstance(value, str) else default


def arg_int(args: Mapping[str, object], key: str, default: int) -> int:
    value = args.get(key, default)
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def numbered(lines: list[str], first: int) -> str:
    width = len(str(first + len(lines) - 1))
    return "\n".join(f"{first + i:>{width}}  {line}" for i, line in enumerate(lines))

"""search: a regular expression over the workspace's files (.gitignore respected), ``path:line: text`` hits.

In a git repository ``git grep -P`` does the work (untracked, not-ignored files included); elsewhere, or when git
cannot run the pattern, a Python scan of the same file list. Both honour the cancel Event.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from app.tools._support import WorkspaceTool, arg_int, arg_str, list_workspace_files
from app.tools.base import DisplayKind, Risk, ToolContext, ToolDisplay, ToolResult, ok
from app.tools.procs import run_process
from app.tools.registry import register_tool
from app.tools.workspace import Workspace, WorkspaceError

MAX_LINE = 240
MAX_FILE_BYTES = 2_000_000


@dataclass(frozen=True)
class Hits:
    lines: tuple[str, ...]
    capped: bool
    engine: str  # "git grep" | "python"


def find(ws: Workspace, pattern: str, under: Path, glob: str, ignore_case: bool, limit: int,
         cancel: threading.Event | None = None, prefer_git: bool = True) -> Hits:
    try:
        rx = re.compile(pattern, re.IGNORECASE if ignore_case else 0)
    except re.error as exc:
        raise WorkspaceError(f"'{pattern}' is not a valid regular expression: {exc}") from None
    if prefer_git and ws.is_git():
        hits = _git_grep(ws, pattern, under, glob, ignore_case, limit, cancel)
        if hits is not None:
            return hits
    return _python_grep(ws, rx, under, glob, limit, cancel)


def _git_grep(ws: Workspace, pattern: str, under: Path, glob: str, ignore_case: bool, limit: int,
              cancel: threading.Event | None) -> Hits | None:
    rel = ws.relative(under)
    spec = (f"{rel}/{glob}" if rel != "." else glob) if glob else rel
    argv = ["git", "-c", "core.quotepath=off", "grep", "-n", "-I", "-P", "--untracked", "--no-color",
            *(["-i"] if ignore_case else []), "-e", pattern, "--", spec]
    out = run_process(argv, ws.root, timeout_s=60.0, cancel=cancel, max_chars=limit * (MAX_LINE + 80) * 4)
    if out.cancelled:
        raise WorkspaceError("search cancelled")
    if out.exit_code not in (0, 1):
        return None  # e.g. a pattern PCRE refuses: the Python scan decides
    lines = []
    for line in out.output.splitlines():
        if line.startswith("[… ") or len(lines) >= limit:
            break
        path, _, rest = line.partition(":")
        num, _, text = rest.partition(":")
        lines.append(f"{path}:{num}: {_short(text)}")
    capped = len(lines) >= limit and len(out.output.splitlines()) > limit
    return Hits(tuple(lines), capped, "git grep")


def _python_grep(ws: Workspace, rx: re.Pattern[str], under: Path, glob: str, limit: int,
                 cancel: threading.Event | None) -> Hits:
    import fnmatch

    lines: list[str] = []
    root = str(ws.root)
    for i, rel in enumerate(list_workspace_files(ws, under)):
        if cancel is not None and i % 64 == 0 and cancel.is_set():
            raise WorkspaceError("search cancelled")
        if glob and not (fnmatch.fnmatch(rel, glob) or fnmatch.fnmatch(rel.rsplit("/", 1)[-1], glob)):
            continue
        try:
            with open(os.path.join(root, rel), "rb") as fh:
                data = fh.read(MAX_FILE_BYTES)
        except OSError:
            continue
        if b"\0" in data[:8192]:
            continue
        text = data.decode("utf-8", errors="replace")
        if not rx.search(text):
            continue
        for num, line in enumerate(text.splitlines(), 1):
            if rx.search(line):
                lines.append(f"{rel}:{num}: {_short(line)}")
                if len(lines) > limit:
                    return Hits(tuple(lines[:limit]), True, "python")
    return Hits(tuple(lines), False, "python")


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MAX_LINE else text[:MAX_LINE] + "…"


@register_tool
class Search(WorkspaceTool):
    name = "search"
    description = ("Search the workspace's files for a regular expression (Python/PCRE syntax); returns "
                   "path:line: text for each matching line.")
    parameters = {
        "type": "object",
        "properties": {
            "pattern": {"type": "string", "minLength": 1, "description": "Regular expression, e.g. 'def load\\('."},
            "path": {"type": "string", "description": "Folder to search in, relative to the workspace."},
            "glob": {"type": "string", "description": "Only files matching this pattern, e.g. '*.py'."},
            "ignore_case": {"type": "boolean"},
            "limit": {"type": "integer", "minimum": 1, "maximum": 500, "description": "Most hits shown (100)."},
        },
        "required": ["pattern"],
        "additionalProperties": False,
    }
    risk = Risk.READ

    def notice(self, args: Mapping[str, object]) -> str:
        pattern = arg_str(args, "pattern")
        plain = re.fullmatch(r"[\w .,-]{1,40}", pattern)  # a regex is not worth speaking
        return f"Searching for {pattern}…" if plain else "Searching the code…"

    def act(self, args: Mapping[str, object], ctx: ToolContext, ws: Workspace) -> ToolResult:
        under = ws.resolve(arg_str(args, "path", "."))
        if not under.is_dir():
            raise WorkspaceError(f"'{arg_str(args, 'path')}' is not a folder.")
        hits = find(ws, arg_str(args, "pattern"), under, arg_str(args, "glob"), bool(args.get("ignore_case")),
                    arg_int(args, "limit", 100), ctx.cancel)
        body = "\n".join(hits.lines) if hits.lines else "(no matches)"
        if hits.capped:
            body += "\n[more matches not shown: narrow the pattern, path or glob]"
        title = f"{len(hits.lines)}{'+' if hits.capped else ''} match(es) for {arg_str(args, 'pattern')}"
        return ok("", self.name, f"{title}:\n{body}", ToolDisplay(DisplayKind.TEXT, body, title))

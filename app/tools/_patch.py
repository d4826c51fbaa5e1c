"""Apply an edit to a file's text: search/replace blocks or a unified diff. Pure functions over strings; every
failure is a PatchError whose message tells the model how to fix its edit."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass


class PatchError(ValueError):
    pass


@dataclass(frozen=True)
class Replacement:
    search: str
    replace: str


def apply_replacements(text: str, edits: list[Replacement], path: str) -> str:
    crlf = "\r\n" in text
    for n, edit in enumerate(edits, 1):
        search, replace = edit.search, edit.replace
        if crlf and "\r\n" not in search:
            search, replace = search.replace("\n", "\r\n"), replace.replace("\n", "\r\n")
        if not search:
            raise PatchError(f"edit {n}: 'search' is empty; give the exact lines to replace.")
        count = text.count(search)
        if count == 1:
            text = text.replace(search, replace, 1)
            continue
        if count > 1:
            raise PatchError(f"edit {n}: the search text occurs {count} times in {path}; include more "
                             f"surrounding lines so it matches exactly once.")
        text = _loose_replace(text, search, replace, n, path)
    return text


def _loose_replace(text: str, search: str, replace: str, n: int, path: str) -> str:
    """The search text with trailing whitespace on its lines ignored (a common slip), still only if unique."""
    lines = text.splitlines(keepends=True)
    want = [s.rstrip() for s in search.splitlines()]
    starts = [i for i in range(len(lines) - len(want) + 1)
              if all(lines[i + k].rstrip() == want[k] for k in range(len(want)))]
    if len(starts) != 1:
        raise PatchError(f"edit {n}: the search text was not found in {path}"
                         f"{' exactly once' if starts else ''}; read the file and copy the lines exactly.")
    i = starts[0]
    ending = "\r\n" if lines[i + len(want) - 1].endswith("\r\n") else "\n"
    if not lines[i + len(want) - 1].endswith(("\n", "\r\n")):
        ending = ""
    new = replace if replace.endswith("\n") or not replace else replace + ending
    return "".join(lines[:i]) + new + "".join(lines[i + len(want):])


_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")


@dataclass(frozen=True)
class Hunk:
    old_start: int
    old: tuple[str, ...]  # context + removed lines, without line endings
    new: tuple[str, ...]  # context + added lines


def parse_hunks(diff: str) -> list[Hunk]:
    hunks: list[Hunk] = []
    old: list[str] | None = None
    new: list[str] = []
    start = 0
    for line in diff.splitlines():
        match = _HUNK.match(line)
        if match:
            if old is not None:
                hunks.append(Hunk(start, tuple(old), tuple(new)))
            start, old, new = int(match.group(1)), [], []
            continue
        if old is None or line.startswith(("--- ", "+++ ", "diff ", "index ")) or line.startswith("\\"):
            continue
        tag, body = (line[:1], line[1:]) if line else (" ", "")
        if tag in (" ", "-"):
            old.append(body)
        if tag in (" ", "+"):
            new.append(body)
    if old is not None:
        hunks.append(Hunk(start, tuple(old), tuple(new)))
    if not hunks:
        raise PatchError("the diff has no hunks ('@@ -a,b +c,d @@' lines); send a unified diff or search/replace.")
    return hunks


def apply_unified_diff(text: str, diff: str, path: str) -> str:
    ending = "\r\n" if "\r\n" in text else "\n"
    lines = text.splitlines()
    final_newline = text.endswith(("\n", "\r"))
    offset = 0
    for n, hunk in enumerate(parse_hunks(diff), 1):
        at = _locate(lines, hunk, offset)
        if at is None:
            raise PatchError(f"hunk {n} of the diff does not match {path} (its context and '-' lines must be the "
                             f"file's current lines); read the file again or use search/replace.")
        lines[at:at + len(hunk.old)] = list(hunk.new)
        offset = at + len(hunk.new)
    out = ending.join(lines)
    return out + ending if final_newline and lines else out


def _locate(lines: list[str], hunk: Hunk, after: int) -> int | None:
    """Where ``hunk.old`` occurs at or after ``after``, nearest to its stated line; None when nowhere."""
    size = len(hunk.old)
    if size == 0:
        return min(max(hunk.old_start, after), len(lines))  # pure insertion after line old_start
    want = [s.rstrip() for s in hunk.old]
    found = [i for i in range(after, len(lines) - size + 1)
             if all(lines[i + k].rstrip() == want[k] for k in range(size))]
    if not found:
        return None
    return min(found, key=lambda i: abs(i - (hunk.old_start - 1)))


def unified(path: str, before: str, after: str) -> str:
    diff = difflib.unified_diff(before.splitlines(keepends=True), after.splitlines(keepends=True),
                                f"a/{path}", f"b/{path}", n=3)
    return "".join(line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in diff)


def changed_lines(diff: str) -> tuple[int, int]:
    added = sum(1 for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++"))
    removed = sum(1 for line in diff.splitlines() if line.startswith("-") and not line.startswith("---"))
    return added, removed

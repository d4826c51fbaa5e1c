"""A .gitignore matcher for workspaces that are not git repositories (in a repository, git itself is asked).

Supports what real projects use: comments, ``!`` negation, a trailing ``/`` (folders only), patterns with a ``/``
anchored to their .gitignore's folder, ``*``, ``?``, ``[...]`` and ``**`` in every position; nested .gitignore
files apply below their folder; the last matching rule wins; an ignored folder is not entered.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

ALWAYS_SKIPPED = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class Rule:
    base: str  # folder of the .gitignore, workspace-relative ("" for the root)
    regex: re.Pattern[str]
    negated: bool
    dir_only: bool


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[" and "]" in pattern[i + 1:]:
            end = pattern.index("]", i + 1)
            body = pattern[i + 1:end].replace("\\", "\\\\")
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            ch = pattern[i + 1] if pattern[i] == "\\" and i + 1 < len(pattern) else pattern[i]
            out.append(re.escape(ch))
            i += 2 if pattern[i] == "\\" else 1
    return "".join(out)


def parse_rules(text: str, base: str = "") -> list[Rule]:
    rules: list[Rule] = []
    for line in text.splitlines():
        line = line.rstrip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        line = line[1:] if negated else line
        line = line[1:] if line.startswith("\\") and line[1:2] in ("#", "!") else line
        dir_only = line.endswith("/")
        line = line.rstrip("/")
        if not line:
            continue
        anchored = "/" in line
        body = _translate(line.lstrip("/"))
        regex = f"^{body}$" if anchored else f"^(?:.*/)?{body}$"
        rules.append(Rule(base, re.compile(regex), negated, dir_only))
    return rules


def is_ignored(rel: str, is_dir: bool, rules: list[Rule]) -> bool:
    ignored = False
    for rule in rules:
        if rule.dir_only and not is_dir:
            continue
        if rule.base:
            if not rel.startswith(rule.base + "/"):
                continue
            sub = rel[len(rule.base) + 1:]
        else:
            sub = rel
        if rule.regex.match(sub):
            ignored = not rule.negated
    return ignored


def walk_files(root: Path, start: Path | None = None, limit: int = 1_000_000) -> list[str]:
    """Workspace-relative paths of files under ``start`` (default: the root) that .gitignore files keep."""
    start = start or root
    parts = start.relative_to(root).parts
    rules: list[Rule] = []
    for depth in range(len(parts) + 1):  # the root's .gitignore and every one on the way down to ``start``
        rules += _rules_in(root, root.joinpath(*parts[:depth]))
    out: list[str] = []
    for folder, dirs, files in os.walk(start, followlinks=False):
        here = Path(folder)
        rel_here = here.relative_to(root).as_posix()
        rel_here = "" if rel_here == "." else rel_here
        if here != start:
            rules = rules + _rules_in(root, here)
        dirs[:] = sorted(d for d in dirs if d not in ALWAYS_SKIPPED
                         and not is_ignored(_join(rel_here, d), True, rules))
        for name in sorted(files):
            rel = _join(rel_here, name)
            if name != ".gitignore" and not is_ignored(rel, False, rules):
                out.append(rel)
                if len(out) >= limit:
                    return out
    return out


def _rules_in(root: Path, folder: Path) -> list[Rule]:
    path = folder / ".gitignore"
    if not path.is_file():
        return []
    base = folder.relative_to(root).as_posix()
    return parse_rules(path.read_text(errors="replace"), "" if base == "." else base)


def _join(base: str, name: str) -> str:
    return f"{base}/{name}" if base else name

"""Fixtures for the tool tests: a small temporary git repository and a tool context over it."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.tools.base import ToolContext
from app.tools.undo import UndoJournal

PY = sys.executable


def git(repo: Path, *args: str) -> str:
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@x",
           "HOME": str(repo), "PATH": "/usr/bin:/bin"}
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True, env=env).stdout


MAIN_PY = '''"""A tiny package to work on."""


def add(a, b):
    return a - b


def greet(name):
    return f"Hello, {name}!"
'''

TEST_PY = '''from calc.main import add


def test_add():
    assert add(2, 3) == 5
'''


@pytest.fixture()
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "calc").mkdir(parents=True)
    (root / "tests").mkdir()
    (root / "calc" / "__init__.py").write_text("")
    (root / "calc" / "main.py").write_text(MAIN_PY)
    (root / "tests" / "test_main.py").write_text(TEST_PY)
    (root / "README.md").write_text("# calc\n\nAdds numbers.\n")
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "build").mkdir()
    (root / "build" / "out.txt").write_text("def add(): generated\n")
    (root / "debug.log").write_text("def add log line\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first commit")
    return root


@pytest.fixture()
def ctx(repo: Path) -> ToolContext:
    return ToolContext(workspace=repo, offline=True, allowed_commands=(f"{PY} -m pytest", f"{PY} -c", "sleep"),
                       cancel=threading.Event(), undo=UndoJournal(), command_timeout_s=60.0)

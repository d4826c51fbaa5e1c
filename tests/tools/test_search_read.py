"""list_files / read_file / search / git on a temporary repository (and a plain folder)."""

from __future__ import annotations

import shutil
from pathlib import Path

from app.tools.registry import all_tools
from app.tools.search import find
from app.tools.workspace import Workspace

from tests.tools.conftest import git

TOOLS = all_tools()


def test_list_files_respects_gitignore_in_a_repo(ctx, repo: Path):
    (repo / "new_untracked.py").write_text("x = 1\n")
    result = TOOLS["list_files"].run({}, ctx)
    listed = result.display.text.splitlines()
    assert "calc/main.py" in listed and "new_untracked.py" in listed and ".gitignore" in listed
    assert not any(p.startswith("build/") or p.endswith(".log") for p in listed)
    only_py = TOOLS["list_files"].run({"glob": "*.py", "path": "calc"}, ctx).display.text.splitlines()
    assert only_py == ["calc/__init__.py", "calc/main.py"]


def test_list_files_respects_gitignore_without_git(ctx, repo: Path):
    shutil.rmtree(repo / ".git")
    (repo / "calc" / ".gitignore").write_text("*.tmp\n!keep.tmp\n")
    (repo / "calc" / "a.tmp").write_text("")
    (repo / "calc" / "keep.tmp").write_text("")
    listed = TOOLS["list_files"].run({}, ctx).display.text.splitlines()
    assert "calc/main.py" in listed and "calc/keep.tmp" in listed
    assert "calc/a.tmp" not in listed and "debug.log" not in listed and not any(p.startswith("build/") for p in listed)


def test_read_file_whole_and_range(ctx):
    whole = TOOLS["read_file"].run({"path": "calc/main.py"}, ctx)
    assert whole.ok and whole.display.title == "calc/main.py lines 1-9"
    assert "\n4  def add(a, b):\n" in whole.content
    part = TOOLS["read_file"].run({"path": "calc/main.py", "start_line": 4, "end_line": 5}, ctx)
    assert part.display.text == "4  def add(a, b):\n5      return a - b"
    assert "lines 6-9 not shown" in part.content
    past = TOOLS["read_file"].run({"path": "calc/main.py", "start_line": 99}, ctx)
    assert not past.ok and "only 9 lines" in past.error


def test_search_git_grep_and_python_agree(ctx, repo: Path):
    ws = Workspace.at(repo)
    (repo / "untracked.py").write_text("def add_more():\n    pass\n")
    by_git = find(ws, r"def add\w*\(", repo, "", False, 50)
    by_python = find(ws, r"def add\w*\(", repo, "", False, 50, prefer_git=False)
    assert by_git.engine == "git grep" and by_python.engine == "python"
    assert sorted(by_git.lines) == sorted(by_python.lines) == ["calc/main.py:4: def add(a, b):",
                                                                "untracked.py:1: def add_more():"]


def test_search_tool_glob_case_and_limits(ctx):
    result = TOOLS["search"].run({"pattern": "HELLO", "ignore_case": True, "glob": "*.py"}, ctx)
    assert result.ok and result.display.text == 'calc/main.py:9: return f"Hello, {name}!"'
    capped = TOOLS["search"].run({"pattern": "a", "limit": 2}, ctx)
    assert "more matches not shown" in capped.content
    bad = TOOLS["search"].run({"pattern": "(unclosed"}, ctx)
    assert not bad.ok and "not a valid regular expression" in bad.error


def test_git_status_diff_log(ctx, repo: Path):
    (repo / "calc" / "main.py").write_text("changed\n")
    status = TOOLS["git"].run({"command": "status"}, ctx)
    assert status.ok and "M calc/main.py" in status.content
    diff = TOOLS["git"].run({"command": "diff", "path": "calc/main.py"}, ctx)
    assert diff.ok and "+changed" in diff.display.text and diff.display.kind.value == "diff"
    git(repo, "commit", "-qam", "second commit")
    log = TOOLS["git"].run({"command": "log", "count": 5}, ctx)
    assert log.ok and log.content.index("second commit") < log.content.index("first commit")


def test_git_outside_a_repository(ctx, repo: Path):
    shutil.rmtree(repo / ".git")
    result = TOOLS["git"].run({"command": "status"}, ctx)
    assert not result.ok and "not a git repository" in result.error

"""Every path is proven inside the workspace: '..', absolute paths and symlinks out are refused."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.tools.registry import all_tools
from app.tools.workspace import Workspace, WorkspaceError


@pytest.mark.parametrize("path", ["../outside.txt", "calc/../../outside.txt", "/etc/passwd", "~/x", "..",
                                  "calc\\..\\..\\outside.txt"])
def test_escapes_are_refused(repo: Path, path: str):
    with pytest.raises(WorkspaceError):
        Workspace.at(repo).resolve(path, must_exist=False)


def test_symlink_out_is_refused_for_read_and_write(repo: Path, ctx):
    (repo / "etc_link").symlink_to("/etc")
    (repo / "passwd_link").symlink_to("/etc/passwd")
    ws = Workspace.at(repo)
    for path in ("etc_link/passwd", "passwd_link", "etc_link"):
        with pytest.raises(WorkspaceError, match="outside"):
            ws.resolve(path)
    with pytest.raises(WorkspaceError):
        ws.write_text("etc_link/hearth-test", "x")
    tools = all_tools()
    read = tools["read_file"].run({"path": "passwd_link"}, ctx)
    assert not read.ok and "outside" in read.error
    listing = tools["list_files"].run({"path": "etc_link"}, ctx)
    assert not listing.ok
    edit = tools["edit_file"].proposal({"path": "etc_link/x.conf", "content": "x"}, ctx)
    assert not getattr(edit, "ok", True) and "outside" in edit.error


def test_symlink_inside_is_fine(repo: Path):
    (repo / "alias.py").symlink_to(repo / "calc" / "main.py")
    assert Workspace.at(repo).resolve("alias.py") == (repo / "calc" / "main.py").resolve()


def test_every_tool_refuses_escapes(ctx):
    tools = all_tools()
    cases = {
        "read_file": {"path": "../x"}, "list_files": {"path": "/etc"}, "search": {"pattern": "x", "path": ".."},
        "edit_file": {"path": "/tmp/evil.txt", "content": "x"}, "read_page": {"source": "../page.html"},
        "git": {"command": "diff", "path": "../.."},
    }
    for name, args in cases.items():
        tool = tools[name]
        result = tool.proposal(args, ctx) if tool.risk.needs_approval else tool.run(args, ctx)
        assert not result.ok, name
        assert "absolute" in result.error or "'..'" in result.error, (name, result.error)


def test_reads_are_capped_and_binary_refused(repo: Path):
    ws = Workspace.at(repo)
    (repo / "big.txt").write_text("x" * 10_000)
    text, truncated = ws.read_text("big.txt", 1000)
    assert len(text) == 1000 and truncated
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    with pytest.raises(WorkspaceError, match="binary"):
        ws.read_text("blob.bin", 1000)


def test_write_is_atomic_and_keeps_mode(repo: Path):
    ws = Workspace.at(repo)
    script = repo / "run.sh"
    script.write_text("echo 1\n")
    os.chmod(script, 0o755)
    ws.write_text("run.sh", "echo 2\n")
    assert script.read_text() == "echo 2\n" and os.stat(script).st_mode & 0o777 == 0o755
    assert not [p for p in repo.iterdir() if p.name.endswith(".tmp")]


def test_no_workspace_is_a_clear_error(ctx):
    from dataclasses import replace

    result = all_tools()["read_file"].run({"path": "a.py"}, replace(ctx, workspace=None))
    assert not result.ok and "--workspace" in result.error

"""edit_file proposes a diff, changes nothing until run; undo_edit restores the previous content."""

from __future__ import annotations

from pathlib import Path

from app.tools.base import Proposal, ProposalKind
from app.tools.registry import all_tools
from app.tools.workspace import Workspace

from tests.tools.conftest import MAIN_PY

TOOLS = all_tools()
EDIT, UNDO = TOOLS["edit_file"], TOOLS["undo_edit"]
FIX = {"path": "calc/main.py", "edits": [{"search": "    return a - b\n", "replace": "    return a + b\n"}]}


def test_proposal_is_a_diff_and_changes_nothing(ctx, repo: Path):
    proposal = EDIT.proposal(FIX, ctx)
    assert isinstance(proposal, Proposal) and proposal.kind is ProposalKind.EDIT
    assert proposal.paths == ("calc/main.py",) and "1 line(s) added, 1 removed" in proposal.summary
    assert proposal.detail.startswith("--- a/calc/main.py\n+++ b/calc/main.py\n")
    assert "-    return a - b\n+    return a + b\n" in proposal.detail
    assert (repo / "calc" / "main.py").read_text() == MAIN_PY


def test_run_applies_and_undo_restores(ctx, repo: Path):
    result = EDIT.run(FIX, ctx)
    assert result.ok and "+1 -1" in result.content
    assert "return a + b" in (repo / "calc" / "main.py").read_text()
    proposal = UNDO.proposal({}, ctx)
    assert "+    return a - b" in proposal.detail
    undone = UNDO.run({}, ctx)
    assert undone.ok and (repo / "calc" / "main.py").read_text() == MAIN_PY
    again = UNDO.run({}, ctx)
    assert not again.ok and "no edit to undo" in again.error


def test_new_file_then_undo_deletes_it(ctx, repo: Path):
    result = EDIT.run({"path": "calc/extra/util.py", "content": "X = 1\n"}, ctx)
    assert result.ok and (repo / "calc" / "extra" / "util.py").read_text() == "X = 1\n"
    assert UNDO.run({}, ctx).ok and not (repo / "calc" / "extra" / "util.py").exists()


def test_undo_refuses_when_the_file_changed_since(ctx, repo: Path):
    assert EDIT.run(FIX, ctx).ok
    (repo / "calc" / "main.py").write_text("# hand edit\n")
    result = UNDO.run({}, ctx)
    assert not result.ok and "changed since" in result.error
    assert (repo / "calc" / "main.py").read_text() == "# hand edit\n"


def test_unified_diff_edit(ctx, repo: Path):
    diff = ("--- a/calc/main.py\n+++ b/calc/main.py\n@@ -8,2 +8,2 @@\n def greet(name):\n"
            "-    return f\"Hello, {name}!\"\n+    return f\"Hi, {name}!\"\n")
    result = EDIT.run({"path": "calc/main.py", "diff": diff}, ctx)
    assert result.ok, result.error
    text = (repo / "calc" / "main.py").read_text()
    assert 'return f"Hi, {name}!"' in text and "return a - b" in text


def test_bad_edits_are_errors_that_say_what_to_do(ctx, repo: Path):
    (repo / "dup.py").write_text("x = 1\nx = 1\n")
    cases = [
        ({"path": "dup.py", "edits": [{"search": "x = 1", "replace": "x = 2"}]}, "occurs 2 times"),
        ({"path": "calc/main.py", "edits": [{"search": "nothing like this", "replace": "y"}]}, "not found"),
        ({"path": "calc/main.py", "diff": "@@ -1,1 +1,1 @@\n-no such line\n+x\n"}, "does not match"),
        ({"path": "missing.py", "edits": [{"search": "a", "replace": "b"}]}, "does not exist"),
        ({"path": "calc/main.py"}, "exactly one of"),
        ({"path": "calc/main.py", "edits": [{"search": "a - b", "replace": "a - b"}]}, "unchanged"),
    ]
    for args, message in cases:
        result = EDIT.proposal(args, ctx)
        assert not result.ok and message in result.error, (args, result.error)
    assert (repo / "calc" / "main.py").read_text() == MAIN_PY


def test_trailing_whitespace_slip_and_crlf_files(ctx, repo: Path):
    result = EDIT.run({"path": "calc/main.py", "edits": [{"search": "def add(a, b):   \n    return a - b",
                                                           "replace": "def add(a, b):\n    return a + b"}]}, ctx)
    assert result.ok, result.error
    assert "def add(a, b):\n    return a + b\n" in (repo / "calc" / "main.py").read_text()
    (repo / "win.txt").write_bytes(b"one\r\ntwo\r\n")
    assert EDIT.run({"path": "win.txt", "edits": [{"search": "two\n", "replace": "2\n"}]}, ctx).ok
    assert (repo / "win.txt").read_bytes() == b"one\r\n2\r\n"


def test_journal_is_per_context_and_bounded(ctx, repo: Path):
    ws = Workspace.at(repo)
    for i in range(3):
        assert EDIT.run({"path": f"f{i}.txt", "content": f"{i}\n"}, ctx).ok
    assert [e.label for e in ctx.undo.entries()] == ["edit f0.txt", "edit f1.txt", "edit f2.txt"]
    assert UNDO.run({}, ctx).ok and not (ws.root / "f2.txt").exists() and (ws.root / "f1.txt").exists()

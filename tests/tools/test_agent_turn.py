"""Whole coding turns with a scripted model in the tiny qwen3_5 template's tool-call format:
search -> read -> propose edit -> approve -> run tests -> summary; reject -> nothing changed."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from app.modes.registry import get_mode
from app.tools.approval import Approval

from tests.tools.conftest import MAIN_PY, PY
from tests.tools.scripted import drive_turn, xml_call

CODING = get_mode("coding")


@pytest.fixture(scope="module")
def processor(tiny_vlm: Path):
    from mlx_vlm import load

    return load(str(tiny_vlm))[1]


@pytest.fixture()
def coding_ctx(ctx):
    return replace(ctx, allowed_commands=(f"{PY} -m pytest",))


FIX_REPLIES = [
    "Let me find it.\n\n" + xml_call("search", pattern=r"def add\(", glob="*.py"),
    xml_call("read_file", path="calc/main.py", start_line=1, end_line=9),
    "add subtracts; I'll fix it.\n\n" + xml_call("edit_file", path="calc/main.py",
                                                 edits=[{"search": "return a - b", "replace": "return a + b"}]),
    xml_call("run_command", command=f"{PY} -m pytest -q -p no:cacheprovider tests"),
    "Fixed: add now adds, and the test passes.",
]


def test_search_read_edit_approve_run_summary(processor, coding_ctx, repo: Path):
    log = drive_turn(processor, CODING, "The add test fails, fix it.", FIX_REPLIES, ["yes", "go ahead"], coding_ctx)
    assert [r.name for r in log.results] == ["search", "read_file", "edit_file", "run_command"]
    assert all(r.ok for r in log.results), [r.error for r in log.results]
    assert log.results[0].content.endswith("calc/main.py:4: def add(a, b):")
    assert "5      return a - b" in log.results[1].content
    assert "return a + b" in (repo / "calc" / "main.py").read_text()
    assert "exit code 0" in log.results[3].content and "1 passed" in log.results[3].content
    assert [(a[1], a[2]) for a in log.approvals] == [("yes", Approval.YES), ("go ahead", Approval.YES)]
    assert log.spoken[0] == "Let me find it." and log.spoken[-1] == "Fixed: add now adds, and the test passes."
    assert not any("<tool_call>" in s or "<function=" in s for s in log.spoken)
    for before, after in zip(log.prompts, log.prompts[1:]):  # every round trip only appends tokens
        assert after[: len(before)] == before
    assert len(coding_ctx.undo.entries()) == 1
    assert log.notices == ["Searching the code…", "Reading main.py…", "Editing main.py…",
                           f"Running {Path(PY).name}…"]


@pytest.mark.parametrize("answer", ["no", "yes but rename it to plus first"])
def test_rejected_or_unclear_edit_changes_nothing(processor, coding_ctx, repo: Path, answer):
    replies = FIX_REPLIES[2:3] + ["OK, I left the file as it was."]
    log = drive_turn(processor, CODING, "Fix add.", replies, [answer], coding_ctx)
    (result,) = log.results
    assert not result.ok and "did not approve" in result.error
    assert log.approvals[0][2] in (Approval.NO, Approval.UNCLEAR)
    assert (repo / "calc" / "main.py").read_text() == MAIN_PY
    assert log.spoken[-1] == "OK, I left the file as it was." and coding_ctx.undo.entries() == ()


def test_bad_calls_go_back_to_the_model_and_the_turn_goes_on(processor, coding_ctx, repo: Path):
    replies = [
        xml_call("open_file", path="calc/main.py"),  # unknown tool
        xml_call("read_file", path="../../etc/passwd"),  # escape
        xml_call("read_file", path="calc/main.py", start_line="two"),  # wrong type
        xml_call("read_file", path="calc/main.py", start_line="4", end_line="5"),  # integer as string: repaired
        "add is on line 4.",
    ]
    log = drive_turn(processor, CODING, "Where is add?", replies, [], coding_ctx)
    first, second, third, fourth = log.results
    assert not first.ok and "read_file" in first.error and "open_file" in first.error
    assert not second.ok and "'..'" in second.error
    assert not third.ok and "start_line" in third.error
    assert fourth.ok and fourth.display.text == "4  def add(a, b):\n5      return a - b"
    assert log.spoken[-1] == "add is on line 4."


def test_undo_that(processor, coding_ctx, repo: Path):
    replies = [FIX_REPLIES[2], "Done.", xml_call("undo_edit"), "Undone."]
    first = drive_turn(processor, CODING, "Fix add.", replies[:2], ["yes"], coding_ctx)
    assert first.results[0].ok and "return a + b" in (repo / "calc" / "main.py").read_text()
    second = drive_turn(processor, CODING, "Undo that.", replies[2:], ["yes"], coding_ctx)
    assert second.results[0].ok and (repo / "calc" / "main.py").read_text() == MAIN_PY

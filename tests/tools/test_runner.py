"""ToolRunner: runs on its own thread, posts results, errors are values, approval is enforced."""

from __future__ import annotations

import queue
import threading
from typing import Mapping

from app.tools.base import Risk, ToolCall, ToolContext, ToolResult, ok
from app.tools.registry import all_tools
from app.tools.runner import ProposalReady, ToolRunner, run_call


class Exploding:
    name = "explode"
    description = "always raises"
    parameters = {"type": "object", "properties": {}}
    risk = Risk.READ

    def notice(self, args: Mapping[str, object]) -> str:
        return "Exploding…"

    def proposal(self, args, ctx):
        return None

    def run(self, args, ctx: ToolContext) -> ToolResult:
        raise RuntimeError("boom")


class WhereAmI(Exploding):
    name = "where"

    def run(self, args, ctx: ToolContext) -> ToolResult:
        return ok("", self.name, threading.current_thread().name)


def _run_all(tools, jobs, ctx):
    results: queue.Queue = queue.Queue()
    runner = ToolRunner(tools, results.put)
    try:
        for call, approved in jobs:
            runner.submit(call, ctx, approved)
        return [results.get(timeout=30) for _ in jobs]
    finally:
        runner.close()


def test_tools_run_on_a_worker_thread_and_results_carry_the_call_id(ctx):
    (result,) = _run_all({"where": WhereAmI()}, [(ToolCall("c7", "where", {}), None)], ctx)
    assert result.ok and result.call_id == "c7" and result.name == "where"
    assert result.content == "hearth-tools" != threading.current_thread().name


def test_a_tool_that_raises_becomes_an_error_value_and_the_runner_goes_on(ctx):
    tools = {"explode": Exploding(), "where": WhereAmI()}
    first, second = _run_all(tools, [(ToolCall("a", "explode", {}), None), (ToolCall("b", "where", {}), None)], ctx)
    assert not first.ok and "boom" in first.error and first.call_id == "a"
    assert second.ok and second.call_id == "b"


def test_write_and_run_tools_need_approval(ctx, repo):
    tools = all_tools()
    before = (repo / "calc" / "main.py").read_text()
    call = ToolCall("e1", "edit_file", {"path": "calc/main.py", "edits": [{"search": "a - b", "replace": "a + b"}]})
    result = run_call(tools, call, ctx, approved=None)
    assert not result.ok and "approval" in result.error
    assert (repo / "calc" / "main.py").read_text() == before
    result = run_call(tools, ToolCall("r1", "run_command", {"command": "sleep 0"}), ctx)
    assert not result.ok and "approval" in result.error


def test_a_file_changed_after_the_yes_is_not_edited(ctx, repo):
    tools = all_tools()
    call = ToolCall("e2", "edit_file", {"path": "calc/main.py", "edits": [{"search": "a - b", "replace": "a + b"}]})
    approved = tools["edit_file"].proposal(call.arguments, ctx)
    path = repo / "calc" / "main.py"
    path.write_text(path.read_text().replace("def add(a, b):", "def add(a, b):  # edited by hand after the yes"))
    result = run_call(tools, call, ctx, approved=approved)
    assert not result.ok and "changed since the user approved" in result.error
    assert "a - b" in path.read_text()
    fresh = tools["edit_file"].proposal(call.arguments, ctx)
    assert run_call(tools, call, ctx, approved=fresh).ok and "a + b" in path.read_text()


def test_unknown_tool_and_cancel_before_start(ctx):
    result = run_call({"where": WhereAmI()}, ToolCall("x", "nope", {}), ctx)
    assert not result.ok and "where" in result.error
    ctx.cancel.set()
    result = run_call({"where": WhereAmI()}, ToolCall("y", "where", {}), ctx)
    assert not result.ok and "cancelled" in result.error


def test_proposals_are_computed_on_the_worker(ctx):
    results: queue.Queue = queue.Queue()
    runner = ToolRunner(all_tools(), results.put)
    try:
        runner.propose(ToolCall("p1", "edit_file", {"path": "calc/main.py",
                                                    "edits": [{"search": "a - b", "replace": "a + b"}]}), ctx)
        runner.propose(ToolCall("p2", "edit_file", {"path": "calc/main.py",
                                                    "edits": [{"search": "not there", "replace": "x"}]}), ctx)
        ready, bad = results.get(timeout=30), results.get(timeout=30)
    finally:
        runner.close()
    assert isinstance(ready, ProposalReady) and ready.call.call_id == "p1"
    assert "-    return a - b\n+    return a + b\n" in ready.proposal.detail
    assert isinstance(bad, ToolResult) and not bad.ok and bad.call_id == "p2" and "not found" in bad.error

"""Runs tool calls on one worker thread (never the caller's: not the engine's, not the session's) and posts each
ToolResult through ``post``. A tool that raises becomes an error result; a cancelled call (its context's Event
set, e.g. by barge-in) stops at the tool's next check and reports "cancelled". A WRITE/RUN call runs only with
the Proposal the user approved, and only while a fresh proposal still equals it (a file edited since the user said
yes is not changed behind their back: the model is told to propose again).

    runner = ToolRunner(all_tools(), post=session.post)
    runner.propose(call, ctx)                 # WRITE/RUN: posts ProposalReady (or an error ToolResult)
    runner.submit(call, ctx, approved=ready.proposal)  # after the user's yes; posts the ToolResult
    ctx.cancel.set()                          # barge-in: the tool stops at its next check
    runner.close()
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, replace
from typing import Callable, Mapping, Union

from app.tools.base import Proposal, Tool, ToolCall, ToolContext, ToolResult, failed


@dataclass(frozen=True)
class ProposalReady:
    """What the user must approve before ``call`` runs (computed on the tool thread: it reads files)."""

    call: ToolCall
    proposal: Proposal


ToolEvent = Union[ToolResult, ProposalReady]


@dataclass(frozen=True)
class _Job:
    call: ToolCall
    ctx: ToolContext
    approved: Proposal | None
    propose_only: bool = False


_STOP = object()


class ToolRunner:
    def __init__(self, tools: Mapping[str, Tool], post: Callable[[ToolEvent], None]) -> None:
        self._tools = dict(tools)
        self._post = post
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="hearth-tools", daemon=True)
        self._thread.start()

    def submit(self, call: ToolCall, ctx: ToolContext, approved: Proposal | None = None) -> None:
        self._jobs.put(_Job(call, ctx, approved))

    def propose(self, call: ToolCall, ctx: ToolContext) -> None:
        self._jobs.put(_Job(call, ctx, None, propose_only=True))

    def close(self, timeout: float = 10.0) -> None:
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not _STOP:
            if job.propose_only:
                self._post(propose_call(self._tools, job.call, job.ctx))
            else:
                self._post(run_call(self._tools, job.call, job.ctx, job.approved))


def propose_call(tools: Mapping[str, Tool], call: ToolCall, ctx: ToolContext) -> ToolEvent:
    """The proposal for a WRITE/RUN call, or an error ToolResult (the call cannot work); never raises."""
    tool = tools.get(call.name)
    if tool is None:
        return failed(call.call_id, call.name, f"there is no tool named '{call.name}'.")
    try:
        proposal = tool.proposal(call.arguments, ctx)
    except Exception as exc:  # noqa: BLE001
        return failed(call.call_id, call.name, f"the tool failed: {type(exc).__name__}: {exc}")
    if isinstance(proposal, ToolResult):
        return replace(proposal, call_id=call.call_id, name=call.name)
    if proposal is None:
        return failed(call.call_id, call.name, "this tool has nothing to approve; run it directly.")
    return ProposalReady(call, proposal)


def run_call(tools: Mapping[str, Tool], call: ToolCall, ctx: ToolContext,
             approved: Proposal | None = None) -> ToolResult:
    """One call, on the current thread; never raises."""
    tool = tools.get(call.name)
    if tool is None:
        return failed(call.call_id, call.name, f"there is no tool named '{call.name}'. "
                                               f"Available tools: {', '.join(tools) or 'none'}.")
    if tool.risk.needs_approval:
        refused = _check_approval(tools, call, ctx, approved)
        if refused is not None:
            return refused
    if ctx.cancel.is_set():
        return _cancelled(call)
    try:
        result = tool.run(call.arguments, ctx)
    except Exception as exc:  # noqa: BLE001 - a broken tool must not end the conversation
        return failed(call.call_id, call.name, f"the tool failed: {type(exc).__name__}: {exc}")
    if not isinstance(result, ToolResult):
        return failed(call.call_id, call.name, f"the tool returned {type(result).__name__}, not a ToolResult.")
    return replace(result, call_id=call.call_id, name=call.name)  # a tool that finished before a cancel says so


def _check_approval(tools: Mapping[str, Tool], call: ToolCall, ctx: ToolContext,
                    approved: Proposal | None) -> ToolResult | None:
    if approved is None:
        return failed(call.call_id, call.name, "this action needs the user's approval, which was not given.")
    fresh = propose_call(tools, call, ctx)
    if isinstance(fresh, ToolResult):
        return fresh
    if fresh.proposal != approved:
        return failed(call.call_id, call.name, "the files changed since the user approved this; nothing was "
                                               "changed. Read them again and propose the change anew.")
    return None


def _cancelled(call: ToolCall) -> ToolResult:
    return failed(call.call_id, call.name, "cancelled by the user before it started.")

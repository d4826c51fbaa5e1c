"""Runs tool calls on one worker thread (never the caller's: not the engine's, not the session's) and posts each
ToolResult through ``post``. A tool that raises becomes an error result; a cancelled call (its context's Event
set, e.g. by barge-in) stops at the tool's next check and reports "cancelled". WRITE/RUN calls run only when the
caller says they were approved.

    runner = ToolRunner(all_tools(), post=session.post)
    runner.submit(call, ctx, approved=True)   # returns at once
    ctx.cancel.set()                          # barge-in: the tool stops at its next check
    runner.close()
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass, replace
from typing import Callable, Mapping

from app.tools.base import Tool, ToolCall, ToolContext, ToolResult, failed


@dataclass(frozen=True)
class _Job:
    call: ToolCall
    ctx: ToolContext
    approved: bool


_STOP = object()


class ToolRunner:
    def __init__(self, tools: Mapping[str, Tool], post: Callable[[ToolResult], None]) -> None:
        self._tools = dict(tools)
        self._post = post
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="hearth-tools", daemon=True)
        self._thread.start()

    def submit(self, call: ToolCall, ctx: ToolContext, approved: bool = False) -> None:
        self._jobs.put(_Job(call, ctx, approved))

    def close(self, timeout: float = 10.0) -> None:
        self._jobs.put(_STOP)
        self._thread.join(timeout)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not _STOP:
            self._post(run_call(self._tools, job.call, job.ctx, job.approved))


def run_call(tools: Mapping[str, Tool], call: ToolCall, ctx: ToolContext, approved: bool) -> ToolResult:
    """One call, on the current thread; never raises."""
    tool = tools.get(call.name)
    if tool is None:
        return failed(call.call_id, call.name, f"there is no tool named '{call.name}'. "
                                               f"Available tools: {', '.join(tools) or 'none'}.")
    if tool.risk.needs_approval and not approved:
        return failed(call.call_id, call.name, "this action needs the user's approval, which was not given.")
    if ctx.cancel.is_set():
        return _cancelled(call)
    try:
        result = tool.run(call.arguments, ctx)
    except Exception as exc:  # noqa: BLE001 - a broken tool must not end the conversation
        return failed(call.call_id, call.name, f"the tool failed: {type(exc).__name__}: {exc}")
    if not isinstance(result, ToolResult):
        return failed(call.call_id, call.name, f"the tool returned {type(result).__name__}, not a ToolResult.")
    return replace(result, call_id=call.call_id, name=call.name)  # a tool that finished before a cancel says so


def _cancelled(call: ToolCall) -> ToolResult:
    return failed(call.call_id, call.name, "cancelled by the user before it started.")

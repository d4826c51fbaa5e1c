"""The session's side of tool calls (session thread): plans each call the loop starts, asks the tool worker for
proposals and results (the worker posts them back to the session), and cancels the running tool on barge-in.
Tools never run on the session or engine thread."""

from __future__ import annotations

from typing import Any, Callable

from app.audit.events import record_tool_call
from app.loop.vocabulary import CancelTools, ProposeTool, RunTool, StartTool, ToolPlanned
from app.tools.context import WorkspaceSettings
from app.tools.plan import NeedsApproval, RunNow, SendBack, plan
from app.tools.registry import Toolset
from app.tools.runner import ToolRunner
from app.tools.undo import UndoJournal

Post = Callable[[Any], None]


class ToolDesk:
    def __init__(self, toolset: Toolset, workspace: WorkspaceSettings, offline: bool, post: Post) -> None:
        self.toolset, self.workspace, self.offline = toolset, workspace, offline
        self._post = post
        self._runner: ToolRunner | None = None
        self._undo = UndoJournal()  # "undo that" works across turns of the session
        self._turn = 0
        self._ctx = workspace.context(offline, self._undo)

    @property
    def runner(self) -> ToolRunner:
        if self._runner is None:  # the worker thread starts with the first tool call
            self._runner = ToolRunner(self.toolset.tools, self._post)
        return self._runner

    def _context(self, turn_id: int):
        if turn_id != self._turn:  # each user turn gets its own cancel event
            self._turn, self._ctx = turn_id, self.workspace.context(self.offline, self._undo)
        return self._ctx

    def start(self, command: StartTool) -> None:
        step = plan(command.call, self.toolset.tools)
        if isinstance(step, SendBack):
            self._post(step.result)
            return
        self._post(ToolPlanned(command.turn_id, step.call, step.notice, isinstance(step, NeedsApproval)))
        assert isinstance(step, (RunNow, NeedsApproval))

    def propose(self, command: ProposeTool) -> None:
        self.runner.propose(command.call, self._context(command.turn_id))

    def run(self, command: RunTool) -> None:
        tool = self.toolset.tools[command.call.name]
        _audit(tool.name, tool.risk.value, dict(command.call.arguments), "user" if command.approved else "auto")
        self.runner.submit(command.call, self._context(command.turn_id), approved=command.approved)

    def cancel(self, command: CancelTools) -> None:
        if command.turn_id == self._turn:
            self._ctx.cancel.set()

    def close(self) -> None:
        self._ctx.cancel.set()
        if self._runner is not None:
            self._runner.close()


def _audit(name: str, risk: str, args: dict[str, object], approved_by: str) -> None:
    from app.policy.startup import current

    record_tool_call(current().audit, name, risk, args, approved_by=approved_by)

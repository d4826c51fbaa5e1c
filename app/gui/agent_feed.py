"""The agent's live steps in the conversation: ``ToolStarted`` → a step with its notice (said for screen readers),
``ApprovalRequested`` → the approval panel in that step (focus moves there), ``ApprovalGiven`` → its outcome (by
button or by voice), ``ToolFinished`` → done/failed and the output. Steps are keyed by call id."""

from __future__ import annotations

from typing import Callable

from PySide6.QtCore import QObject, Signal

from app.gui.conversation_view import ConversationView
from app.gui.tool_views import ApprovalPanel, ToolStep
from app.loop.events import ApprovalGiven, ApprovalRequested, ToolFinished, ToolStarted
from app.tools.base import ToolCall

Say = Callable[[str, bool], None]


class AgentFeed(QObject):
    intent = Signal(object)  # ApprovalAnswer
    waiting_changed = Signal(bool)  # an approval waits for an answer (the window enables its shortcuts)

    def __init__(self, view: ConversationView, say: Say, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.view, self._say = view, say
        self.steps: dict[str, ToolStep] = {}
        self.turn_of: dict[str, int] = {}  # call id → its turn

    def reset(self) -> None:
        """Another conversation is shown: its widgets are gone."""
        had = self.pending() is not None
        self.steps, self.turn_of = {}, {}
        if had:
            self.waiting_changed.emit(False)

    def _step(self, turn_id: int, call: ToolCall, notice: str) -> ToolStep:
        step = self.steps.get(call.call_id)
        if step is None:
            self.view.close_reply(turn_id)
            step = self.steps[call.call_id] = ToolStep(call, notice)
            self.turn_of[call.call_id] = turn_id
            self.view.add_block(step)
        return step

    # ------------------------------------------------------------------------------------------------ events
    def tool_started(self, e: ToolStarted) -> None:
        self._step(e.turn_id, e.call, e.notice)
        self._say(e.notice, False)

    def approval_requested(self, e: ApprovalRequested) -> None:
        step = self._step(e.turn_id, e.call, e.proposal.summary)
        panel = step.ask(e.proposal)
        panel.answered.connect(self.intent.emit)
        panel.focus()
        self.view.ensureWidgetVisible(panel)
        self._say(panel.prompt(), True)
        self.waiting_changed.emit(True)

    def approval_given(self, e: ApprovalGiven) -> None:
        step = self.steps.get(e.call_id)
        if step is None or step.approval is None:
            return
        self._say(step.approval.set_outcome(e.approved, e.answer), False)
        self.waiting_changed.emit(self.pending() is not None)

    def tool_finished(self, e: ToolFinished) -> None:
        step = self.steps.get(e.result.call_id)
        if step is None:  # a call that failed before it could start (unknown tool, bad arguments)
            call = ToolCall(e.result.call_id, e.result.name)
            step = self._step(e.turn_id, call, f"{e.result.name or 'A tool'}…")
        if step.approval is not None and step.approval.outcome is None:  # cancelled while it waited
            step.approval.set_outcome(False, "cancelled")
            self.waiting_changed.emit(self.pending() is not None)
        self._say(step.finish(e.result), not e.result.ok)

    def turn_stopped(self, turn_id: int) -> None:
        """The turn was interrupted (barge-in, Stop, an error): its unfinished steps say so (a cancelled tool
        reports no result)."""
        stopped = [s for cid, s in self.steps.items() if self.turn_of.get(cid) == turn_id and s.result is None]
        for step in stopped:
            if step.approval is not None and step.approval.outcome is None:
                step.approval.set_outcome(False, "cancelled")
            step.stop()
        if stopped:
            self.waiting_changed.emit(self.pending() is not None)
            self._say("Stopped: " + ", ".join(s.notice.rstrip("…. ") for s in stopped) + ".", False)

    # ------------------------------------------------------------------------------------------------ answers
    def pending(self) -> ApprovalPanel | None:
        """The newest approval still waiting."""
        for step in reversed(self.steps.values()):
            if step.approval is not None and step.approval.waiting:
                return step.approval
        return None

    def answer(self, approved: bool) -> bool:
        panel = self.pending()
        if panel is None:
            return False
        panel.answer(approved)
        return True

"""The agent part of a turn (pure, like app/loop/machine.py): the model's tool calls are taken one at a time —
planned by the session (StartTool → ToolPlanned or an error result), approved by the user when they would change
something (ProposeTool → ProposalReady → ApprovalAnswer or a short spoken yes/no), run on the tool worker
(RunTool → ToolResult) — each result goes back to the model as a tool message, and the model thinks again, at most
``max_tool_steps`` times per user turn. Barge-in cancels a running tool."""

from __future__ import annotations

from dataclasses import replace

from app.conversations.store import new_message_id
from app.engine.messages import Generate, GenerationDone, now
from app.loop.common import Commands, after_voicing, set_phase, speak
from app.loop.events import ApprovalGiven, ApprovalRequested, LoopState, Notice, ToolFinished, ToolStarted
from app.loop.turn import Turn
from app.loop.vocabulary import (
    ApprovalAnswer,
    CancelTools,
    ClauseCutter,
    Loop,
    ProposeTool,
    Publish,
    Record,
    RunTool,
    StartTool,
    Submit,
    ToolPlanned,
)
from app.tools.approval import Approval, is_approval
from app.tools.base import ToolResult, failed
from app.tools.runner import ProposalReady
from models.tool_format import AssistantToolCalls, FunctionCall, ToolReply


def _mine(loop: Loop, turn_id: int) -> Turn | None:
    return loop.turn if loop.turn is not None and loop.turn.turn_id == turn_id else None


def begin_tools(loop: Loop, turn: Turn, ev: GenerationDone, cmds: Commands) -> tuple[Loop, Commands]:
    """The model called tools: keep what it said with its calls in the history, then start the first call."""
    if turn.tool_steps >= loop.config.max_tool_steps:
        cmds.append(Publish(Notice(f"Stopped after {turn.tool_steps} tool steps in one turn; ask me to go on.")))
        return after_voicing(replace(loop, turn=turn), cmds, ev.t)
    calls = tuple(c for c in ev.tool_calls if isinstance(c, FunctionCall))
    message = AssistantToolCalls(ev.text, calls, new_message_id())
    cmds.append(Record(message))
    turn = replace(turn, tool_steps=turn.tool_steps + 1, queued_calls=ev.tool_calls, reply="", pending="",
                   generation_done=False, step_clause=len(turn.clauses))
    loop = replace(loop, turn=turn, history=loop.history.with_message(message))
    return next_call(loop, cmds)


def next_call(loop: Loop, cmds: Commands) -> tuple[Loop, Commands]:
    """Start the next queued call, or — all answered — let the model think again with the results."""
    turn = loop.turn
    assert turn is not None
    if turn.queued_calls:
        call, rest = turn.queued_calls[0], turn.queued_calls[1:]
        loop = replace(loop, turn=replace(turn, queued_calls=rest, running_call=call.call_id))
        cmds.append(StartTool(turn.turn_id, call))
        return loop, cmds
    loop = replace(loop, turn=replace(turn, running_call=None))
    request = loop.history.request(loop.config.sampling, loop.config.tools)
    cmds.append(Submit(Generate(turn.turn_id, request, loop.conversation_id)))
    return set_phase(loop, LoopState.THINKING, cmds), cmds


def on_tool_planned(loop: Loop, ev: ToolPlanned, cut: ClauseCutter) -> tuple[Loop, Commands]:
    turn = _mine(loop, ev.turn_id)
    if turn is None or turn.running_call != ev.call.call_id:
        return loop, []
    cmds: Commands = [Publish(ToolStarted(ev.turn_id, ev.call, ev.notice))]
    loop = speak(loop, turn, (ev.notice,), cmds, now())
    cmds.append(ProposeTool(ev.turn_id, ev.call) if ev.needs_approval else RunTool(ev.turn_id, ev.call))
    return loop, cmds


def on_proposal(loop: Loop, ev: ProposalReady, cut: ClauseCutter) -> tuple[Loop, Commands]:
    turn = loop.turn
    if turn is None or turn.running_call != ev.call.call_id:
        return loop, []
    cmds: Commands = [Publish(ApprovalRequested(turn.turn_id, ev.call, ev.proposal))]
    loop = replace(loop, turn=replace(turn, awaiting=ev))
    loop = speak(loop, loop.turn, (f"{ev.proposal.summary}. Shall I go ahead?",), cmds, now())  # type: ignore[arg-type]
    return set_phase(loop, loop.resting, cmds), cmds


def on_answer(loop: Loop, ev: ApprovalAnswer, cut: ClauseCutter) -> tuple[Loop, Commands]:
    turn = loop.turn
    if turn is None or turn.awaiting is None or turn.awaiting.call.call_id != ev.call_id:
        return loop, []
    return answer(loop, turn, ev.approved, ev.answer)


def answer(loop: Loop, turn: Turn, approved: bool, said: str) -> tuple[Loop, Commands]:
    waiting = turn.awaiting
    assert waiting is not None
    cmds: Commands = [Publish(ApprovalGiven(turn.turn_id, waiting.call.call_id, approved, said))]
    loop = replace(loop, turn=replace(turn, awaiting=None))
    if not approved:
        result = failed(waiting.call.call_id, waiting.call.name,
                        f"the user did not approve this ({said!r}); nothing was changed.")
        return on_tool_result(loop, result, None)  # type: ignore[arg-type]
    cmds.append(RunTool(turn.turn_id, waiting.call, waiting.proposal))
    return set_phase(loop, LoopState.THINKING, cmds), cmds


def spoken_answer(loop: Loop, turn: Turn, text: str) -> tuple[Loop, Commands]:
    """While a proposal waits, a short whole yes / no answers it; anything else asks again."""
    verdict = is_approval(text)
    if verdict is Approval.UNCLEAR:
        cmds: Commands = [Publish(Notice(f"Heard “{text}”. Please answer yes or no: "
                                         f"{turn.awaiting.proposal.summary if turn.awaiting else ''}"))]
        return speak(loop, turn, ("Please say yes or no.",), cmds, now()), cmds
    return answer(loop, turn, verdict is Approval.YES, text)


def on_tool_result(loop: Loop, ev: ToolResult, cut: ClauseCutter | None) -> tuple[Loop, Commands]:
    turn = loop.turn
    if turn is None or turn.running_call != ev.call_id:
        return loop, []
    reply = ToolReply(ev.call_id, ev.name, ev.content, new_message_id())
    cmds: Commands = [Publish(ToolFinished(turn.turn_id, ev)), Record(reply)]
    loop = replace(loop, history=loop.history.with_message(reply), turn=replace(turn, running_call=None))
    return next_call(loop, cmds)


def cancel_tools(loop: Loop, cmds: Commands) -> Loop:
    """Barge-in: stop the running tool and answer every open call, so the history stays well-formed."""
    turn = loop.turn
    if turn is None or (turn.running_call is None and not turn.queued_calls):
        return loop
    cmds.append(CancelTools(turn.turn_id))
    history = loop.history
    open_calls = ([turn.running_call] if turn.running_call is not None else []) + [c.call_id for c in turn.queued_calls]
    names = {c.call_id: c.name for m in history.messages if isinstance(m, AssistantToolCalls) for c in m.calls}
    for call_id in open_calls:
        reply = ToolReply(call_id, names.get(call_id, ""), "Cancelled: the user interrupted.", new_message_id())
        cmds.extend([Record(reply), Publish(ToolFinished(turn.turn_id, failed(call_id, reply.name, "stopped by you")))])
        history = history.with_message(reply)
    return replace(loop, history=history, turn=replace(turn, running_call=None, queued_calls=(), awaiting=None))


TOOL_HANDLERS = {
    ToolPlanned: on_tool_planned,
    ProposalReady: on_proposal,
    ApprovalAnswer: on_answer,
    ToolResult: on_tool_result,
}

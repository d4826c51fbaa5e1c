"""A reference agent turn for the tests: a scripted chat model (fixed replies in the real tool-call format of the
tiny qwen3_5 template) driven through render -> parse -> prepare -> (approval) -> ToolRunner -> tool message.

This is what the loop does around these APIs, minus the engine and the state machine; the lead's loop wires the
same calls."""

from __future__ import annotations

import json
import queue
from dataclasses import dataclass, field
from typing import Any

from app.modes.base import Mode
from app.tools.approval import Approval, is_approval
from app.tools.base import ToolCall, ToolContext, ToolResult, failed
from app.tools.plan import NeedsApproval, Plan, SendBack, plan
from app.tools.registry import Toolset
from app.tools.runner import ProposalReady, ToolRunner
from models.base import ChatMessage, Speaker
from models.tool_format import AssistantToolCalls, FunctionCall, ToolCallParser, ToolFormat, ToolReply, render_prompt


def xml_call(name: str, **params: Any) -> str:
    """A tool call as Qwen3.5 writes it."""
    body = "".join(f"<parameter={k}>\n{v if isinstance(v, str) else json.dumps(v)}\n</parameter>\n"
                   for k, v in params.items())
    return f"<tool_call>\n<function={name}>\n{body}</function>\n</tool_call>"


@dataclass
class TurnLog:
    spoken: list[str] = field(default_factory=list)  # the assistant's words, step by step
    results: list[ToolResult] = field(default_factory=list)
    approvals: list[tuple[str, str, Approval]] = field(default_factory=list)  # (call_id, answer, verdict)
    prompts: list[list[int]] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)


def drive_turn(tokenizer: Any, mode: Mode, user_text: str, replies: list[str], answers: list[str],
               ctx: ToolContext) -> TurnLog:
    toolset = Toolset.of(mode.tools)
    tools, specs = toolset.tools, toolset.specs
    fmt = ToolFormat.of(tokenizer)
    assert fmt is not None
    messages: list = [ChatMessage(Speaker.SYSTEM, mode.system_prompt), ChatMessage(Speaker.USER, user_text)]
    events: queue.Queue = queue.Queue()
    runner = ToolRunner(tools, events.put)
    log = TurnLog()
    try:
        for _step, reply in zip(range(mode.max_tool_steps + 1), replies):
            log.prompts.append(render_prompt(tokenizer, messages, specs))
            parser = ToolCallParser(fmt, specs, id_prefix=f"s{len(log.prompts)}")
            outs = [parser.feed(reply[i:i + 7]) for i in range(0, len(reply), 7)] + [parser.finish()]
            text = "".join(o.text for o in outs).strip()
            calls = [c for o in outs for c in o.calls]
            log.spoken.append(text)
            if not calls:
                messages.append(ChatMessage(Speaker.ASSISTANT, text))
                break
            messages.append(AssistantToolCalls(text, tuple(c for c in calls if isinstance(c, FunctionCall))))
            for parsed in calls:
                result = _one_call(plan(parsed, tools), runner, events, answers, ctx, log)
                log.results.append(result)
                messages.append(ToolReply(result.call_id, result.name, result.content))
    finally:
        runner.close()
    return log


def _one_call(step: Plan, runner: ToolRunner, events: queue.Queue, answers: list[str], ctx: ToolContext,
              log: TurnLog) -> ToolResult:
    if isinstance(step, SendBack):
        return step.result
    call: ToolCall = step.call
    log.notices.append(step.notice)
    approved = None
    if isinstance(step, NeedsApproval):
        runner.propose(call, ctx)
        ready = events.get(timeout=60)
        if isinstance(ready, ToolResult):
            return ready
        assert isinstance(ready, ProposalReady) and ready.call == call
        answer = answers.pop(0)
        verdict = is_approval(answer)
        log.approvals.append((call.call_id, answer, verdict))
        if verdict is not Approval.YES:
            return failed(call.call_id, call.name, f"the user did not approve this ({answer!r}); nothing was changed.")
        approved = ready.proposal
    runner.submit(call, ctx, approved=approved)
    result = events.get(timeout=120)
    assert isinstance(result, ToolResult) and result.call_id == call.call_id
    return result

"""What to do with one parsed tool call, as a typed value the loop's state machine can dispatch on by type:

- ``RunNow(call, notice)``: a READ tool; submit it to the ToolRunner at once and show/speak the notice;
- ``NeedsApproval(call, notice)``: a WRITE/RUN tool; ask the runner for its proposal, then the user;
- ``SendBack(result)``: the call cannot run (unknown tool, bad arguments); the result goes back to the model as
  the tool message, and the model tries again (counts as a step).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Union

from app.tools.base import Tool, ToolCall, ToolResult
from app.tools.calls import prepare_call
from models.tool_format import ParsedCall


@dataclass(frozen=True)
class RunNow:
    call: ToolCall
    notice: str


@dataclass(frozen=True)
class NeedsApproval:
    call: ToolCall
    notice: str


@dataclass(frozen=True)
class SendBack:
    result: ToolResult


Plan = Union[RunNow, NeedsApproval, SendBack]


def plan(parsed: ParsedCall, tools: Mapping[str, Tool]) -> Plan:
    prepared = prepare_call(parsed, tools)
    if isinstance(prepared, ToolResult):
        return SendBack(prepared)
    tool = tools[prepared.name]
    try:
        notice = tool.notice(prepared.arguments)
    except Exception:  # noqa: BLE001 - a notice is cosmetic; never let it stop the call
        notice = f"Using {tool.name}…"
    return NeedsApproval(prepared, notice) if tool.risk.needs_approval else RunNow(prepared, notice)

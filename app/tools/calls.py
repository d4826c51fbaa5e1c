"""From what the model wrote to a call a tool can run: name resolved, arguments repaired when the repair is
unambiguous and checked against the tool's schema. Anything else becomes an error ToolResult that tells the model
what to fix (it goes back as the tool message, and the model can try again)."""

from __future__ import annotations

from typing import Mapping, Union

from app.tools.base import Tool, ToolCall, ToolResult, failed
from app.tools.schema import check
from models._lenient_json import loads_lenient
from models.tool_format import FunctionCall, MalformedCall, ParsedCall

Prepared = Union[ToolCall, ToolResult]  # ToolResult: the call cannot run; send it back to the model as is


def prepare_call(parsed: ParsedCall, tools: Mapping[str, Tool]) -> Prepared:
    call_id = parsed.call_id or "call"
    name = _resolve_name(parsed.name, tools)
    if isinstance(parsed, MalformedCall) and not parsed.name:
        return failed(call_id, "", f"your tool call could not be read ({parsed.error}). Write exactly one call in "
                                   f"the tool-call format, with a function name and its arguments.")
    if name is None:
        known = ", ".join(tools) or "none"
        return failed(call_id, parsed.name, f"there is no tool named '{parsed.name}'. Available tools: {known}.")
    tool = tools[name]
    args = _arguments(parsed, tool)
    if isinstance(args, str):
        return failed(call_id, name, f"{args} Expected arguments: {_expected(tool)}.")
    checked = check(tool.parameters, args)
    if checked.errors:
        return failed(call_id, name, "; ".join(checked.errors) + f". Expected arguments: {_expected(tool)}.")
    return ToolCall(call_id, name, checked.value)


def _resolve_name(name: str, tools: Mapping[str, Tool]) -> str | None:
    if name in tools:
        return name
    folded = {_fold(n): n for n in tools}
    return folded.get(_fold(name))  # "Read-File" -> read_file when that is the only match


def _fold(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(" ", "_")


def _arguments(parsed: ParsedCall, tool: Tool) -> dict[str, object] | str:
    """The argument object, or a message saying why there is none."""
    if isinstance(parsed, FunctionCall):
        return dict(parsed.arguments)
    text = parsed.arguments_text.strip()
    if not text:
        return f"the arguments could not be read ({parsed.error})."
    try:
        value, _ = loads_lenient(text)
    except ValueError:
        value = text
    if isinstance(value, dict):
        return value
    lone = _lone_parameter(tool)
    if lone is not None and isinstance(value, (str, int, float)) and not text.startswith(("{", "[")):
        return {lone: value}
    return f"the arguments must be a JSON object ({parsed.error})."


def _lone_parameter(tool: Tool) -> str | None:
    required = list(tool.parameters.get("required", ()))
    return required[0] if len(required) == 1 else None


def _expected(tool: Tool) -> str:
    props = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", ()))
    parts = [f"{k}: {v.get('type', 'any')}{'' if k in required else ' (optional)'}" for k, v in props.items()]
    return "{" + ", ".join(parts) + "}" if parts else "{} (none)"


"""Malformed tool calls: repaired when the repair is unambiguous, otherwise an error the model can act on."""

from __future__ import annotations

import pytest

from app.tools.base import ToolCall, ToolResult
from app.tools.calls import prepare_call
from app.tools.registry import all_tools
from models._lenient_json import loads_lenient
from models.tool_format import FunctionCall, MalformedCall, ToolCallParser, ToolFormat

TOOLS = all_tools()


def _json_call(text: str):
    parser = ToolCallParser(ToolFormat.named("json_tools"))
    out = parser.feed(f"<tool_call>\n{text}\n</tool_call>")
    (call,) = out.calls
    return prepare_call(call, TOOLS)


@pytest.mark.parametrize("text, value", [
    ('{"a": 1,}', {"a": 1}),
    ("{'a': 'x', 'b': True, 'c': None}", {"a": "x", "b": True, "c": None}),
    ('{"a": [1, 2,], }', {"a": [1, 2]}),
    ('```json\n{"a": 1}\n```', {"a": 1}),
    ('"{\\"a\\": 1}"', {"a": 1}),
    ('{"a": {"b": 1}', {"a": {"b": 1}}),
    ('{"a": 1 "b": 2}', None),
    ('{"a": "x,}"}', {"a": "x,}"}),
])
def test_lenient_json(text, value):
    if value is None:
        with pytest.raises(ValueError):
            loads_lenient(text)
    else:
        assert loads_lenient(text)[0] == value


def test_trailing_commas_and_single_quotes_are_repaired():
    call = _json_call("{'name': 'read_file', 'arguments': {'path': 'calc/main.py',},}")
    assert isinstance(call, ToolCall) and call.name == "read_file" and dict(call.arguments) == {"path": "calc/main.py"}


def test_arguments_as_a_json_string_are_decoded():
    call = _json_call('{"name": "read_file", "arguments": "{\\"path\\": \\"a.py\\", \\"start_line\\": \\"3\\"}"}')
    assert isinstance(call, ToolCall) and dict(call.arguments) == {"path": "a.py", "start_line": 3}


def test_integer_as_string_and_boolean_as_string_are_coerced():
    call = prepare_call(FunctionCall("search", {"pattern": "x", "limit": "20", "ignore_case": "true"}, "c"), TOOLS)
    assert isinstance(call, ToolCall) and call.arguments["limit"] == 20 and call.arguments["ignore_case"] is True


def test_lone_bare_string_for_a_one_parameter_tool():
    call = _json_call('{"name": "read_file", "arguments": "calc/main.py"}')
    assert isinstance(call, ToolCall) and dict(call.arguments) == {"path": "calc/main.py"}


def test_tool_name_case_and_dashes_are_forgiven():
    call = prepare_call(FunctionCall("Read-File", {"path": "a.py"}, "c"), TOOLS)
    assert isinstance(call, ToolCall) and call.name == "read_file"


def test_unknown_tool_lists_the_available_ones():
    result = prepare_call(FunctionCall("delete_everything", {}, "c9"), TOOLS)
    assert isinstance(result, ToolResult) and not result.ok and result.call_id == "c9"
    assert "delete_everything" in result.error and "read_file" in result.error and "search" in result.error


def test_wrong_arguments_say_what_to_fix():
    result = prepare_call(FunctionCall("read_file", {"start_line": "three"}, "c"), TOOLS)
    assert isinstance(result, ToolResult) and not result.ok
    assert "missing the required argument 'path'" in result.error and "'start_line' must be an integer" in result.error
    assert "Expected arguments" in result.content
    result = prepare_call(FunctionCall("read_file", {"path": "a", "colour": "red"}, "c"), TOOLS)
    assert "unknown argument 'colour'" in result.error
    result = prepare_call(FunctionCall("git", {"command": "push"}, "c"), TOOLS)
    assert "must be one of" in result.error


def test_unreadable_call_is_reported():
    call = _json_call('{"name": "read_file", "arguments": {"path": calc/main.py}}')
    assert isinstance(call, ToolResult) and not call.ok and "read_file" in call.name
    garbage = prepare_call(MalformedCall("<<<", "no function", "c1"), TOOLS)
    assert isinstance(garbage, ToolResult) and "could not be read" in garbage.error


def test_qwen3_coder_value_the_schema_cannot_convert_is_reported_not_raised():
    parser = ToolCallParser(ToolFormat.named("qwen3_coder"), [])
    from app.tools.registry import spec_of

    parser = ToolCallParser(ToolFormat.named("qwen3_coder"), [spec_of(t) for t in TOOLS.values()])
    out = parser.feed("<tool_call>\n<function=read_file>\n<parameter=path>\na.py\n</parameter>\n"
                      "<parameter=start_line>\n2.5\n</parameter>\n</function>\n</tool_call>")
    (parsed,) = out.calls
    result = prepare_call(parsed, TOOLS)
    assert isinstance(result, ToolResult) and "'start_line' must be an integer" in result.error

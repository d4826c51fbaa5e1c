"""Tool calls in the model's own format: tools rendered by its chat template, calls parsed by mlx-lm's parser.

- ``render_text`` / ``render_prompt``: the chat template applied with ``tools=`` to typed messages (plain
  ``ChatMessage`` turns, ``AssistantToolCalls`` for a reply that called tools, ``ToolReply`` for a tool's result),
  each turned into the dict shape Hugging Face templates expect (``tool_calls`` with ``function.arguments`` as an
  object; ``role: tool`` messages).
- ``ToolFormat.of(tokenizer)``: the markers and parser mlx-lm picked for this template (``TokenizerWrapper``'s
  ``tool_call_start`` / ``tool_call_end`` / ``tool_parser``; for a bare Hugging Face tokenizer or an mlx-vlm
  processor the same inference mlx-lm's loader runs).
- ``ToolCallParser``: streaming; ``feed(delta)`` returns plain text that is safe to show/speak now and every
  complete call (``FunctionCall``, or ``MalformedCall`` with the parser's complaint). Text that could be the start of
  a call marker is held back until it is known not to be one.

This module is in models/: it imports no app/ code and runs wherever the tokenizer lives (no MLX arrays).
"""

from __future__ import annotations

import importlib
import itertools
import json
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Callable, Mapping, Sequence, Union

from models._lenient_json import loads_lenient
from models.base import ChatMessage, ModelError


@dataclass(frozen=True)
class ToolSpec:
    """A tool as the model sees it: name, description, JSON schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any]

    def as_template_dict(self) -> dict[str, Any]:
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": _plain(self.parameters)}}


@dataclass(frozen=True)
class FunctionCall:
    name: str
    arguments: Mapping[str, object]
    call_id: str = ""
    repairs: tuple[str, ...] = ()  # what had to be fixed to read it (empty when it was well-formed)

    def __post_init__(self) -> None:
        object.__setattr__(self, "arguments", MappingProxyType(dict(self.arguments)))

    def __hash__(self) -> int:
        return hash((self.name, self.call_id))


@dataclass(frozen=True)
class MalformedCall:
    """A tool call the parser could not read. ``name`` / ``arguments_text`` are filled when they could be found."""

    raw: str
    error: str
    call_id: str = ""
    name: str = ""
    arguments_text: str = ""


ParsedCall = Union[FunctionCall, MalformedCall]


@dataclass(frozen=True)
class AssistantToolCalls:
    """An assistant turn that called tools (``text`` is what it said before the calls)."""

    text: str
    calls: tuple[FunctionCall, ...]


@dataclass(frozen=True)
class ToolReply:
    call_id: str
    name: str
    content: str


TemplateMessage = Union[ChatMessage, AssistantToolCalls, ToolReply]


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _chat_dict(m: ChatMessage) -> dict[str, Any]:
    if not m.images:
        return {"role": m.speaker.value, "content": m.text}
    parts: list[dict[str, Any]] = [{"type": "image"} for _ in m.images]
    return {"role": m.speaker.value, "content": parts + [{"type": "text", "text": m.text}]}


def _calls_dict(m: AssistantToolCalls) -> dict[str, Any]:
    calls = [{"type": "function", "id": c.call_id,
              "function": {"name": c.name, "arguments": _plain(c.arguments)}} for c in m.calls]
    return {"role": "assistant", "content": m.text, "tool_calls": calls}


def _reply_dict(m: ToolReply) -> dict[str, Any]:
    return {"role": "tool", "tool_call_id": m.call_id, "name": m.name, "content": m.content}


_AS_DICT: dict[type, Callable[[Any], dict[str, Any]]] = {
    ChatMessage: _chat_dict, AssistantToolCalls: _calls_dict, ToolReply: _reply_dict,
}


def template_messages(messages: Sequence[TemplateMessage]) -> list[dict[str, Any]]:
    return [_AS_DICT[type(m)](m) for m in messages]


def _template_owner(tokenizer: Any) -> Any:
    """The object whose ``apply_chat_template`` renders text: mlx-lm's wrapper, or a processor's tokenizer."""
    from mlx_lm.tokenizer_utils import TokenizerWrapper

    if isinstance(tokenizer, TokenizerWrapper):
        return tokenizer
    return getattr(tokenizer, "tokenizer", tokenizer)


def render_text(tokenizer: Any, messages: Sequence[TemplateMessage], tools: Sequence[ToolSpec] = (),
                add_generation_prompt: bool = True, **template_kwargs: Any) -> str:
    owner = _template_owner(tokenizer)
    specs = [t.as_template_dict() for t in tools] or None
    return owner.apply_chat_template(template_messages(messages), tools=specs, tokenize=False,
                                     add_generation_prompt=add_generation_prompt, **template_kwargs)


def render_prompt(tokenizer: Any, messages: Sequence[TemplateMessage], tools: Sequence[ToolSpec] = (),
                  add_generation_prompt: bool = True, **template_kwargs: Any) -> list[int]:
    """Prompt token ids (what ``mlx_lm.stream_generate`` takes)."""
    text = render_text(tokenizer, messages, tools, add_generation_prompt, **template_kwargs)
    return list(_template_owner(tokenizer).encode(text, add_special_tokens=False))


@dataclass(frozen=True)
class ToolFormat:
    """How this model writes a tool call (the markers around it, mlx-lm's parser for the inside) and, when it has
    one, its reasoning block (``think_start`` / ``think_end``; empty when the model has none)."""

    parser_name: str
    start: str
    end: str
    parse: Callable[[str, Any], Any] = field(compare=False, repr=False)
    think_start: str = ""
    think_end: str = ""

    @classmethod
    def of(cls, tokenizer: Any) -> "ToolFormat | None":
        """None when the template has no tool-call format mlx-lm knows."""
        from mlx_lm.tokenizer_utils import TokenizerWrapper, _infer_thinking, _infer_tool_parser

        owner = _template_owner(tokenizer)
        hf = owner._tokenizer if isinstance(owner, TokenizerWrapper) else owner
        think_start, think_end = _infer_thinking(hf)[:2]
        think = {"think_start": think_start or "", "think_end": think_end or ""}
        if isinstance(tokenizer, TokenizerWrapper) and tokenizer.has_tool_calling:
            parse = tokenizer.tool_parser
            return cls(parse.__module__.rsplit(".", 1)[-1], tokenizer.tool_call_start, tokenizer.tool_call_end,
                       parse, **think)
        name = _infer_tool_parser(hf)
        return replace(cls.named(name), **think) if name else None

    @classmethod
    def named(cls, name: str) -> "ToolFormat":
        try:
            module = importlib.import_module(f"mlx_lm.tool_parsers.{name}")
        except ModuleNotFoundError:
            raise ModelError(f"mlx-lm has no tool-call parser named {name!r}.") from None
        return cls(name, module.tool_call_start, module.tool_call_end, module.parse_tool_call)


def require_format(tokenizer: Any) -> ToolFormat:
    fmt = ToolFormat.of(tokenizer)
    if fmt is None:
        raise ModelError("This model's chat template has no tool-call format; pick a model with tool support "
                         "(Qwen2.5/Qwen3/Qwen3.5 and most recent instruct models) to use tools.")
    return fmt


@dataclass(frozen=True)
class ParserOutput:
    text: str  # plain text to show / speak now
    calls: tuple[ParsedCall, ...] = ()
    reasoning: str = ""  # inside the model's think block: shown (muted) at most, never spoken, never run


_NORMAL, _THINK, _CALL = "normal", "think", "call"


class ToolCallParser:
    """Splits a model's streamed output into plain text, reasoning and typed tool calls (one instance per reply).
    ``in_thinking``: the prompt already opened the think block (a template that ends its generation prompt with
    ``<think>``), so the output starts inside it. Calls written inside a think block are reasoning, not calls."""

    def __init__(self, fmt: ToolFormat, tools: Sequence[ToolSpec] = (), id_prefix: str = "call",
                 in_thinking: bool = False) -> None:
        self._fmt = fmt
        self._tools = [t.as_template_dict() for t in tools] or None
        self._state = _THINK if in_thinking and fmt.think_end else _NORMAL
        self._pending = ""  # text that may be the start of a marker
        self._body = ""  # the call being read
        self._ids = (f"{id_prefix}_{i}" for i in itertools.count(1))

    @property
    def in_call(self) -> bool:
        return self._state == _CALL

    def feed(self, delta: str) -> ParserOutput:
        sinks: dict[str, list[str]] = {_NORMAL: [], _THINK: []}
        calls: list[ParsedCall] = []
        buf, self._pending = self._pending + delta, ""
        while buf:
            buf = self._call_step(buf, calls) if self._state == _CALL else self._text_step(buf, sinks)
        return ParserOutput("".join(sinks[_NORMAL]), tuple(calls), "".join(sinks[_THINK]))

    def _markers(self) -> dict[str, str]:
        if self._state == _THINK:
            return {self._fmt.think_end: _NORMAL}
        markers = {self._fmt.start: _CALL}
        if self._fmt.think_start:
            markers[self._fmt.think_start] = _THINK
        return markers

    def _text_step(self, buf: str, sinks: dict[str, list[str]]) -> str:
        markers = self._markers()
        found = [(buf.find(m), m) for m in markers if m in buf]
        sink = sinks[self._state]
        if not found:
            keep = max(_partial_suffix(buf, m) for m in markers)
            sink.append(buf[: len(buf) - keep])
            self._pending = buf[len(buf) - keep:]
            return ""
        at, marker = min(found)
        sink.append(buf[:at])
        self._state = markers[marker]
        return buf[at + len(marker):]

    def _call_step(self, buf: str, calls: list[ParsedCall]) -> str:
        joined = self._body + buf
        at = joined.find(self._fmt.end)
        if at < 0:
            self._body = joined
            return ""
        calls.extend(self._parse(joined[:at]))
        self._body, self._state = "", _NORMAL
        return joined[at + len(self._fmt.end):]

    def finish(self) -> ParserOutput:
        """End of the reply: held-back text comes out; an unterminated call is parsed as far as it got."""
        if self._state == _CALL:
            body, self._body, self._state = self._body, "", _NORMAL
            return ParserOutput("", tuple(self._parse(body)) if body.strip() else ())
        text, self._pending = self._pending, ""
        return ParserOutput("", (), text) if self._state == _THINK else ParserOutput(text)

    def _parse(self, body: str) -> list[ParsedCall]:
        call_id = next(self._ids)
        try:
            parsed = self._fmt.parse(body, self._tools)
        except Exception as first:  # noqa: BLE001 - each parser raises its own kinds; all mean "cannot read it"
            parsed = self._retry(body, first, call_id)
            if isinstance(parsed, MalformedCall):
                return [parsed]
            return _typed(parsed, call_id, self._ids, ("read leniently",))
        return _typed(parsed, call_id, self._ids, ())

    def _retry(self, body: str, error: Exception, call_id: str) -> Any:
        """Without schema conversion (a value the schema could not convert), then as lenient JSON."""
        try:
            return self._fmt.parse(body, None)
        except Exception:  # noqa: BLE001
            pass
        try:
            value, _ = loads_lenient(body.strip())
        except ValueError:
            value = None
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value
        return MalformedCall(body, f"{type(error).__name__}: {error}", call_id, *_guess_name(body))


def _typed(parsed: Any, call_id: str, ids: Any, repairs: tuple[str, ...]) -> list[ParsedCall]:
    items = parsed if isinstance(parsed, list) else [parsed]
    out: list[ParsedCall] = []
    for i, item in enumerate(items):
        cid = call_id if i == 0 else next(ids)
        out.append(_one(item, cid, repairs))
    return out


def _one(item: Any, call_id: str, repairs: tuple[str, ...]) -> ParsedCall:
    raw = json.dumps(item, ensure_ascii=False, default=str)
    if not isinstance(item, dict) or not isinstance(item.get("name"), str):
        return MalformedCall(raw, "a tool call needs a function name", call_id)
    args = item.get("arguments", item.get("parameters", {}))
    if args is None:
        args = {}
    if isinstance(args, str):
        try:
            args, more = loads_lenient(args) if args.strip() else ({}, ())
            repairs += more
        except ValueError as exc:
            return MalformedCall(raw, f"the arguments are not valid JSON ({exc})", call_id, item["name"], args)
    if not isinstance(args, dict):
        return MalformedCall(raw, "the arguments must be an object", call_id, item["name"],
                             json.dumps(args, ensure_ascii=False, default=str))
    return FunctionCall(item["name"], args, call_id, repairs)


def _guess_name(body: str) -> tuple[str, str]:
    """(name, arguments text) from a JSON-ish call that did not parse, or ("", "")."""
    key = body.find('"name"')
    if key < 0:
        return "", ""
    rest = body[key + 6:].lstrip(" :\t\n")
    if not rest.startswith('"') or '"' not in rest[1:]:
        return "", ""
    name = rest[1:rest.index('"', 1)]
    args_at = body.find('"arguments"')
    args = body[args_at + 11:].strip(" :\t\n") if args_at >= 0 else ""
    if args.endswith("}"):
        args = args[:-1].rstrip()  # the closing brace of the call itself
    return name, args


def _partial_suffix(text: str, marker: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``marker``."""
    for n in range(min(len(marker) - 1, len(text)), 0, -1):
        if marker.startswith(text[-n:]):
            return n
    return 0

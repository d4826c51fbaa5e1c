"""Read JSON the way a small model tends to write it: strict first, then unambiguous repairs only.

Repairs: code fences around it, trailing commas, Python-style single quotes and True/False/None, a JSON document
encoded once more as a string, and closing brackets missing at the very end (a call cut short after its last value).
Anything else raises ValueError with the JSON decoder's message.
"""

from __future__ import annotations

import ast
import json
from typing import Any

_WORDS = {"true": "True", "false": "False", "null": "None"}
_CLOSERS = {"{": "}", "[": "]"}


def loads_lenient(text: str) -> tuple[Any, tuple[str, ...]]:
    """(value, repairs made). ``repairs`` is empty when ``text`` was valid JSON."""
    try:
        return _unwrap(json.loads(text), [])
    except ValueError as exc:
        first_error = exc
    repairs: list[str] = []
    body = _strip_fences(text.strip(), repairs)
    body = _close_brackets(body, repairs)
    body = _drop_trailing_commas(body, repairs)
    try:
        return _unwrap(json.loads(body), repairs)
    except ValueError:
        pass
    try:
        value = ast.literal_eval(_python_words(body))
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"not valid JSON: {first_error}") from None
    if not _json_like(value):
        raise ValueError(f"not valid JSON: {first_error}")
    repairs.append("single quotes / Python literals read as JSON")
    return _unwrap(value, repairs)


def _unwrap(value: Any, repairs: list[str]) -> tuple[Any, tuple[str, ...]]:
    """A whole JSON object or array sent as a string (double-encoded) is decoded once more."""
    if isinstance(value, str) and value.strip()[:1] in ("{", "["):
        try:
            inner = json.loads(value)
        except ValueError:
            return value, tuple(repairs)
        return inner, tuple(repairs) + ("JSON given as a string was decoded",)
    return value, tuple(repairs)


def _strip_fences(text: str, repairs: list[str]) -> str:
    if text.startswith("```"):
        lines = text.splitlines()
        inner = lines[1:-1] if lines[-1].strip().startswith("```") and len(lines) > 1 else lines[1:]
        repairs.append("code fence removed")
        return "\n".join(inner).strip()
    return text


def _scan(text: str):
    """Yield (index, char, in_string) for every character, tracking both quote styles and escapes."""
    quote = ""
    escaped = False
    for i, ch in enumerate(text):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
                yield i, ch, True
                continue
            yield i, ch, True
        elif ch in ("'", '"'):
            quote = ch
            yield i, ch, True
        else:
            yield i, ch, False


def _close_brackets(text: str, repairs: list[str]) -> str:
    stack: list[str] = []
    in_string = False
    for _, ch, in_string in _scan(text):
        if in_string:
            continue
        if ch in _CLOSERS:
            stack.append(_CLOSERS[ch])
        elif ch in ("}", "]"):
            if not stack or stack.pop() != ch:
                return text  # mismatched: not a simple truncation
    if stack and not _ends_in_open_string(text):
        repairs.append(f"{len(stack)} missing closing bracket(s) added")
        return text + "".join(reversed(stack))
    return text


def _ends_in_open_string(text: str) -> bool:
    quote = ""
    escaped = False
    for ch in text:
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote:
                quote = ""
        elif ch in ("'", '"'):
            quote = ch
    return bool(quote)


def _drop_trailing_commas(text: str, repairs: list[str]) -> str:
    out: list[str] = []
    pending_comma = -1
    for _, ch, in_string in _scan(text):
        if not in_string and ch == ",":
            pending_comma = len(out)
        elif not in_string and ch in "}]" and pending_comma >= 0 and not "".join(out[pending_comma + 1:]).strip():
            out[pending_comma] = ""
            repairs.append("trailing comma removed")
            pending_comma = -1
        elif in_string or not ch.isspace():
            pending_comma = -1
        out.append(ch)
    return "".join(out)


def _python_words(text: str) -> str:
    """JSON's true/false/null outside strings as Python's True/False/None (for ast.literal_eval)."""
    out: list[str] = []
    word: list[str] = []
    for _, ch, in_string in _scan(text + " "):
        if not in_string and (ch.isalnum() or ch == "_"):
            word.append(ch)
            continue
        if word:
            token = "".join(word)
            out.append(_WORDS.get(token, token))
            word = []
        out.append(ch)
    return "".join(out)[:-1]


def _json_like(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_json_like(v) for v in value)
    return value is None or isinstance(value, (str, int, float, bool))

"""Check tool arguments against the small subset of JSON Schema the tools use, repairing unambiguous slips.

Supported keywords: type (object / string / integer / number / boolean / array), properties, required, enum,
items, additionalProperties (false), minimum, maximum, minLength. Repairs (each reported, so a caller can log it):
a number or boolean written as a string ("12", "true"), an integral float for an integer, a JSON string where an
object or array was expected, a lone string where an array of strings was expected. Anything else is an error
message that says which argument is wrong and what was expected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping


@dataclass(frozen=True)
class Checked:
    value: Any
    repairs: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()


def check(schema: Mapping[str, Any], value: Any, where: str = "arguments") -> Checked:
    kind = schema.get("type")
    if kind is None:
        return Checked(value)
    coerced, repairs, error = _coerce(kind, value, where, schema)
    if error:
        return Checked(value, tuple(repairs), (error,))
    sub = _CHECKS[kind](schema, coerced, where)
    return Checked(sub.value, tuple(repairs) + sub.repairs, sub.errors)


def _coerce(kind: str, value: Any, where: str, schema: Mapping[str, Any]) -> tuple[Any, list[str], str]:
    if _is_type(kind, value):
        return value, [], ""
    repaired = _REPAIRS.get(kind, _no_repair)(value, schema)
    if repaired is not _FAIL:
        return repaired, [f"{where}: {_short(value)} read as {kind}"], ""
    return value, [], f"{where} must be {_article(kind)} {kind}, got {_short(value)}"


def _is_type(kind: str, value: Any) -> bool:
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, _PY_TYPES[kind])


_PY_TYPES: dict[str, type | tuple[type, ...]] = {
    "object": dict, "string": str, "boolean": bool, "array": list, "integer": int, "number": (int, float),
}
_FAIL = object()


def _no_repair(value: Any, schema: Mapping[str, Any]) -> Any:
    return _FAIL


def _to_integer(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                number = float(text)
            except ValueError:
                return _FAIL
            return int(number) if number.is_integer() else _FAIL
    return _FAIL


def _to_number(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return _FAIL
        return int(number) if number.is_integer() else number
    return _FAIL


def _to_boolean(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return _FAIL


def _from_json(kind: str) -> Callable[[Any, Mapping[str, Any]], Any]:
    def repair(value: Any, schema: Mapping[str, Any]) -> Any:
        if isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = _FAIL
            if _is_type(kind, parsed):
                return parsed
            items = schema.get("items", {})
            if kind == "array" and items.get("type") == "string":
                return [value]
        return _FAIL
    return repair


def _to_string(value: Any, schema: Mapping[str, Any]) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return _FAIL


_REPAIRS: dict[str, Callable[[Any, Mapping[str, Any]], Any]] = {
    "integer": _to_integer, "number": _to_number, "boolean": _to_boolean, "string": _to_string,
    "object": _from_json("object"), "array": _from_json("array"),
}


def _check_object(schema: Mapping[str, Any], value: dict, where: str) -> Checked:
    props: Mapping[str, Any] = schema.get("properties", {})
    errors = [f"{where} is missing the required argument '{name}'"
              for name in schema.get("required", ()) if name not in value]
    if schema.get("additionalProperties") is False:
        errors += [f"{where} has an unknown argument '{key}' (known: {', '.join(props) or 'none'})"
                   for key in value if key not in props]
    out: dict[str, Any] = {}
    repairs: list[str] = []
    for key, item in value.items():
        if key not in props:
            out[key] = item
            continue
        sub = check(props[key], item, f"'{key}'")
        out[key] = sub.value
        repairs += sub.repairs
        errors += sub.errors
    return Checked(out, tuple(repairs), tuple(errors))


def _check_array(schema: Mapping[str, Any], value: list, where: str) -> Checked:
    items = schema.get("items")
    if not items:
        return Checked(value)
    results = [check(items, item, f"{where}[{i}]") for i, item in enumerate(value)]
    return Checked([r.value for r in results], tuple(x for r in results for x in r.repairs),
                   tuple(x for r in results for x in r.errors))


def _check_scalar(schema: Mapping[str, Any], value: Any, where: str) -> Checked:
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where} must be one of {', '.join(map(json.dumps, schema['enum']))}, got {_short(value)}")
    if "minimum" in schema and isinstance(value, (int, float)) and value < schema["minimum"]:
        errors.append(f"{where} must be at least {schema['minimum']}, got {value}")
    if "maximum" in schema and isinstance(value, (int, float)) and value > schema["maximum"]:
        errors.append(f"{where} must be at most {schema['maximum']}, got {value}")
    if "minLength" in schema and isinstance(value, str) and len(value) < schema["minLength"]:
        errors.append(f"{where} must not be empty")
    return Checked(value, (), tuple(errors))


_CHECKS: dict[str, Callable[[Mapping[str, Any], Any, str], Checked]] = {
    "object": _check_object, "array": _check_array, "string": _check_scalar, "integer": _check_scalar,
    "number": _check_scalar, "boolean": _check_scalar,
}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def _article(kind: str) -> str:
    return "an" if kind[0] in "aeiou" else "a"

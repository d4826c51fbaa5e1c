"""Reading a policy: one flat table of keys, the same in a TOML file and in a macOS managed-preferences plist.

    network_allowed = false
    allowed_models = ["<sha256 of a bundle's hearth-bundle.json>", ...]   # omit: any model
    require_signed_models = true
    trusted_keys = ["<Ed25519 public key, base64 or hex>", ...]
    allowed_modes = ["..."]          # omit: any mode
    allowed_tools = ["..."]          # omit: any tool
    camera_allowed = false
    screen_allowed = false
    retention_days = 30              # omit or 0: keep conversations
    audit_conversation_text = false
    audit_dir = "/var/log/hearth"    # omit: <data>/audit

Any problem (unreadable file, bad syntax, an unknown key, a value of the wrong type) is fatal: the whole policy
becomes ``LOCKDOWN`` and every problem is listed, so the administrator fixes them all in one go. An unknown key is
fatal because it is most likely a misspelt restriction (``netwrok_allowed = false``) that would otherwise be lost.
"""

from __future__ import annotations

import plistlib
import re
import tomllib
from dataclasses import fields, replace
from pathlib import Path
from typing import Any, Callable

from app.policy.model import LOCKDOWN, Policy, PolicyProblem
from models.bundle import normalize_public_key

_HASH = re.compile(r"^(sha256:)?([0-9a-fA-F]{64})$")
_IGNORED_PREFIXES = ("Payload", "mcx_")  # MDM bookkeeping keys in managed-preference plists


class _Bad(ValueError):
    pass


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Bad("must be true or false")
    return value


def _strings(value: Any) -> list[str]:
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
        raise _Bad("must be a list of text strings")
    return [v.strip() for v in value]


def _names(value: Any) -> frozenset[str]:
    return frozenset(_strings(value))


def _hashes(value: Any) -> frozenset[str]:
    out = set()
    for item in _strings(value):
        m = _HASH.match(item)
        if m is None:
            raise _Bad(f"{item!r} is not a sha256 manifest hash (64 hex digits)")
        out.add(m.group(2).lower())
    return frozenset(out)


def _keys(value: Any) -> tuple[str, ...]:
    out = []
    for item in _strings(value):
        try:
            out.append(normalize_public_key(item))
        except ValueError as exc:
            raise _Bad(f"{item[:16]!r}... is not an Ed25519 public key: {exc}") from None
    return tuple(dict.fromkeys(out))


def _days(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _Bad("must be a whole number of days (0 = keep conversations)")
    return value or None


def _path(value: Any) -> Path:
    if not isinstance(value, str) or not value.strip() or not Path(value).expanduser().is_absolute():
        raise _Bad("must be an absolute folder path")
    return Path(value).expanduser()


_PARSERS: dict[str, Callable[[Any], Any]] = {
    "network_allowed": _bool,
    "allowed_models": _hashes,
    "require_signed_models": _bool,
    "trusted_keys": _keys,
    "allowed_modes": _names,
    "allowed_tools": _names,
    "camera_allowed": _bool,
    "screen_allowed": _bool,
    "retention_days": _days,
    "audit_conversation_text": _bool,
    "audit_dir": _path,
}
assert set(_PARSERS) == {f.name for f in fields(Policy)}, "every Policy field has a parser"


def parse_policy(raw: Any) -> tuple[Policy, tuple[PolicyProblem, ...]]:
    """The policy a mapping describes, or LOCKDOWN and the list of what is wrong."""
    if not isinstance(raw, dict):
        return LOCKDOWN, (PolicyProblem("", "the policy must be a table of keys"),)
    values: dict[str, Any] = {}
    problems: list[PolicyProblem] = []
    for key, value in raw.items():
        if any(str(key).startswith(p) for p in _IGNORED_PREFIXES):
            continue
        parser = _PARSERS.get(key)
        if parser is None:
            problems.append(PolicyProblem(key, f"{key!r} is not a policy key (known: {', '.join(_PARSERS)})."))
            continue
        try:
            values[key] = parser(value)
        except _Bad as exc:
            problems.append(PolicyProblem(key, f"{key} {exc}."))
    if problems:
        return LOCKDOWN, tuple(problems)
    policy = replace(Policy(), **values)
    if policy.require_signed_models and not policy.trusted_keys:
        problems.append(PolicyProblem("trusted_keys", "require_signed_models is true but trusted_keys is empty, so "
                                                      "no model can load.", fatal=False))
    return policy, tuple(problems)


def _read_toml(data: bytes) -> Any:
    return tomllib.loads(data.decode("utf-8"))


def _read_plist(data: bytes) -> Any:
    return plistlib.loads(data)


def read_policy_file(path: Path) -> tuple[Policy, tuple[PolicyProblem, ...]]:
    """A policy from a ``.toml`` file or a ``.plist`` (XML or binary); every failure becomes LOCKDOWN + a problem."""
    reader = _read_plist if path.suffix.lower() == ".plist" else _read_toml
    try:
        raw = reader(path.read_bytes())
    except OSError as exc:
        return LOCKDOWN, (PolicyProblem("", f"cannot read {path}: {exc.strerror or exc}."),)
    except (tomllib.TOMLDecodeError, plistlib.InvalidFileException, UnicodeDecodeError, ValueError) as exc:
        return LOCKDOWN, (PolicyProblem("", f"{path} is not a valid {path.suffix.lstrip('.') or 'toml'} file "
                                            f"({exc})."),)
    return parse_policy(raw)

"""The policy over the user's settings: forced values, the list of locked settings, and a readable summary.

Only settings that exist are touched: a lock whose key the Settings dataclass does not have (yet) is skipped, so a
new setting is locked by adding one row to ``LOCKS``.
"""

from __future__ import annotations

from dataclasses import dataclass, is_dataclass, replace
from typing import Any, Callable, TypeVar

from app.policy.model import Policy

S = TypeVar("S")


@dataclass(frozen=True)
class LockedSetting:
    key: str  # dotted settings key, e.g. "models.offline"
    value: Any  # the value the policy forces
    reason: str  # shown next to the read-only control: "Managed by your organization: <reason>"


@dataclass(frozen=True)
class Lock:
    key: str
    applies: Callable[[Policy], bool]
    value: Callable[[Policy], Any]
    reason: str


LOCKS: tuple[Lock, ...] = (
    Lock("models.offline", lambda p: not p.network_allowed, lambda p: True, "network access is off"),
    Lock("eyes.camera", lambda p: not p.camera_allowed, lambda p: False, "the camera is not allowed"),
    Lock("eyes.screen", lambda p: not p.screen_allowed, lambda p: False, "screen capture is not allowed"),
)


def _get(obj: Any, path: list[str]) -> tuple[bool, Any]:
    for part in path:
        if not is_dataclass(obj) or not hasattr(obj, part):
            return False, None
        obj = getattr(obj, part)
    return True, obj


def _set(obj: Any, path: list[str], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    return replace(obj, **{head: _set(getattr(obj, head), rest, value)})


def apply_policy(settings: S, policy: Policy) -> tuple[S, tuple[LockedSetting, ...]]:
    """The settings the app runs with (the user's, with the policy's values forced) and what is locked."""
    locked = []
    for lock in LOCKS:
        path = lock.key.split(".")
        present, _ = _get(settings, path)
        if not present or not lock.applies(policy):
            continue
        value = lock.value(policy)
        settings = _set(settings, path, value)
        locked.append(LockedSetting(lock.key, value, lock.reason))
    return settings, tuple(locked)


def is_locked(locked: tuple[LockedSetting, ...], key: str) -> LockedSetting | None:
    return next((item for item in locked if item.key == key), None)


@dataclass(frozen=True)
class PolicyLine:
    key: str
    value: str
    restricted: bool  # differs from an unmanaged install


def _names(names: frozenset[str] | None, what: str) -> tuple[str, bool]:
    if names is None:
        return f"any {what}", False
    return (", ".join(sorted(names)) if names else f"no {what}"), True


def describe_policy(policy: Policy) -> tuple[PolicyLine, ...]:
    """What the policy allows, one line per subject, for `hearth policy show` and `hearth doctor`."""
    models, models_r = ("any model", False) if policy.allowed_models is None else (
        f"{len(policy.allowed_models)} allowed by manifest hash" if policy.allowed_models else "none", True)
    signed = (f"required, {len(policy.trusted_keys)} trusted key(s)" if policy.require_signed_models
              else f"not required, {len(policy.trusted_keys)} trusted key(s)")
    modes, modes_r = _names(policy.allowed_modes, "mode")
    tools, tools_r = _names(policy.allowed_tools, "tool")
    retention = f"{policy.retention_days} days" if policy.retention_days else "kept until deleted"
    return (
        PolicyLine("network", "allowed" if policy.network_allowed else "off (loopback only; guard on)",
                   not policy.network_allowed),
        PolicyLine("models", models, models_r),
        PolicyLine("signatures", signed, policy.require_signed_models),
        PolicyLine("modes", modes, modes_r),
        PolicyLine("tools", tools, tools_r),
        PolicyLine("camera", "allowed" if policy.camera_allowed else "off", not policy.camera_allowed),
        PolicyLine("screen", "allowed" if policy.screen_allowed else "off", not policy.screen_allowed),
        PolicyLine("retention", retention, policy.retention_days is not None),
        PolicyLine("audit text", "conversation text recorded" if policy.audit_conversation_text
                   else "no conversation text", policy.audit_conversation_text),
        PolicyLine("audit log", str(policy.audit_dir) if policy.audit_dir else "default (<data>/audit)",
                   policy.audit_dir is not None),
    )

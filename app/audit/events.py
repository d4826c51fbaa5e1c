"""One helper per audited event the app records outside app/policy, so every call site writes the same fields.

Each takes the audit sink (``app.policy.startup.current().audit``: an AuditLog, or a NullAudit when unmanaged).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any

from app.audit.log import AuditKind


def _flat(obj: Any, prefix: str = "") -> dict[str, Any]:
    if not dataclasses.is_dataclass(obj):
        return {prefix: obj.value if isinstance(obj, enum.Enum) else obj}
    out: dict[str, Any] = {}
    for f in dataclasses.fields(obj):
        out.update(_flat(getattr(obj, f.name), f"{prefix}.{f.name}" if prefix else f.name))
    return out


def settings_changes(old: Any, new: Any) -> dict[str, dict[str, Any]]:
    """{"audio.vad_sensitivity": {"from": 0.5, "to": 0.7}, ...} for every setting that differs."""
    before, after = _flat(old), _flat(new)
    return {k: {"from": before.get(k), "to": v} for k, v in after.items() if before.get(k) != v}


def record_settings_change(audit: Any, old: Any, new: Any, by: str = "user") -> None:
    changes = settings_changes(old, new)
    if changes:
        audit.record(AuditKind.SETTINGS_CHANGE, by=by, changes=changes)


def record_tool_call(audit: Any, tool: str, risk: Any, arguments: Mapping[str, Any], approved_by: str,
                     allowed: bool = True, outcome: str = "") -> None:
    """``approved_by``: "user" (asked and said yes), "auto" (the mode's standing permission), "denied" (the user said
    no) or "policy" (refused by the organization). Arguments are summarized: no text unless the policy says so."""
    audit.record(AuditKind.TOOL_CALL, tool=tool, risk=risk.name if isinstance(risk, enum.Enum) else str(risk),
                 arguments=audit.summarize(arguments), approved_by=approved_by, allowed=allowed, outcome=outcome)

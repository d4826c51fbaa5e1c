"""`hearth doctor`'s policy lines: "Managed by your organization", what is restricted, and what is locked.

Wiring (app/doctor.py): add ``check_policy`` to ``CHECKS``, importing lazily (this module imports app.doctor)::

    def check_policy(ctx: DoctorContext) -> list[Check]:
        from app.policy.doctor_check import policy_checks
        return policy_checks(ctx.settings)
"""

from __future__ import annotations

from typing import Any

from app.doctor import Check, Status
from app.policy.apply import apply_policy, describe_policy
from app.policy.startup import current


def policy_checks(settings: Any) -> list[Check]:
    loaded = current().loaded
    if not loaded.managed:
        return [Check(Status.OK, "policy", "not managed (no organization policy installed)")]
    if loaded.fail_closed:
        head = Check(Status.FAIL, "policy", f"broken policy, running locked down ({loaded.source.describe()})",
                     "Ask your administrator to fix it: " + " ".join(p.message for p in loaded.problems if p.fatal))
    else:
        head = Check(Status.OK, "policy", f"Managed by your organization ({loaded.source.describe()})")
    out = [head]
    out += [Check(Status.WARN, "policy", p.message) for p in loaded.problems if not p.fatal]
    out += [Check(Status.OK, "managed", f"{line.key}: {line.value}")
            for line in describe_policy(loaded.policy) if line.restricted]
    _, locked = apply_policy(settings, loaded.policy)
    out += [Check(Status.OK, "locked", f"{item.key} = {item.value!r}: {item.reason}") for item in locked]
    return out

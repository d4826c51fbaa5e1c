"""The organization's policy as typed values: what it allows, where it came from, and the checks call sites ask.

``UNMANAGED`` (no policy installed) allows everything. ``LOCKDOWN`` is what a broken policy file becomes: the most
restrictive policy under which Hearth still starts and can explain itself (see ``LOCKDOWN``'s comment).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Policy:
    network_allowed: bool = True
    allowed_models: frozenset[str] | None = None  # sha256 hex of bundle manifests; None = any model
    require_signed_models: bool = False
    trusted_keys: tuple[str, ...] = ()  # Ed25519 public keys, canonical base64 (32 raw bytes)
    allowed_modes: frozenset[str] | None = None  # None = any mode
    allowed_tools: frozenset[str] | None = None  # None = any tool
    camera_allowed: bool = True
    screen_allowed: bool = True
    retention_days: int | None = None  # None = keep conversations until the user deletes them
    audit_conversation_text: bool = False
    audit_dir: Path | None = None  # None = <data>/audit

    def model_allowed(self, manifest_hash: str | None) -> bool:
        """``manifest_hash`` is the sha256 of a bundle's manifest file, or None for a folder without one."""
        if self.allowed_models is None:
            return True
        return manifest_hash is not None and manifest_hash.lower() in self.allowed_models

    def mode_allowed(self, name: str) -> bool:
        return self.allowed_modes is None or name in self.allowed_modes

    def tool_allowed(self, name: str) -> bool:
        return self.allowed_tools is None or name in self.allowed_tools

    def frame_source_allowed(self, name: str) -> bool:
        """app/eyes source names: "camera" and "screen" follow their keys; files and synthetic frames are local."""
        return {"camera": self.camera_allowed, "screen": self.screen_allowed}.get(name, True)


UNMANAGED = Policy()

# A broken policy file must never leave the desk less protected than the administrator meant, so every key takes its
# most restrictive value: no network (the guard is on), no model folder loads (an empty allow-list, signatures
# required, no trusted key), no mode, no tool, no camera, no screen, no conversation text in the audit log. Two keys are
# deliberately NOT "most restrictive": retention stays off (a broken file must never delete the user's conversations)
# and the audit log stays in its default place. Hearth still starts: `hearth policy show`, `hearth doctor`, the GUI's
# banner and every refused model load say that the policy file is broken, where it is, and what is wrong with it.
LOCKDOWN = Policy(
    network_allowed=False,
    allowed_models=frozenset(),
    require_signed_models=True,
    trusted_keys=(),
    allowed_modes=frozenset(),
    allowed_tools=frozenset(),
    camera_allowed=False,
    screen_allowed=False,
    retention_days=None,
    audit_conversation_text=False,
    audit_dir=None,
)


class SourceKind(enum.Enum):
    NONE = "none"  # unmanaged
    ENV = "HEARTH_POLICY"  # tests and evaluation only; ignored when an administrator's policy is installed
    MANAGED_PREFERENCES = "managed preferences"  # macOS: the plist an MDM profile installs
    FILE = "policy file"  # /Library/Application Support/Hearth/policy.toml, /etc/hearth/policy.toml


@dataclass(frozen=True)
class PolicySource:
    kind: SourceKind
    path: Path | None = None

    def describe(self) -> str:
        if self.kind is SourceKind.NONE:
            return "no policy installed (unmanaged)"
        return f"{self.kind.value}: {self.path}"


@dataclass(frozen=True)
class PolicyProblem:
    key: str  # the policy key, or "" for the whole file
    message: str
    fatal: bool = True  # fatal problems make the whole policy LOCKDOWN; others are warnings


@dataclass(frozen=True)
class LoadedPolicy:
    policy: Policy
    source: PolicySource
    problems: tuple[PolicyProblem, ...] = ()

    @property
    def managed(self) -> bool:
        return self.source.kind is not SourceKind.NONE

    @property
    def fail_closed(self) -> bool:
        return any(p.fatal for p in self.problems)

    def explain(self) -> str:
        """One user-facing sentence for banners and refusals."""
        if not self.managed:
            return "Not managed: no organization policy is installed."
        if self.fail_closed:
            return (f"The organization's policy ({self.source.describe()}) is broken, so Hearth runs locked down "
                    f"(no network, no models, no camera or screen). Ask your administrator to fix it: "
                    + " ".join(p.message for p in self.problems if p.fatal))
        return f"Managed by your organization ({self.source.describe()})."

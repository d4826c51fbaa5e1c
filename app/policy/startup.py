"""The enterprise start: policy → network guard → audit log → retention, before anything else runs.

``app.cli.main`` calls :func:`start` first thing. Everything else asks :func:`current` for the effective policy and
the audit log (``current().policy.tool_allowed(name)``, ``current().audit.record(AuditKind.MODEL_LOAD, ...)``).
Unmanaged installs (no policy) get no guard, no audit log (a NullAudit) and no retention: nothing changes for them.
"""

from __future__ import annotations

import atexit
import logging
import os
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.audit.log import AuditKind, AuditLog, NullAudit
from app.config import paths
from app.policy import netguard
from app.policy.apply import LockedSetting, apply_policy, describe_policy
from app.policy.load import load_policy
from app.policy.model import LoadedPolicy, Policy
from app.policy.retention import RetentionReport, apply_retention

log = logging.getLogger("hearth.policy")


class SafeAudit:
    """An AuditLog whose failures (disk full, folder not writable) are reported once instead of stopping the app."""

    def __init__(self, inner: AuditLog) -> None:
        self.inner = inner
        self.keep_text = inner.keep_text
        self.folder = inner.folder
        self._warned = False

    def summarize(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return self.inner.summarize(args)

    def record(self, kind: AuditKind, **fields: Any) -> Any:
        try:
            return self.inner.record(kind, **fields)
        except OSError as exc:
            if not self._warned:
                self._warned = True
                print(f"Warning: cannot write the audit log in {self.inner.folder}: {exc}", file=sys.stderr)
            log.warning("audit record %s not written: %s", kind.value, exc)
            return None


@dataclass(frozen=True)
class Enterprise:
    loaded: LoadedPolicy
    audit: SafeAudit | NullAudit
    guard_installed: bool
    retention: RetentionReport = field(default_factory=RetentionReport)

    @property
    def policy(self) -> Policy:
        return self.loaded.policy


def audit_dir(policy: Policy) -> Path:
    return policy.audit_dir or (paths.data_dir() / "audit")


def conversations_dir() -> Path:
    return paths.data_dir() / "conversations"


def open_audit(loaded: LoadedPolicy) -> SafeAudit | NullAudit:
    if not loaded.managed:
        return NullAudit()
    return SafeAudit(AuditLog(audit_dir(loaded.policy), keep_text=loaded.policy.audit_conversation_text))


_current: Enterprise | None = None
_state_lock = threading.Lock()
_stop_registered = False
_listener: Any = None


def _command_name(argv: list[str]) -> str:
    return next((a for a in argv if not a.startswith("-")), "")  # the command only: arguments may be conversation


def _on_refused(audit: SafeAudit | NullAudit):
    def listener(attempt: netguard.Attempt) -> None:
        audit.record(AuditKind.NETWORK_REFUSED, operation=attempt.operation, target=attempt.target,
                     caller=attempt.caller)
    return listener


def _announce(loaded: LoadedPolicy) -> None:
    for problem in loaded.problems:
        log.info("policy: %s", problem.message)
        if not problem.fatal:
            print(f"Policy warning: {problem.message}", file=sys.stderr)
    if loaded.fail_closed:
        print(loaded.explain(), file=sys.stderr)


def start(argv: list[str] | None = None) -> Enterprise:
    """Load the policy; with the network off install the guard (before any other import opens a socket); open the
    audit log and record the start; delete expired conversations. Safe to call more than once (tests)."""
    global _current, _stop_registered, _listener
    argv = sys.argv[1:] if argv is None else argv
    loaded = load_policy()
    guard = not loaded.policy.network_allowed
    if guard:
        netguard.install()
    audit = open_audit(loaded)
    if _listener is not None:
        netguard.remove_listener(_listener)
        _listener = None
    if guard and loaded.managed:
        _listener = _on_refused(audit)
        netguard.add_listener(_listener)
    audit.record(AuditKind.APP_START, pid=os.getpid(), command=_command_name(argv))
    audit.record(AuditKind.POLICY_LOADED, source=loaded.source.describe(), fail_closed=loaded.fail_closed,
                 problems=[p.message for p in loaded.problems], guard=guard,
                 effective={line.key: line.value for line in describe_policy(loaded.policy)})
    _announce(loaded)
    retention = apply_retention(conversations_dir(), loaded.policy.retention_days, audit)
    ctx = Enterprise(loaded, audit, guard or netguard.installed(), retention)
    with _state_lock:
        _current = ctx
        if not _stop_registered:
            atexit.register(_stop)
            _stop_registered = True
    return ctx


def _stop() -> None:
    ctx = _current
    if ctx is not None:
        ctx.audit.record(AuditKind.APP_STOP, pid=os.getpid())


def current() -> Enterprise:
    """The context :func:`start` made; without a start (a test, an embedding) the policy is loaded with no side
    effects: no guard, no audit records, no deletions."""
    global _current
    with _state_lock:
        if _current is None:
            loaded = load_policy()
            _current = Enterprise(loaded, open_audit(loaded), netguard.installed())
        return _current


def effective_settings(settings: Any) -> tuple[Any, tuple[LockedSetting, ...]]:
    """The user's settings with the policy's values forced, and which settings are locked (read-only)."""
    return apply_policy(settings, current().policy)


def reset_for_tests() -> None:
    global _current
    with _state_lock:
        _current = None

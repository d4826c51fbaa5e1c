"""Finding the administrator's policy: managed preferences / policy file per platform, else HEARTH_POLICY, else none.

An administrator's policy always wins over ``HEARTH_POLICY``: the variable is for tests and evaluation on machines
nobody manages, so a user cannot escape a managed policy by pointing it at a permissive file.
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from app.policy.model import UNMANAGED, LoadedPolicy, PolicyProblem, PolicySource, SourceKind
from app.policy.parse import read_policy_file

BUNDLE_ID = "com.hearth.app"  # macOS bundle id: the name of the managed-preferences plist an MDM profile installs
ENV_VAR = "HEARTH_POLICY"


@dataclass(frozen=True)
class Candidate:
    kind: SourceKind
    path: Path


def system_candidates(platform: str = sys.platform, user: str | None = None) -> tuple[Candidate, ...]:
    """Where an administrator's policy may be, most specific first."""
    if platform == "darwin":
        managed = Path("/Library/Managed Preferences")
        user = user or _user()
        per_user = (Candidate(SourceKind.MANAGED_PREFERENCES, managed / user / f"{BUNDLE_ID}.plist"),) if user else ()
        return per_user + (
            Candidate(SourceKind.MANAGED_PREFERENCES, managed / f"{BUNDLE_ID}.plist"),
            Candidate(SourceKind.FILE, Path("/Library/Application Support/Hearth/policy.toml")),
        )
    return (Candidate(SourceKind.FILE, Path("/etc/hearth/policy.toml")),)


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return ""


def _present(path: Path) -> bool:
    """A policy that is there but cannot be read counts as there (and fails closed), never as absent."""
    try:
        return path.exists()
    except PermissionError:
        return True


def _ownership_warning(path: Path) -> tuple[PolicyProblem, ...]:
    """An administrator's policy that its user can edit protects nothing: say so (the policy still applies)."""
    try:
        st = path.stat()
    except OSError:
        return ()
    if st.st_uid != 0 or st.st_mode & 0o022:
        return (PolicyProblem("", f"{path} can be changed by a non-administrator (owner uid {st.st_uid}, mode "
                                  f"{st.st_mode & 0o777:o}); make it root-owned and not group/world-writable.",
                              fatal=False),)
    return ()


def _load(kind: SourceKind, path: Path, check_owner: bool) -> LoadedPolicy:
    policy, problems = read_policy_file(path)
    if check_owner:
        problems = problems + _ownership_warning(path)
    return LoadedPolicy(policy, PolicySource(kind, path), problems)


def load_policy(env: Mapping[str, str] | None = None,
                candidates: tuple[Candidate, ...] | None = None) -> LoadedPolicy:
    """The effective policy and where it came from. Never raises: a broken file becomes LOCKDOWN with problems."""
    env = os.environ if env is None else env
    candidates = system_candidates() if candidates is None else candidates
    override = env.get(ENV_VAR, "").strip()
    for cand in candidates:
        if _present(cand.path):
            loaded = _load(cand.kind, cand.path, check_owner=True)
            if override:
                note = PolicyProblem("", f"{ENV_VAR}={override} is ignored: the administrator's policy applies.",
                                     fatal=False)
                loaded = LoadedPolicy(loaded.policy, loaded.source, loaded.problems + (note,))
            return loaded
    if override:
        return _load(SourceKind.ENV, Path(override).expanduser(), check_owner=False)
    return LoadedPolicy(UNMANAGED, PolicySource(SourceKind.NONE))

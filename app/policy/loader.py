"""The policy at model load: a wrapper around the engine's loader that refuses models the policy does not allow
(allow-list by manifest hash, signatures) and audits every load and refusal. Runs on the engine thread.

Wiring (app/engine/runtime.py ``make_engine``)::

    store = build_store(settings)
    loader = guarded_loader(functools.partial(load_adapter, store=store), store)

Built-in voices (no model folder: espeak-ng) have no weights to check and are always allowed. A managed model's
first load in a process hashes every file of its bundle (the price of "checked at load, not only at import"); a
later load of the same folder (switching back to it) skips the hashing when no file's size, mtime, ctime or inode
changed since, which nobody can fake without changing a file's ctime.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from app.audit.log import AuditKind
from app.policy.model import Policy
from app.policy.startup import Enterprise, current
from models.base import ModelError, Role
from models.bundle import ModelDecision, check_model_allowed
from models.store import ModelStore

Loader = Callable[[tuple[Role, ...], str], Any]
Stamp = tuple[tuple[str, int, int, int, int], ...]


def folder_stamp(folder: Path) -> Stamp:
    out = []
    for p in sorted(folder.rglob("*")):
        st = p.stat()
        if p.is_file():
            out.append((str(p.relative_to(folder)), st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
    return tuple(out)


class _Verified:
    """Folders that passed a full check in this process, with the stamp they had then (engine thread only)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[Path, Policy], tuple[Stamp, ModelDecision]] = {}

    def check(self, folder: Path, policy: Policy) -> ModelDecision:
        stamp = folder_stamp(folder)
        known = self._seen.get((folder, policy))
        if known is not None and known[0] == stamp:
            return known[1]
        decision = check_model_allowed(folder, policy)
        if decision.allowed:
            self._seen[(folder, policy)] = (stamp, decision)
        else:
            self._seen.pop((folder, policy), None)
        return decision


def guarded_loader(load: Loader, store: ModelStore, context: Callable[[], Enterprise] = current) -> Loader:
    verified = _Verified()

    def loader(roles: tuple[Role, ...], model_id: str) -> Any:
        ctx = context()
        path = Path(store.resolve(model_id).path)
        roles_text = [r.value for r in roles]
        manifest_hash = None
        if path.is_dir():
            decision = verified.check(path, ctx.policy)
            manifest_hash = decision.manifest_hash
            if not decision.allowed:
                ctx.audit.record(AuditKind.MODEL_REFUSED, model=model_id, roles=roles_text,
                                 manifest_hash=manifest_hash, reason=decision.message)
                why = f" {ctx.loaded.explain()}" if ctx.loaded.fail_closed else ""
                raise ModelError(decision.message + why)
        adapter = load(roles, model_id)
        ctx.audit.record(AuditKind.MODEL_LOAD, model=model_id, roles=roles_text, manifest_hash=manifest_hash,
                         builtin=not path.is_dir())
        return adapter

    return loader

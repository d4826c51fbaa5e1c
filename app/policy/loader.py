"""The policy at model load: a wrapper around the engine's loader that refuses models the policy does not allow
(allow-list by manifest hash, signatures) and audits every load and refusal. Runs on the engine thread.

Wiring (app/engine/runtime.py ``make_engine``)::

    store = build_store(settings)
    loader = guarded_loader(functools.partial(load_adapter, store=store), store)

Built-in voices (no model folder: espeak-ng) have no weights to check and are always allowed. A check of a managed
model hashes every file of its bundle (the price of "checked at load, not only at import").
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from app.audit.log import AuditKind
from app.policy.startup import Enterprise, current
from models.base import ModelError, Role
from models.bundle import check_model_allowed
from models.store import ModelStore

Loader = Callable[[tuple[Role, ...], str], Any]


def guarded_loader(load: Loader, store: ModelStore, context: Callable[[], Enterprise] = current) -> Loader:
    def loader(roles: tuple[Role, ...], model_id: str) -> Any:
        ctx = context()
        path = Path(store.resolve(model_id).path)
        roles_text = [r.value for r in roles]
        manifest_hash = None
        if path.is_dir():
            decision = check_model_allowed(path, ctx.policy)
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

"""Resolve a model id to a folder and build the adapter that accepts it (engine thread only)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from models import registry
from models.base import Role
from models.rope_extension import extended_folder, extension_for
from models.store import ModelStore


def load_adapter(roles: tuple[Role, ...], model_id: str, store: ModelStore, extend_context: bool = False) -> Any:
    """The adapter for ``model_id``; with ``extend_context`` a model whose family documents a rope-scaling
    extension (models/rope_extension.py) is loaded with it (its info's ``variant`` says so)."""
    folder = store.resolve(model_id)
    store.check_intact(folder, model_id)  # a damaged copy is refused with a word, not loaded into garbage
    ext = extension_for(folder.config) if extend_context else None  # None for speech models: no such family
    if ext is not None:
        folder = extended_folder(folder, ext, store.root / "extended")
    reg = registry.find_adapter(roles, folder)
    adapter = reg.factory.load(folder, model_id)
    if ext is not None:
        adapter.info = replace(adapter.info, variant=ext.label)
    return adapter

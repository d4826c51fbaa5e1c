"""Resolve a model id to a folder and build the adapter that accepts it (engine thread only)."""

from __future__ import annotations

from typing import Any

from models import registry
from models.base import Role
from models.store import ModelStore


def load_adapter(roles: tuple[Role, ...], model_id: str, store: ModelStore) -> Any:
    folder = store.resolve(model_id)
    store.check_intact(folder, model_id)  # a damaged copy is refused with a word, not loaded into garbage
    reg = registry.find_adapter(roles, folder)
    return reg.factory.load(folder, model_id)

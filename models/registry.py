"""Adapters register themselves by role and name; loading picks the first adapter that accepts a folder.

Adding an adapter means adding one file that calls :func:`register` — no existing file changes
(``models/__init__`` imports every module in the package, so new files are found).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Protocol

from models.base import ModelError, ModelFolder, Role


class AdapterFactory(Protocol):
    """An adapter class: ``accepts`` looks at a folder; ``load`` builds the adapter (engine thread only)."""

    @classmethod
    def accepts(cls, folder: ModelFolder) -> bool: ...

    @classmethod
    def load(cls, folder: ModelFolder, model_id: str) -> Any: ...


@dataclass(frozen=True)
class Registration:
    role: Role
    name: str
    factory: AdapterFactory
    priority: int  # lower is tried first


_REGISTRY: dict[tuple[Role, str], Registration] = {}


def register(role: Role, name: str, priority: int = 50) -> Callable[[type], type]:
    def deco(cls: type) -> type:
        key = (role, name)
        if key in _REGISTRY and _REGISTRY[key].factory is not cls:
            raise ValueError(f"adapter {name!r} for {role.value} registered twice")
        _REGISTRY[key] = Registration(role, name, cls, priority)  # type: ignore[arg-type]
        return cls

    return deco


def registrations(role: Role | None = None) -> list[Registration]:
    _discover()
    regs = [r for r in _REGISTRY.values() if role is None or r.role == role]
    return sorted(regs, key=lambda r: (r.priority, r.name))


def get(role: Role, name: str) -> Registration:
    _discover()
    try:
        return _REGISTRY[(role, name)]
    except KeyError:
        names = ", ".join(r.name for r in registrations(role)) or "none"
        raise ModelError(f"No {role.value} adapter named {name!r}; available: {names}") from None


def find_adapter(roles: tuple[Role, ...], folder: ModelFolder) -> Registration:
    """The first registered adapter, among ``roles``, that accepts ``folder``."""
    for reg in registrations():
        if reg.role in roles and reg.factory.accepts(folder):
            return reg
    wanted = "/".join(r.value for r in roles)
    mtype = folder.config.get("model_type", "unknown")
    raise ModelError(
        f"No {wanted} adapter can load {folder.path} (model_type {mtype!r}). "
        "Check that the folder is a complete MLX model (config.json plus weights)."
    )


_discovered = False


def _discover() -> None:
    """Import every adapter module in ``models/`` once so that their ``@register`` calls run."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    import importlib
    import pkgutil

    import models

    for mod in pkgutil.iter_modules(models.__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"models.{mod.name}")

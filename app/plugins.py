"""Plug-in discovery shared by the registries (modes, tools): import every public module of a package once, so that
adding a plug-in is adding a file."""

from __future__ import annotations

import importlib
import pkgutil
import threading

_done: set[str] = set()
_lock = threading.Lock()


def import_all(package_name: str) -> None:
    """Import ``package_name``'s modules (not those starting with "_"), once per process."""
    with _lock:
        if package_name in _done:
            return
        package = importlib.import_module(package_name)
        for mod in pkgutil.iter_modules(package.__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{package_name}.{mod.name}")
        _done.add(package_name)

"""Modes register by name; every module of app/modes/ is imported on first use (a new mode is a new file)."""

from __future__ import annotations

import importlib
import pkgutil
import threading

from app.modes.base import Mode

DEFAULT_MODE = "assistant"
_MODES: dict[str, Mode] = {}
_discovered = False
_lock = threading.Lock()


def register_mode(mode: Mode) -> Mode:
    if mode.name in _MODES and _MODES[mode.name] != mode:
        raise ValueError(f"two modes are named {mode.name!r}")
    _MODES[mode.name] = mode
    return mode


def _discover() -> None:
    global _discovered
    with _lock:
        if _discovered:
            return
        import app.modes as package

        for mod in pkgutil.iter_modules(package.__path__):
            if not mod.name.startswith("_"):
                importlib.import_module(f"{package.__name__}.{mod.name}")
        _discovered = True


def all_modes() -> dict[str, Mode]:
    _discover()
    return dict(sorted(_MODES.items()))


def get_mode(name: str) -> Mode:
    """The named mode; an unknown name raises KeyError naming the known ones (for --mode / settings checks)."""
    modes = all_modes()
    if name not in modes:
        raise KeyError(f"unknown mode {name!r}; known modes: {', '.join(modes)}")
    return modes[name]

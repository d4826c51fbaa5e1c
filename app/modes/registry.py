"""Modes register by name; every module of app/modes/ is imported on first use (a new mode is a new file)."""

from __future__ import annotations


from app.modes.base import Mode
from app.plugins import import_all

DEFAULT_MODE = "assistant"
_MODES: dict[str, Mode] = {}


def register_mode(mode: Mode) -> Mode:
    if mode.name in _MODES and _MODES[mode.name] != mode:
        raise ValueError(f"two modes are named {mode.name!r}")
    _MODES[mode.name] = mode
    return mode


def _discover() -> None:
    import_all("app.modes")


def all_modes() -> dict[str, Mode]:
    _discover()
    return dict(sorted(_MODES.items()))


def get_mode(name: str) -> Mode:
    """The named mode; an unknown name raises KeyError naming the known ones (for --mode / settings checks)."""
    modes = all_modes()
    if name not in modes:
        raise KeyError(f"unknown mode {name!r}; known modes: {', '.join(modes)}")
    return modes[name]

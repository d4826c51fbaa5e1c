"""`hearth` sub-commands, one file per command, registered by name (adding one edits no other file)."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from typing import Protocol


class Command(Protocol):
    name: str
    help: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


_COMMANDS: dict[str, Command] = {}


def command(cls: type) -> type:
    """Class decorator: registers one instance of a Command class under its ``name``."""
    inst = cls()
    _COMMANDS[inst.name] = inst
    return cls


def commands() -> dict[str, Command]:
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    return dict(sorted(_COMMANDS.items()))


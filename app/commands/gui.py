"""`hearth gui` (and plain `hearth`): the desktop app."""

from __future__ import annotations

import argparse

from app.commands import command


@command
class GuiCommand:
    name = "gui"
    help = "open the desktop app (the default when no command is given)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        pass

    def run(self, args: argparse.Namespace) -> int:
        try:
            from app.gui.launch import run_app
        except ImportError as exc:
            print(f"The desktop app needs PySide6 ({exc}). Run `uv sync`, or use `hearth chat`.")
            return 2
        return run_app()

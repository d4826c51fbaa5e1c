"""`hearth gui` (and plain `hearth`): the desktop app; without a display (SSH, CI) or without Qt, the terminal
chat opens instead, saying why."""

from __future__ import annotations

import argparse
import sys

from app.commands import command, commands


def terminal_chat(reason: str) -> int:
    print(f"{reason} Opening the terminal chat instead.", file=sys.stderr)
    chat = commands()["chat"]
    parser = argparse.ArgumentParser(prog="hearth chat")
    chat.add_arguments(parser)
    return chat.run(parser.parse_args([]))


@command
class GuiCommand:
    name = "gui"
    help = "open the desktop app (the default when no command is given)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--no-fallback", action="store_true",
                            help="fail instead of opening the terminal chat when no display is available")

    def run(self, args: argparse.Namespace) -> int:
        try:
            from app.gui.launch import display_problem, run_app
        except ImportError as exc:
            reason = f"The desktop app needs PySide6 ({exc}); run `uv sync`."
            return 2 if getattr(args, "no_fallback", False) else terminal_chat(reason)
        problem = display_problem()
        if problem:
            if getattr(args, "no_fallback", False):
                print(problem, file=sys.stderr)
                return 2
            return terminal_chat("No display found for the desktop app.")
        return run_app()

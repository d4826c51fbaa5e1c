"""`hearth` command line: one sub-command per file in app/commands/. With no sub-command, the desktop app opens
(or, where it is not available, the terminal chat)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from app.commands import commands
from app.policy.startup import start as start_enterprise


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Hearth: an on-device voice and vision assistant. Nothing leaves this machine.",
        epilog="Run `hearth COMMAND --help` for a command's options. With no command, the desktop app opens.",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log debugging details to stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, cmd in commands().items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    start_enterprise(argv)  # first: the organization's policy, and its network guard before anything opens a socket
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.WARNING, format="%(levelname)s %(message)s")
    registered = commands()
    if args.command is None:
        default = "gui" if "gui" in registered else "chat"
        args = parser.parse_args([*argv, default])
    try:
        return registered[args.command].run(args)
    except KeyboardInterrupt:
        print("\nInterrupted.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""`--resume [ID]` / `--new` for the terminal front ends, turned into the session's ConversationChoice."""

from __future__ import annotations

import argparse

from app.config.settings import Settings
from app.loop.book import ConversationChoice, Start


def add_conversation_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--resume", nargs="?", const="", default=None, metavar="ID",
                       help="continue a saved conversation (default: the last one; `hearth conversations list`)")
    group.add_argument("--new", action="store_true", help="start a new conversation")


def add_mode_arguments(parser: argparse.ArgumentParser) -> None:
    from app.modes.registry import all_modes

    parser.add_argument("--mode", choices=sorted(all_modes()), help="how Hearth works: assistant (default: settings), "
                        "coding (a voice coding assistant on --workspace), ...")
    parser.add_argument("--workspace", metavar="DIR", help="the folder the coding tools may read and (with your yes) "
                        "change; nothing outside it is touched")


def conversation_choice(args: argparse.Namespace, settings: Settings, default: Start | None = None) -> ConversationChoice:
    if getattr(args, "resume", None):
        return ConversationChoice(conversation_id=args.resume)
    if getattr(args, "resume", None) == "":
        return ConversationChoice(Start.LATEST)
    if getattr(args, "new", False):
        return ConversationChoice(Start.NEW)
    if default is not None:
        return ConversationChoice(default)
    return ConversationChoice(Start.LATEST if settings.conversation.resume_last else Start.NEW)

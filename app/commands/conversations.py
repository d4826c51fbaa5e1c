"""`hearth conversations list|show|rm|export`: the saved conversations from the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from app.commands import command
from app.conversations.store import ConversationError, ConversationStore
from app.loop.builder import conversation_store


def do_list(store: ConversationStore, args: argparse.Namespace) -> int:
    items = store.list()
    if not items:
        print("No saved conversations yet. `hearth chat` or `hearth` start one.")
        return 0
    print(f"{'ID':24s} {'UPDATED':20s} {'MESSAGES':>8s}  TITLE")
    for info in items:
        count = len(store.load(info.conversation_id).messages)
        print(f"{info.conversation_id:24s} {info.updated_at[:19]:20s} {count:8d}  {info.label}")
    return 0


def do_show(store: ConversationStore, args: argparse.Namespace) -> int:
    print(store.export_markdown(args.id))
    return 0


def do_export(store: ConversationStore, args: argparse.Namespace) -> int:
    text = store.export_markdown(args.id)
    if args.out is None:
        print(text)
        return 0
    out = Path(args.out)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(out)
    print(f"Exported to {out}", file=sys.stderr)
    return 0


def do_rm(store: ConversationStore, args: argparse.Namespace) -> int:
    store.delete(args.id)
    print(f"Deleted conversation {args.id}.")
    return 0


@command
class ConversationsCommand:
    name = "conversations"
    help = "list, show, export or delete saved conversations"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("list", help="saved conversations, newest first").set_defaults(func=do_list)
        for name, func, text in (("show", do_show, "print a conversation"),
                                 ("rm", do_rm, "delete a conversation and its saved memory")):
            p = sub.add_parser(name, help=text)
            p.add_argument("id")
            p.set_defaults(func=func)
        p = sub.add_parser("export", help="a conversation as Markdown")
        p.add_argument("id")
        p.add_argument("--out", "-o", help="write to this file (default: print)")
        p.set_defaults(func=do_export)

    def run(self, args: argparse.Namespace) -> int:
        try:
            return args.func(conversation_store(), args)
        except (ConversationError, OSError) as exc:
            print(exc, file=sys.stderr)
            return 2

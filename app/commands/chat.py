"""`hearth chat`: a terminal conversation with a local model: streaming text, images, model switching."""

from __future__ import annotations

import argparse
import sys
import queue
from pathlib import Path
from typing import Any

from app.commands import command
from app.config.settings import load_settings
from app.engine.runtime import build_store
from app.loop.book import Start
from app.loop.builder import Ports, SessionSpec, SetupError, build_session
from app.terminal.chat import TerminalChat, image_problem
from app.terminal.stopping import stop_session
from app.terminal.conversation_args import add_conversation_arguments, add_mode_arguments, conversation_choice
from models import catalog
from models.base import ModelError
from models.store import ModelStore


def offer_download(store: ModelStore, model: str) -> None:
    """On a terminal, offer to download a missing catalog model before loading it (first run)."""
    try:
        store.resolve(model)
        return
    except ModelError as exc:
        entry = catalog.lookup(model)
        if entry is None or store.offline or not sys.stdin.isatty():
            return  # the engine's load reports the same clear message
        print(exc, file=sys.stderr)
    answer = input(f"Download {entry.name} now (about {entry.size_gb:g} GB)? [Y/n] ").strip().lower()
    if answer in ("", "y", "yes"):
        try:
            store.pull(model)
        except ModelError as exc:
            print(exc, file=sys.stderr)


@command
class ChatCommand:
    name = "chat"
    help = "talk to a local model in the terminal (text and images); conversations are saved and resumable"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--model", "-m", help="catalog name, Hugging Face id or model folder (default: settings)")
        parser.add_argument("--prompt", "-p", help="answer this one message and exit (not saved unless --resume)")
        parser.add_argument("--image", "-i", action="append", default=[], help="image file to show the model")
        parser.add_argument("--max-tokens", type=int, default=512, help="longest reply, in tokens (default 512)")
        parser.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default 0)")
        add_conversation_arguments(parser)
        add_mode_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        loaded = load_settings()
        for problem in loaded.problems:
            print(problem.message, file=sys.stderr)
        settings = loaded.settings
        model = args.model or settings.models.chat
        if Path(model).expanduser().is_file():
            print(f"{model} is a file, not a model folder: pass the folder that holds config.json and the weights, "
                  "or a name from `hearth models list`.", file=sys.stderr)
            return 2
        problems = [p for p in (image_problem(Path(i).expanduser()) for i in args.image) if p]
        if problems and args.prompt is not None:
            print("\n".join(problems), file=sys.stderr)
            return 2
        offer_download(build_store(settings), model)
        choice = conversation_choice(args, settings, Start.EPHEMERAL if args.prompt is not None else None)
        spec = SessionSpec(chat_model=model, max_tokens=args.max_tokens, temperature=args.temperature, choice=choice,
                           mode=args.mode or "", workspace=args.workspace or "")
        events: queue.Queue[Any] = queue.Queue()
        try:
            session, _loads = build_session(settings, events.put, Ports(), spec)
        except SetupError as exc:
            print(exc, file=sys.stderr)
            return 2
        session.start()
        code, interrupted = 1, False
        try:
            code = _converse(TerminalChat(session, events), args, model)
            return code
        except KeyboardInterrupt:
            interrupted = True
            raise
        finally:
            stop_session(session, sys.stderr, interrupted, code)


def _converse(chat: TerminalChat, args: argparse.Namespace, model: str) -> int:
    if not chat.load_model(model):
        return 2
    for image in args.image:
        chat.attach_image(image)
    if args.prompt is None:
        return chat.interactive()
    return 0 if chat.ask(args.prompt) else 1

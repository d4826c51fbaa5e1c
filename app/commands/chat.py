"""`hearth chat`: a terminal conversation with a local model: streaming text, images, model switching."""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from app.commands import command
from app.conversations.transcript import Transcript
from app.engine.client import EngineClient, TurnOutcome
from app.engine.messages import ErrorEvent
from app.engine.runtime import build_store
from app.config.settings import load_settings
from models import catalog
from models.base import ImageInput, ModelError, Role, SamplingParams
from models.store import ModelStore

HELP = """Commands: /image PATH (show the model a picture with your next message), /model NAME (switch models,
keeping the conversation), /reset (start over), /help, /quit. Ctrl-C stops a reply; Ctrl-D quits."""


@dataclass(frozen=True)
class ChatState:
    transcript: Transcript = Transcript()
    model: str = ""
    sees_images: bool = False
    pending_images: tuple[ImageInput, ...] = ()
    quit: bool = False


def stats_line(outcome: TurnOutcome) -> str:
    if outcome.done is None:
        return ""
    s = outcome.done.stats
    return (f"[{s.tokens_per_second:.1f} tok/s · first token {s.time_to_first_token_s * 1000:.0f} ms · "
            f"peak {s.peak_memory_gb:.2f} GB · {s.prompt_tokens} prompt + {s.generated_tokens} tokens]")


def load_model(client: EngineClient, state: ChatState, name: str) -> ChatState:
    event = client.load(Role.VLM, name)
    if isinstance(event, ErrorEvent):
        print(event.message, file=sys.stderr)
        return state
    print(f"Model {name} ready ({event.load_seconds:.1f} s){'' if event.supports_images else '; text only'}.",
          file=sys.stderr)
    return replace(state, model=name, sees_images=event.supports_images)


def attach_image(state: ChatState, path_text: str) -> ChatState:
    path = Path(path_text.strip()).expanduser()
    if not path.is_file():
        print(f"No such image file: {path}", file=sys.stderr)
        return state
    if not state.sees_images:
        print(f"Note: {state.model} cannot see images; it will get your text only.", file=sys.stderr)
    print(f"Attached {path.name}; it goes with your next message.", file=sys.stderr)
    return replace(state, pending_images=state.pending_images + (ImageInput(path=path),))


def ask(client: EngineClient, state: ChatState, text: str, sampling: SamplingParams) -> tuple[ChatState, TurnOutcome]:
    transcript = state.transcript.with_user(text, state.pending_images)
    outcome = client.generate(transcript.request(sampling), on_text=lambda t: print(t, end="", flush=True))
    print()
    if outcome.error is not None:
        print(outcome.error.message, file=sys.stderr)
        return replace(state, pending_images=()), outcome  # the failed question is not kept
    if outcome.cancelled:
        print("[stopped]", file=sys.stderr)
    else:
        print(stats_line(outcome), file=sys.stderr)
    return replace(state, transcript=transcript.with_reply(outcome.text), pending_images=()), outcome


SlashHandler = Callable[[EngineClient, ChatState, str], ChatState]

SLASH: dict[str, SlashHandler] = {
    "/image": lambda c, s, arg: attach_image(s, arg),
    "/model": lambda c, s, arg: load_model(c, s, arg.strip()) if arg.strip() else s,
    "/reset": lambda c, s, arg: replace(s, transcript=s.transcript.cleared(), pending_images=()),
    "/help": lambda c, s, arg: (print(HELP, file=sys.stderr), s)[1],
    "/quit": lambda c, s, arg: replace(s, quit=True),
}


def handle_line(client: EngineClient, state: ChatState, line: str, sampling: SamplingParams) -> ChatState:
    if line.startswith("/"):
        name, _, arg = line.partition(" ")
        handler = SLASH.get(name)
        if handler is None:
            print(f"Unknown command {name}. {HELP}", file=sys.stderr)
            return state
        return handler(client, state, arg)
    return ask(client, state, line, sampling)[0]


def interactive(client: EngineClient, state: ChatState, sampling: SamplingParams) -> int:
    print(f"Chatting with {state.model}. {HELP}", file=sys.stderr)
    while not state.quit:
        try:
            line = input("you> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if line:
            state = handle_line(client, state, line, sampling)
    return 0


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
    help = "talk to a local model in the terminal (text and images)"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--model", "-m", help="catalog name, Hugging Face id or model folder (default: settings)")
        parser.add_argument("--prompt", "-p", help="answer this one message and exit")
        parser.add_argument("--image", "-i", action="append", default=[], help="image file to show the model")
        parser.add_argument("--max-tokens", type=int, default=512, help="longest reply, in tokens (default 512)")
        parser.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default 0)")

    def run(self, args: argparse.Namespace) -> int:
        loaded = load_settings()
        for problem in loaded.problems:
            print(problem.message, file=sys.stderr)
        model = args.model or loaded.settings.models.chat
        sampling = SamplingParams(max_tokens=args.max_tokens, temperature=args.temperature)
        offer_download(build_store(loaded.settings), model)
        client = EngineClient(loaded.settings)
        try:
            state = load_model(client, ChatState(), model)
            if not state.model:
                return 2
            for image in args.image:
                state = attach_image(state, image)
            if args.prompt is None:
                return interactive(client, state, sampling)
            return 1 if ask(client, state, args.prompt, sampling)[1].error else 0
        finally:
            client.close()

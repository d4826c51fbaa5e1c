"""The terminal chat over the shared session (app/loop/session.py): it posts intents and renders events; the session
owns the conversation (history, live prompt cache, saving). Main thread only."""

from __future__ import annotations

import queue
import resource
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

from app.engine.messages import CacheRestored, ErrorEvent, GenerationDone, ModelLoaded, TextDelta
from app.loop.events import (
    ConversationList,
    ConversationOpened,
    InputIgnored,
    NewConversation,
    Notice,
    ReplyHeard,
    SendText,
    StopReply,
    SwapModel,
    TurnTimeline,
)
from app.loop.events import ApprovalRequested, ToolFinished, ToolStarted
from app.loop.session import Session
from app.loop.vocabulary import ApprovalAnswer
from app.tools.render import proposal_text, result_text
from models.base import ImageInput, Role

HELP = ("Commands: /image PATH (show the model a picture with your next message), /model [NAME] (show or switch "
        "the model, keeping the conversation), /new (start a new conversation), /reset (the same), /help, /quit. "
        "Ctrl-C stops a reply; Ctrl-D quits. Conversations are saved: `hearth chat --resume` continues the last.")
WAIT_S = 600.0  # a reply or model load that says nothing for this long is reported, not waited for forever


def wrapped(text: str) -> str:
    """Wrapped at word boundaries to the terminal's width (a terminal would cut words in half)."""
    import shutil
    import textwrap

    return textwrap.fill(text, width=max(40, shutil.get_terminal_size((100, 24)).columns - 1))


def rss_gb() -> float:
    """Peak resident memory of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2**30 if sys.platform == "darwin" else 2**20)


def stats_line(done: GenerationDone) -> str:
    s = done.stats
    cached = f" ({s.reused_tokens} already in memory)" if s.reused_tokens else ""
    return (f"[{s.tokens_per_second:.1f} tok/s · first token {s.time_to_first_token_s * 1000:.0f} ms · "
            f"{s.prompt_tokens} prompt tokens{cached} + {s.generated_tokens} generated · peak RSS {rss_gb():.2f} GB]")


@dataclass
class ChatView:
    """What the terminal shows and what it still has to send (main thread only)."""

    model: str = ""
    sees_images: bool = False
    pending_images: tuple[ImageInput, ...] = ()
    quit: bool = False
    failed: bool = False


class TerminalChat:
    def __init__(self, session: Session, events: "queue.Queue[Any]", out: TextIO | None = None,
                 err: TextIO | None = None) -> None:
        self.session, self.events = session, events
        self.out, self.err = out or sys.stdout, err or sys.stderr
        self.view = ChatView()
        self._slash: dict[str, Callable[[str], None]] = {
            "/image": self.attach_image, "/model": self.model_command, "/new": self.new, "/reset": self.new,
            "/help": lambda _a: print(wrapped(HELP), file=self.err), "/quit": self.quit,
        }
        self._render: dict[type, Callable[[Any], None]] = {
            TextDelta: lambda e: print(e.text, end="", file=self.out, flush=True),
            Notice: lambda e: print(f"[{e.message}]", file=self.err),
            ReplyHeard: lambda e: print("\n[stopped]", file=self.err),
            ConversationOpened: self._opened,
            ConversationList: lambda e: None,
            CacheRestored: self._restored,
            ToolStarted: lambda e: print(f"\n[{e.notice}]", file=self.err),
            ToolFinished: lambda e: print(result_text(e.result), file=self.out),
            ApprovalRequested: self._approve,
        }

    # ------------------------------------------------------------------------------------------- events
    def wait(self, done: Callable[[Any], bool]) -> Any:
        """Render events until ``done(event)``; Ctrl-C stops a running reply and keeps waiting for its end."""
        while True:
            try:
                event = self.events.get(timeout=WAIT_S)
            except queue.Empty:
                return ErrorEvent(f"Nothing happened for {WAIT_S:.0f} s; giving up on this request.")
            except KeyboardInterrupt:
                self.session.handle(StopReply())
                continue
            handler = self._render.get(type(event))
            if handler is not None:
                handler(event)
            if done(event):
                return event

    def _opened(self, event: ConversationOpened) -> None:
        if event.messages:
            print(f"Continuing “{event.info.label}” ({len(event.messages)} messages).", file=self.err)

    def _restored(self, event: CacheRestored) -> None:
        if event.ok:
            print(f"[memory of {event.tokens} tokens restored in {event.seconds * 1000:.0f} ms]", file=self.err)

    def _approve(self, event: ApprovalRequested) -> None:
        """write/run tools need a yes: show the diff or command, ask y/N (anything but y/yes is a no)."""
        print("\n" + proposal_text(event.proposal), end="", file=self.out, flush=True)
        try:
            said = input().strip()
        except (EOFError, KeyboardInterrupt):
            said = ""
        yes = said.lower() in ("y", "yes")
        self.session.handle(ApprovalAnswer(event.call.call_id, yes, said or "(no answer)"))

    def load_model(self, name: str) -> bool:
        self.session.handle(SwapModel(Role.VLM, name))
        event = self.wait(lambda e: isinstance(e, (ModelLoaded, ErrorEvent)) and not getattr(e, "turn_id", 0))
        if isinstance(event, ErrorEvent):
            print(event.message, file=self.err)
            return False
        self.view.model, self.view.sees_images = name, event.supports_images
        print(f"Model {name} ready ({event.load_seconds:.1f} s){'' if event.supports_images else '; text only'}.",
              file=self.err)
        return True

    def ask(self, text: str) -> bool:
        """One turn; False when it failed."""
        self.session.handle(SendText(text, self.view.pending_images))
        self.view.pending_images = ()
        ended = (TurnTimeline, ErrorEvent, InputIgnored)
        event = self.wait(lambda e: isinstance(e, ended) or isinstance(e, GenerationDone))
        if isinstance(event, GenerationDone):
            print(file=self.out)
            print(stats_line(event), file=self.err)
            event = self.wait(lambda e: isinstance(e, ended))
        if isinstance(event, ErrorEvent):
            print(f"\n{event.message}", file=self.err)
            return False
        return True

    # ---------------------------------------------------------------------------------------- commands
    def attach_image(self, arg: str) -> None:
        path = Path(arg.strip()).expanduser()
        problem = image_problem(path)
        if problem:
            print(problem, file=self.err)
            self.view.failed = True
            return
        if not self.view.sees_images:
            print(f"Note: {self.view.model} cannot see images; it will get your text only.", file=self.err)
        print(f"Attached {path.name}; it goes with your next message.", file=self.err)
        self.view.pending_images += (ImageInput(path=path),)

    def model_command(self, arg: str) -> None:
        name = arg.strip()
        if not name:
            print(f"Model: {self.view.model}{'' if self.view.sees_images else ' (text only)'}. "
                  "`/model NAME` switches, keeping the conversation.", file=self.err)
            return
        if not self.load_model(name):
            print(installed_chat_models_hint(), file=self.err)

    def new(self, _arg: str) -> None:
        self.session.handle(NewConversation())
        self.wait(lambda e: isinstance(e, ConversationOpened))
        self.view.pending_images = ()
        print("Started a new conversation.", file=self.err)

    def quit(self, _arg: str) -> None:
        self.view.quit = True

    def handle_line(self, line: str) -> None:
        if line.startswith("/"):
            name, _, arg = line.partition(" ")
            handler = self._slash.get(name)
            if handler is None:
                print(f"Unknown command {name}. {HELP}", file=self.err)
                return
            handler(arg)
            return
        self.ask(line)

    def interactive(self) -> int:
        print(f"Chatting with {self.view.model}.", file=self.err)
        print(wrapped(HELP), file=self.err)
        while not self.view.quit:
            try:
                line = input("you> ").strip()
            except EOFError:
                print(file=self.err)
                return 0
            except KeyboardInterrupt:
                print("\n(Ctrl-D or /quit leaves the chat)", file=self.err)
                continue
            if line:
                self.handle_line(line)
        return 0


def image_problem(path: Path) -> str:
    """Why this file cannot be shown to the model ("" when it can)."""
    if not path.is_file():
        return f"No such image file: {path}"
    try:
        from PIL import Image, UnidentifiedImageError

        with Image.open(path) as img:
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError):
        return f"{path.name} is not an image Hearth can read; use a PNG or JPEG file."
    return ""


def installed_chat_models_hint() -> str:
    from app.config.settings import load_settings
    from app.engine.runtime import build_store

    names = [m.name for m in build_store(load_settings().settings).installed() if m.role in (Role.LLM, Role.VLM)]
    if not names:
        return "No chat model is installed: `hearth models list` shows the catalog."
    return "Installed chat models: " + ", ".join(names)

"""Builds and runs a voice session for `hearth voice` (terminal front end over app/loop/session.py)."""

from __future__ import annotations

import queue

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

from app.loop.book import ConversationChoice, Start
from app.loop.builder import Ports, SessionSpec, SetupError, build_session
from app.engine.messages import ErrorEvent, GenerationDone, LoadModel, ModelLoaded, TextDelta
from app.eyes import FrameError, open_source
from app.engine.runtime import build_store
from app.loop.session import Session
from app.loop.events import (
    ApprovalRequested,
    InputIgnored,
    Notice,
    ReplyHeard,
    ToolFinished,
    ToolStarted,
    TurnTimeline,
    UserSaid,
)
from app.tools.render import proposal_text, result_text
from app.config.settings import Settings, load_settings
from app.loop.timeline import append_jsonl, render
from app.ports.pipeline import PipelineHearing, TurnByTurnHearing, WavOut
from app.terminal.stopping import stop_session
from audio.endpoint import EndpointConfig
from audio.pipeline import build_hearing
from audio.sources import WavFileSource
from audio.types import AudioError
from models.base import ModelError


@dataclass(frozen=True)
class VoiceOptions:
    inputs: tuple[Path, ...] = ()
    out: Path | None = None
    timeline: bool = False
    model: str | None = None
    stt: str | None = None
    tts: str | None = None
    voice: str | None = None
    look: str = "none"
    push_to_talk: bool = False
    max_tokens: int = 300
    log_file: Path | None = None
    choice: ConversationChoice = ConversationChoice(Start.EPHEMERAL)
    mode: str = ""
    workspace: str = ""


def pick_tts(settings: Settings, wanted: str | None, err: TextIO) -> str:
    """The configured voice if installed, else the built-in instant voice (said once, plainly)."""
    name = wanted or settings.models.tts
    try:
        build_store(settings).resolve(name)
        return name
    except ModelError:
        print(f"Voice {name} is not installed; using the instant espeak voice "
              f"(`hearth models pull {name}` for the natural one).", file=err)
        return "espeak"


def open_eyes(look: str, err: TextIO) -> Any:
    if look == "none":
        return None
    try:
        return open_source("file", path=look) if Path(look).suffix else open_source(look)
    except FrameError as exc:
        print(f"{exc} Continuing without frames.", file=err)
        return None


def endpoint_config(settings: Settings) -> EndpointConfig:
    return EndpointConfig.from_sensitivity(settings.audio.vad_sensitivity, float(settings.audio.end_pause_ms))


class Printer:
    """Renders session events on a terminal; one method per event type."""

    def __init__(self, out: TextIO, err: TextIO, opts: VoiceOptions) -> None:
        self.out, self.err, self.opts = out, err, opts
        self._started: set[int] = set()
        self._turns = 0
        self.table: dict[type, Callable[[Any], None]] = {
            UserSaid: lambda e: print(f"you: {e.text}" + (" [+frame]" if e.images else ""), file=out),
            TextDelta: self.delta,
            GenerationDone: lambda e: print(file=out),
            ReplyHeard: lambda e: print(f"\n[interrupted; heard: “{e.heard_text}”]", file=out),
            Notice: lambda e: print(f"[{e.message}]", file=err),
            ErrorEvent: lambda e: print(f"error: {e.message}", file=err),
            ModelLoaded: lambda e: print(f"[{e.role.value} model {e.model_id} ready in {e.load_seconds:.1f} s]",
                                         file=err),
            TurnTimeline: self.timeline,
            ToolStarted: lambda e: print(f"\n[{e.notice}]", file=err),
            ToolFinished: lambda e: print(result_text(e.result), file=out),
            ApprovalRequested: lambda e: print("\n" + proposal_text(e.proposal) + "\n[say yes or no]", file=out),
        }

    def show(self, event: Any) -> None:
        handler = self.table.get(type(event))
        if handler is not None:
            handler(event)

    def delta(self, event: TextDelta) -> None:
        first = event.turn_id not in self._started
        self._started.add(event.turn_id)
        print(("hearth: " if first else "") + event.text, end="", file=self.out, flush=True)

    def timeline(self, event: TurnTimeline) -> None:
        self._turns += 1  # the user's count of turns, not the loop's internal ids
        if self.opts.log_file is not None:
            append_jsonl(self.opts.log_file, event)
        if self.opts.timeline:
            print(render(event, number=self._turns), file=self.err)


def voice_ports(opts: VoiceOptions, settings: Settings, err: TextIO) -> Ports:
    cfg = endpoint_config(settings)
    if opts.inputs:
        from app.ports.files import ConcatSource

        sources = [WavFileSource(p) for p in opts.inputs]
        hearing: PipelineHearing = TurnByTurnHearing(build_hearing(ConcatSource(sources), cfg, aec_backend="none")[0])
        speaker: Any = WavOut(opts.out or Path("reply.wav"))
    else:
        from app.ports.live import live_ports

        hearing, speaker = live_ports(settings, cfg, opts.push_to_talk, opts.out, err)
    look = "camera" if opts.mode == "narrator" and opts.look == "none" else opts.look  # the narrator needs eyes
    return Ports(hearing, speaker, open_eyes(look, err))


def build_voice_session(opts: VoiceOptions, settings: Settings, sink: Callable[[Any], None],
                        err: TextIO) -> tuple[Session, tuple[LoadModel, ...]]:
    spec = SessionSpec(chat_model=opts.model or "", stt_model=opts.stt or "", tts_model=pick_tts(settings, opts.tts, err),
                       voice=opts.voice or "", max_tokens=opts.max_tokens, hands_free=not opts.push_to_talk,
                       choice=opts.choice, mode=opts.mode, workspace=opts.workspace)
    return build_session(settings, sink, voice_ports(opts, settings, err), spec)


def run_voice(opts: VoiceOptions, out: TextIO, err: TextIO) -> int:
    loaded = load_settings()
    for problem in loaded.problems:
        print(problem.message, file=err)
    settings = loaded.settings
    events: queue.Queue[Any] = queue.Queue()
    try:
        session, models = build_voice_session(opts, settings, events.put, err)
    except (AudioError, ModelError, FrameError, SetupError) as exc:
        print(exc, file=err)
        return 2
    printer = Printer(out, err, opts)
    session.start(models)
    code, interrupted = 1, False
    try:
        code = _pump(session, events, printer, len(models))
        return code
    except KeyboardInterrupt:
        interrupted = True
        raise
    finally:
        _finish(session, err, interrupted, code)


def _finish(session: Session, err: TextIO, interrupted: bool, code: int) -> None:
    stop_session(session, err, interrupted, code)
    if isinstance(session.audio_out, WavOut) and (path := session.audio_out.write()):
        print(f"[replies written to {path}]", file=err)


def _pump(session: Session, events: queue.Queue[Any], printer: Printer, n_models: int) -> int:
    """Show events until the input ends (files) or the user quits (Ctrl-C); 2 if a model failed to load."""
    loaded = 0
    hearing = session.hearing
    if n_models == 0 and isinstance(hearing, TurnByTurnHearing):
        hearing.models_ready.set()
    while True:
        try:
            event = events.get(timeout=0.2)
        except queue.Empty:
            loop = session.loop  # one read of the session's current state (replaced whole, never mutated)
            idle = loop.turn is None and loop.stt_turn is None
            if isinstance(hearing, TurnByTurnHearing) and hearing.finished and idle and loaded >= n_models:
                return 0
            continue
        printer.show(event)
        if isinstance(event, ModelLoaded):
            loaded += 1
            if loaded >= n_models and isinstance(hearing, TurnByTurnHearing):
                hearing.models_ready.set()
        elif isinstance(event, ErrorEvent) and loaded < n_models and not event.turn_id:
            return 2
        if isinstance(event, (TurnTimeline, ErrorEvent, InputIgnored)) and isinstance(hearing, TurnByTurnHearing):
            hearing.turn_done.set()




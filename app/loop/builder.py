"""The one place a session is assembled: `hearth chat`, `hearth voice` and the desktop app all call
:func:`build_session` with their ports; none keeps a conversation of its own."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

from app.config import paths
from app.config.settings import Settings
from app.conversations.store import ConversationStore
from app.engine.memory import context_budget
from app.engine.messages import LoadModel
from app.engine.runtime import budget_for, build_store, make_engine
from app.loop.book import ConversationChoice, Start
from app.loop.session import Session
from app.loop.narration import NarrationDesk
from app.loop.tool_desk import ToolDesk
from app.modes.base import Mode
from app.loop.vocabulary import LoopConfig
from app.ports.base import AudioOut, FrameSource, Hearing
from app.speech.segmenter import cut_clauses
from models.base import Role, SamplingParams

Sink = Callable[[Any], None]
REPLY_ROOM = 512  # tokens kept free for the reply and the chat template


@dataclass(frozen=True)
class Ports:
    """What the front end brings: None where it has no such device (a text-only session runs the same loop)."""

    hearing: Hearing | None = None
    audio_out: AudioOut | None = None
    frames: FrameSource | None = None


@dataclass(frozen=True)
class SessionSpec:
    chat_model: str = ""  # "" = settings
    stt_model: str = ""
    tts_model: str = ""
    voice: str = ""
    max_tokens: int = 400
    temperature: float = 0.0
    hands_free: bool = True
    choice: ConversationChoice = ConversationChoice(Start.EPHEMERAL)
    mode: str = ""  # "" = settings (conversation.mode)
    workspace: str = ""  # the coding tools' folder ("" = settings)


class SetupError(Exception):
    """The session cannot be assembled as asked (unknown or forbidden mode, missing workspace); ``str()`` says why."""


def choose_mode(settings: Settings, name: str) -> Mode:
    """The mode by name, as the managed policy allows it (its tools filtered too)."""
    from app.modes.registry import all_modes
    from app.policy.startup import current

    policy = current().policy
    modes = all_modes()
    if name not in modes:
        raise SetupError(f"There is no mode “{name}”; choose one of: {', '.join(sorted(modes))}.")
    if not policy.mode_allowed(name):
        allowed = [m for m in sorted(modes) if policy.mode_allowed(m)]
        raise SetupError(f"The {name} mode is turned off by your organization's policy"
                         + (f"; allowed: {', '.join(allowed)}." if allowed else "."))
    mode = modes[name]
    return replace(mode, tools=tuple(t for t in mode.tools if policy.tool_allowed(t)))


def tool_desk(settings: Settings, mode: Mode, folder: str, post: Sink) -> ToolDesk | None:
    if not mode.tools:
        return None
    from app.tools.context import WorkspaceSettings as ToolWorkspace
    from app.tools.registry import Toolset

    chosen = folder or settings.workspace.folder
    if mode.needs_workspace and not chosen:
        raise SetupError(f"The {mode.name} mode works on a folder: pass --workspace DIR (or pick one in the app).")
    path = Path(chosen).expanduser().resolve() if chosen else None
    if path is not None and not path.is_dir():
        raise SetupError(f"The workspace {path} is not a folder.")
    w = settings.workspace
    workspace = ToolWorkspace(path, w.allowed_commands, w.command_timeout_s)
    return ToolDesk(Toolset.of(mode.tools), workspace, settings.models.offline, post)


@dataclass(frozen=True)
class ModeSetup:
    """What a mode changes in a running session."""

    mode: Mode
    config: LoopConfig
    system: str
    desk: ToolDesk | None
    frames_on: bool
    narration: NarrationDesk | None = None


class ModeSwitch:
    """Builds a mode's setup from the settings the session was built with (session thread, on SetMode)."""

    def __init__(self, settings: Settings, post: Sink) -> None:
        self.settings, self._post = settings, post

    def setup(self, name: str, workspace: str, config: LoopConfig, frames: FrameSource | None) -> ModeSetup:
        from app.modes.base import LookPolicy

        mode = choose_mode(self.settings, name)
        desk = tool_desk(self.settings, mode, workspace, self._post)
        narrator = mode.name == "narrator"
        config = replace(mode_config(config, mode), tools=desk.toolset.specs if desk is not None else (),
                         narrator=self.settings.narrator.verbosity if narrator else None)
        system = self.settings.conversation.system_prompt if mode.name == "assistant" else mode.system_prompt
        narration = NarrationDesk(frames, self._post, self.settings.narrator) if narrator and frames else None
        return ModeSetup(mode, config, system, desk, mode.look is not LookPolicy.NEVER, narration)


def mode_config(config: LoopConfig, mode: Mode) -> LoopConfig:
    from app.modes.base import LookPolicy, SpeechStyle

    spoken = mode.max_spoken_sentences if mode.speech is SpeechStyle.BRIEF_SUMMARY else 0
    return replace(config, always_look=mode.look is LookPolicy.ALWAYS, max_tool_steps=mode.max_tool_steps,
                   max_spoken_clauses=spoken)


def history_tokens(settings: Settings, model: str, reply_tokens: int) -> int:
    """The history bound: the model's own context length or what the KV budget holds, whichever is smaller,
    less room for the reply."""
    from kvcache.config import KVCacheError

    mem = settings.memory
    try:
        usable = context_budget(build_store(settings), model, mem.kv_key_bits, mem.kv_value_bits,
                                mem.compress_kv, mem.extend_context).usable
    except KVCacheError:
        usable = 32768
    return max(2048, usable - reply_tokens - REPLY_ROOM)


def conversation_store() -> ConversationStore:
    """The conversations folder; half-written KV snapshots of killed processes are removed first."""
    from kvcache.store import clean_stale_temp_files

    root = paths.data_dir() / "conversations"
    if root.is_dir():
        for folder in root.iterdir():
            if folder.is_dir():
                clean_stale_temp_files(folder)
    return ConversationStore(root)


def model_loads(settings: Settings, spec: SessionSpec, ports: Ports) -> tuple[LoadModel, ...]:
    loads = [LoadModel(Role.VLM, spec.chat_model or settings.models.chat)]
    if ports.hearing is not None:
        loads.append(LoadModel(Role.STT, spec.stt_model or settings.models.stt))
    if ports.audio_out is not None:
        loads.append(LoadModel(Role.TTS, spec.tts_model or settings.models.tts))
    return tuple(loads)


def build_session(settings: Settings, sink: Sink, ports: Ports, spec: SessionSpec = SessionSpec(),
                  engine_factory: Callable[[Sink], Any] | None = None) -> tuple[Session, tuple[LoadModel, ...]]:
    """The session (not started) and the model loads to start it with; the managed policy's locks apply."""
    from app.policy.startup import effective_settings

    settings = effective_settings(settings)[0]
    model = spec.chat_model or settings.models.chat
    mode = choose_mode(settings, spec.mode or settings.conversation.mode)  # fails early, before any thread starts
    config = LoopConfig(
        hands_free=spec.hands_free, voice=spec.voice or settings.voice.voice, speed=settings.voice.speed,
        sampling=SamplingParams(max_tokens=spec.max_tokens, temperature=spec.temperature),
        max_history_tokens=history_tokens(settings, model, spec.max_tokens),
        stt_language=settings.audio.stt_language or None,
    )
    conversations = None if spec.choice.start is Start.EPHEMERAL and not spec.choice.conversation_id \
        else conversation_store()
    holder: list[Session] = []
    switch = ModeSwitch(settings, lambda item: holder[0].post(item))
    setup = switch.setup(mode.name, spec.workspace, config, ports.frames)
    session = Session(
        engine_factory or (lambda post: make_engine(post, settings)), sink, cut_clauses, setup.config,
        audio_out=ports.audio_out, hearing=ports.hearing, frames=ports.frames,
        budget_for=budget_for(settings), conversations=conversations, choice=spec.choice, system=setup.system,
        tools=setup.desk, modes=switch, mode=setup.mode, narration=setup.narration,
    )
    holder.append(session)
    return session, model_loads(settings, spec, ports)

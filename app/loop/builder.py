"""The one place a session is assembled: `hearth chat`, `hearth voice` and the desktop app all call
:func:`build_session` with their ports; none keeps a conversation of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from app.config import paths
from app.config.settings import Settings
from app.conversations.store import ConversationStore
from app.engine.memory import context_budget
from app.engine.messages import LoadModel
from app.engine.runtime import budget_for, build_store, make_engine
from app.loop.book import ConversationChoice, Start
from app.loop.session import Session
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


def history_tokens(settings: Settings, model: str, reply_tokens: int) -> int:
    """The history bound: the model's own context length or what the KV budget holds, whichever is smaller,
    less room for the reply."""
    from kvcache.config import KVCacheError

    mem = settings.memory
    try:
        usable = context_budget(build_store(settings), model, mem.kv_key_bits, mem.kv_value_bits,
                                mem.compress_kv).usable
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
    config = LoopConfig(
        hands_free=spec.hands_free, voice=spec.voice or settings.voice.voice, speed=settings.voice.speed,
        sampling=SamplingParams(max_tokens=spec.max_tokens, temperature=spec.temperature),
        max_history_tokens=history_tokens(settings, model, spec.max_tokens),
        stt_language=settings.audio.stt_language or None,
    )
    conversations = None if spec.choice.start is Start.EPHEMERAL and not spec.choice.conversation_id \
        else conversation_store()
    session = Session(
        engine_factory or (lambda post: make_engine(post, settings)), sink, cut_clauses, config,
        audio_out=ports.audio_out, hearing=ports.hearing, frames=ports.frames, budget_for=budget_for(settings),
        conversations=conversations, choice=spec.choice, system=settings.conversation.system_prompt,
    )
    return session, model_loads(settings, spec, ports)

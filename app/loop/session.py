"""The session: wires the engine, the voice-loop state machine, audio in/out and frames.

One session thread owns the :class:`~app.loop.machine.Loop` state. Everything else *posts* to it: the engine's
events, the hearing thread's utterances, the player's notifications and the front end's intents. The session thread
applies ``step`` and executes the returned commands; front ends receive events through ``sink`` (called on the
session thread, so a sink only hands them over — a queue put, a Qt signal).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
import traceback
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Callable

from app.conversations.store import ConversationStore
from app.conversations.transcript import DEFAULT_SYSTEM, Transcript
from app.loop.book import ConversationBook, ConversationChoice, Start
from app.loop.narration import NarrationDesk, cue_chunk
from app.loop.tool_desk import ToolDesk
from app.narrator.change import SceneChanged
from app.narrator.sampler import FramesBack, FramesUnavailable
from app.narrator.scheduler import Tick
from app.modes.base import Mode

if TYPE_CHECKING:
    from app.loop.builder import ModeSwitch
from app.loop.vocabulary import ApprovalAnswer, CancelTools, ProposeTool, RunTool, StartTool
from app.loop.machine import (
    CancelTurn,
    ClauseCutter,
    EndOfAudio,
    Flush,
    Interrupt,
    Loop,
    LoopConfig,
    Play,
    Publish,
    Record,
    Submit,
    HANDLERS,
    HeardSpeech,
    SpeechBegan,
    UserInput,
    step,
)
from app.engine.thread import Engine
from app.engine.messages import (
    AudioChunk,
    CacheRestored,
    ErrorEvent,
    GenerationDone,
    LoadModel,
    ModelLoaded,
    TranscriptEvent,
)
from app.engine.memory import ContextBudget
from app.loop.events import (
    DeleteConversation,
    ListConversations,
    MemoryStats,
    NewConversation,
    Notice,
    OpenConversation,
    PushToTalk,
    RenameConversation,
    SendText,
    MicLevel,
    ModeChanged,
    ModeRefused,
    NarrationChanged,
    SetHandsFree,
    SetMode,
    SetNarration,
    StopReply,
    SwapModel,
)
from app.ports.base import AudioOut, FrameSource, Hearing, NoAudioOut, NoFrames, NoHearing
from models.base import ImageInput, Role

log = logging.getLogger(__name__)
Sink = Callable[[Any], None]


IDLE_SAVE_S = 3.0  # the KV snapshot is written once the conversation has been idle this long


class _Stop:
    pass


class _Open:
    def __init__(self, choice: ConversationChoice) -> None:
        self.choice = choice


class Session:
    def __init__(
        self,
        engine_factory: Callable[[Callable[[Any], None]], Engine],
        sink: Sink,
        cutter: ClauseCutter,
        config: LoopConfig = LoopConfig(),
        audio_out: AudioOut | None = None,
        hearing: Hearing | None = None,
        frames: FrameSource | None = None,
        budget_for: Callable[[str], ContextBudget | None] | None = None,
        conversations: ConversationStore | None = None,
        choice: ConversationChoice = ConversationChoice(Start.EPHEMERAL),
        system: str = DEFAULT_SYSTEM,
        tools: ToolDesk | None = None,
        modes: ModeSwitch | None = None,
        mode: Mode | None = None,
        narration: NarrationDesk | None = None,
    ) -> None:
        self._sink = sink
        self._budget_for = budget_for or (lambda _model: None)
        self._budget: ContextBudget | None = None
        self._cut = cutter
        self._inbox: queue.Queue[Any] = queue.Queue()
        self.engine = engine_factory(self.post)
        self.audio_out = audio_out or NoAudioOut()
        self.hearing = hearing or NoHearing()
        self.frames = frames or NoFrames()
        self.frames_on = mode is None or mode.look.value != "never"  # the mode may never look
        # Stopping a reply on sustained speech alone is only safe when Hearth's own voice is cancelled from the mic.
        barge = config.barge_in_after_s if getattr(self.hearing, "echo_cancelled", False) else 0.0
        config = replace(config, speak=config.speak and self.audio_out.available, barge_in_after_s=barge)
        self.loop = Loop(config=config, history=Transcript(system=system))
        self._system, self._choice = system, choice
        self.book = ConversationBook(conversations, sink, lambda r: self.engine.submit(r))
        self.tools = tools
        self._modes, self.mode = modes, mode
        self.narration = narration
        self._thread = threading.Thread(target=self._run, name="hearth-session", daemon=True)
        self._intents = self._intent_table()
        self._commands = self._command_table()

    def _intent_table(self) -> dict[type, Callable[[Any], None]]:
        """Front-end intents and the session's own messages, by type."""
        return {
            SendText: self._on_send_text,
            StopReply: lambda _i: self._apply(Interrupt()),
            SwapModel: lambda i: self.engine.submit(LoadModel(i.role, i.model_id)),
            PushToTalk: lambda i: self.hearing.push_to_talk(i.pressed),
            SetHandsFree: self._on_hands_free,
            NewConversation: lambda i: self._open(ConversationChoice(Start.NEW, system=i.system)),
            OpenConversation: lambda i: self._open(ConversationChoice(conversation_id=i.conversation_id)),
            RenameConversation: lambda i: self.book.rename(i.conversation_id, i.title),
            DeleteConversation: self._on_delete,
            ListConversations: lambda _i: self._sink(self.book.listing()),
            _Open: lambda i: (self._open(i.choice), self._announce_mode()),
            CacheRestored: self._on_cache_restored,
            ApprovalAnswer: self._apply,
            SetMode: self._on_set_mode,
            SetNarration: self._on_set_narration,
            SceneChanged: self._on_narrator_input,
            Tick: self._on_narrator_input,
            FramesUnavailable: lambda e: self._publish(Notice(e.message)),
            FramesBack: lambda e: self._publish(Notice("The camera is back.")),
        }

    def _command_table(self) -> dict[type, Callable[[Any], None]]:
        """What each command of the state machine does, by type."""
        return {
            Submit: lambda c: self.engine.submit(c.request),
            CancelTurn: lambda c: self.engine.cancel(c.turn_id),
            Play: lambda c: self.audio_out.play(c.chunk),
            Flush: lambda c: self._apply(self.audio_out.flush(c.turn_id)),  # at once: nothing of it plays after
            Publish: lambda c: self._publish(c.event),
            EndOfAudio: lambda c: self.audio_out.finish(c.turn_id),
            Record: lambda c: self.book.record(c.message),
            StartTool: lambda c: self._desk().start(c),
            ProposeTool: lambda c: self._desk().propose(c),
            RunTool: lambda c: self._desk().run(c),
            CancelTools: lambda c: self.tools and self.tools.cancel(c),
        }

    # ----------------------------------------------------------------------------------------- any thread
    def start(self, models: tuple[LoadModel, ...] = ()) -> "Session":
        self.engine.start()
        for request in models:
            self.engine.submit(request)
        self.post(_Open(self._choice))
        if self.narration is not None and self.narration.settings.narrate_changes:
            self.post(SetNarration(True))
        self._thread.start()
        self.hearing.start(self.post)
        self.audio_out.start(self.post)
        return self

    def post(self, item: Any) -> None:
        """Hand an event or intent to the session thread."""
        self._inbox.put(item)

    handle = post  # front ends call session.handle(intent)

    def stop(self) -> bool:
        """Stop hearing and speaking, let the session thread queue the KV snapshot, then stop the engine (which
        writes the snapshot before it shuts down; a reply in progress ends at its next step). Every complete message
        is already on disk. False when a thread was still busy at its deadline (a model load cannot be cut short)."""
        self.hearing.stop()
        self.audio_out.stop()
        self._inbox.put(_Stop())
        if self._thread.is_alive():
            self._thread.join(5)
        if self.tools is not None:
            self.tools.close()
        if self.narration is not None:
            self.narration.close()
        return self.engine.stop() and not self._thread.is_alive()

    # ------------------------------------------------------------------------------------ session thread
    def _run(self) -> None:
        busy = time.monotonic()
        while True:
            try:
                item = self._inbox.get(timeout=IDLE_SAVE_S)
            except queue.Empty:
                item = None
            if isinstance(item, _Stop):
                self.book.save_cache()
                return
            if item is not None and not isinstance(item, (Tick, MicLevel)):
                busy = time.monotonic()
            elif self.loop.turn is None and time.monotonic() - busy >= IDLE_SAVE_S:
                self.book.save_cache()  # idle: the KV snapshot (a no-op when nothing changed)
            if item is None:
                continue
            try:
                self._dispatch(item)
            except Exception as exc:  # noqa: BLE001 - the loop must keep listening
                log.exception("session failed on %r", item)
                self._sink(ErrorEvent(f"Something went wrong: {exc}", detail=traceback.format_exc()))

    def _dispatch(self, item: Any) -> None:
        if self.narration is not None:
            self._narrator_sees(item)
        intent = self._intents.get(type(item))
        if intent is not None:
            intent(item)
        elif isinstance(item, (ModelLoaded, GenerationDone)):
            self._apply(item)
            self._memory(item)
        elif isinstance(item, TranscriptEvent) and not item.partial and item.turn_id == self.loop.stt_turn:
            self._apply(item)
            if item.text.strip():
                self._apply(UserInput(item.text.strip(), frame=self._frame(), spoken_turn=item.turn_id))
        else:
            self._apply(item)

    def _apply(self, event: Any) -> None:
        if type(event) not in HANDLERS:
            self._sink(event)  # not the loop's business (model loaded, mic level, ...): just show it
            return
        self.loop, commands = step(self.loop, event, self._cut)
        for command in commands:
            self._commands[type(command)](command)

    def _memory(self, event: ModelLoaded | GenerationDone) -> None:
        """Keep the chat model's KV budget and report cache occupancy after each reply (memory panel)."""
        if isinstance(event, ModelLoaded):
            if event.role in (Role.LLM, Role.VLM):
                self._budget = self._budget_for(event.model_id)
            return
        b, s = self._budget, event.stats
        if b is not None and s.kv_tokens:
            bf16 = int(s.kv_tokens * b.bf16_bytes_per_token)
            self._sink(MemoryStats(s.kv_tokens, s.kv_bytes, bf16, max(0, b.tokens - s.kv_tokens)))

    def _on_send_text(self, intent: SendText) -> None:
        self._apply(UserInput(intent.text, intent.images, frame=self._frame(), message_id=intent.message_id))

    def _frame(self):
        return self.frames.latest() if self.frames_on else None

    def _desk(self) -> ToolDesk:
        if self.tools is None:
            raise RuntimeError("this session has no tools")  # the loop only starts tools when the mode has some
        return self.tools

    # ------------------------------------------------------------------------------------------ conversations
    def _open(self, choice: ConversationChoice) -> None:
        """Continue another conversation: the running reply (if any) is stopped, the old one's cache saved."""
        if self.loop.turn is not None:
            self.engine.cancel(self.loop.turn.turn_id)
            self.audio_out.flush(self.loop.turn.turn_id)
        self.book.save_cache()
        loaded = self.book.open(choice)
        system = loaded.info.system or self._system
        history = Transcript(loaded.messages, system)
        self.loop = Loop(config=self.loop.config, phase=self.loop.resting, history=history,
                         conversation_id=loaded.info.conversation_id, next_id=self.loop.next_id + 1)

    def _on_set_mode(self, intent: SetMode) -> None:
        """Another mode (and/or workspace): new tools, prompt and speaking style; the conversation goes on."""
        if self._modes is None:
            return
        from app.loop.builder import SetupError

        workspace = intent.workspace or (str(self.tools.workspace.folder or "") if self.tools else "")
        try:
            setup = self._modes.setup(intent.mode, workspace, self.loop.config,
                                      None if isinstance(self.frames, NoFrames) else self.frames)
        except SetupError as exc:
            self._sink(ModeRefused(intent.mode, str(exc)))
            return
        if self.loop.turn is not None:
            self._apply(Interrupt())
        if self.tools is not None:
            self.tools.close()
        if self.narration is not None:
            self.narration.close()
        self.tools, self.mode, self.narration = setup.desk, setup.mode, setup.narration
        history = replace(self.loop.history, system=self.book.current.system or setup.system)
        self.loop = replace(self.loop, config=setup.config, history=history)
        self.frames_on = setup.frames_on
        if self.narration is not None and self.narration.settings.narrate_changes:
            self.post(SetNarration(True))
        self._announce_mode()

    def _announce_mode(self) -> None:
        if self.mode is None:
            return
        folder = str(self.tools.workspace.folder or "") if self.tools else ""
        self._sink(ModeChanged(self.mode.name, self.mode.title, folder, tuple(t.name for t in self.loop.config.tools)))

    def _on_delete(self, intent: DeleteConversation) -> None:
        if self.book.delete(intent.conversation_id):
            self._open(ConversationChoice(Start.NEW))

    def _on_cache_restored(self, event: CacheRestored) -> None:
        if not event.ok and event.reason != "no saved cache":
            self._sink(Notice(f"The saved memory of this conversation could not be used ({event.reason}); "
                              "Hearth reads the conversation again on the next turn."))
        self._sink(event)

    # ----------------------------------------------------------------------------------------------- narrator
    def _publish(self, event: Any) -> None:
        if self.narration is not None:
            self.narration.execute(self.narration.published(event), self)
            cue = self.narration.cue_for(event)
            if cue is not None and self.audio_out.available:
                self.audio_out.play(cue_chunk(cue))
        self._sink(event)

    def _narrator_sees(self, item: Any) -> None:
        """What the narrator must know of the user: speaking, done speaking, typing."""
        desk = self.narration
        assert desk is not None
        if isinstance(item, SpeechBegan):
            desk.execute(desk.speech_began(), self)
        elif isinstance(item, HeardSpeech):
            desk.execute(desk.speech_ended(item.t_end), self)
        elif isinstance(item, SendText):
            desk.execute(desk.typed(), self)

    def _on_narrator_input(self, item: Any) -> None:
        if self.narration is not None:
            self.narration.execute(self.narration.feed(item), self)

    def _on_set_narration(self, intent: SetNarration) -> None:
        if self.narration is None:
            self._sink(ErrorEvent("Narration works in narrator mode with a camera: choose the narrator mode first."))
            return
        self.narration.execute(self.narration.switch(intent.on), self)
        self._sink(NarrationChanged(self.narration.on))

    def narrate(self, narration_id: int, text: str, frame: ImageInput) -> int | None:
        self._apply(UserInput(text, (frame,), narration_id=narration_id))
        turn = self.loop.turn
        return turn.turn_id if turn is not None and turn.narration_id == narration_id else None

    def stop_turn_of(self, narration_id: int, turns: dict[int, int]) -> None:
        turn = self.loop.turn
        if turn is not None and turns.get(turn.turn_id) == narration_id:
            self._apply(Interrupt())

    def play(self, chunk: AudioChunk) -> None:
        if self.audio_out.available:
            self.audio_out.play(chunk)

    def _on_hands_free(self, intent: SetHandsFree) -> None:
        self.loop = replace(self.loop, config=replace(self.loop.config, hands_free=intent.enabled))
        self.hearing.set_hands_free(intent.enabled)

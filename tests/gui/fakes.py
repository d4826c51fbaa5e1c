"""A fake session that records intents and answers with scripted events from a background thread, and a fake
model store whose downloads report progress through the tqdm class they are given."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from app.conversations.store import ConversationInfo, new_message_id
from app.engine.messages import GenerationDone, GenerationStats, ModelLoaded, TextDelta, TranscriptEvent
from app.loop.events import (
    ApprovalGiven,
    ApprovalRequested,
    ConversationList,
    ConversationOpened,
    DeleteConversation,
    ListConversations,
    LoopState,
    ModeChanged,
    NarrationChanged,
    NewConversation,
    OpenConversation,
    PushToTalk,
    RenameConversation,
    ReplyRecorded,
    SendText,
    SetMode,
    SetNarration,
    StateChanged,
    SwapModel,
    ToolFinished,
    ToolStarted,
    UserSaid,
)
from app.loop.vocabulary import ApprovalAnswer
from app.tools.base import DisplayKind, Proposal, ProposalKind, ToolCall, ToolDisplay, failed, ok
from models.base import ChatMessage, ModelError, Role, Speaker
from models.store import InstalledModel

STATS = GenerationStats(10, 3, 0.1, 30.0, 100.0, 0.5, kv_tokens=40, kv_bytes=4096)
FILE_TEXT = "\n".join(f"{n:>3}  line {n} of main.py" for n in range(1, 31))
DIFF = ("--- a/main.py\n+++ b/main.py\n@@ -1,3 +1,3 @@\n def main():\n-    print('helo')\n+    print('hello')\n"
        "     return 0\n")
READ = ToolCall("call-1", "read_file", {"path": "main.py"})
EDIT = ToolCall("call-2", "edit_file", {"path": "main.py", "search": "helo", "replace": "hello"})
PROPOSAL = Proposal(ProposalKind.EDIT, "Edit main.py: 1 line changed", DIFF, ("main.py",))
MODES = {"assistant": "Assistant", "coding": "Coding assistant", "narrator": "Narrator (describes the camera)"}


class FakeConversations:
    """Conversations in memory, answering the conversation intents as the session's book does."""

    def __init__(self, sink: Callable[[Any], None]) -> None:
        self.sink = sink
        self.infos: dict[str, ConversationInfo] = {}
        self.messages: dict[str, list[ChatMessage]] = {}
        self.current = ""
        self.count = 0

    def new(self, system: str = "") -> None:
        self.count += 1
        cid = f"c{self.count}"
        self.infos[cid] = ConversationInfo(cid, "", f"2026-12-01T10:{self.count:02d}:00",
                                           f"2026-12-01T10:{self.count:02d}:00", system)
        self.messages[cid] = []
        self.open(cid)

    def open(self, cid: str) -> None:
        self.current = cid
        self.sink(ConversationOpened(self.infos[cid], tuple(self.messages[cid])))

    def record(self, message: ChatMessage) -> None:
        if self.current:
            self.messages[self.current].append(message)

    def listing(self) -> None:
        items = sorted(self.infos.values(), key=lambda i: i.conversation_id, reverse=True)
        self.sink(ConversationList(tuple(items), self.current))

    def rename(self, cid: str, title: str) -> None:
        self.infos[cid] = ConversationInfo(cid, title, *[getattr(self.infos[cid], k) for k in
                                                         ("created_at", "updated_at", "system")])
        self.listing()

    def delete(self, cid: str) -> None:
        del self.infos[cid], self.messages[cid]
        self.listing()
        if cid == self.current:
            self.new()


class FakeSession:
    """Records every intent; answers SendText / push-to-talk release / SwapModel and the conversation intents
    like a session would (replies are recorded under a message id of their own)."""

    running = True
    can_hear = True

    def __init__(self, sink: Callable[[Any], None], reply: str = "Hello there, friend.", token_delay: float = 0.0,
                 spoken: str = "what is the weather") -> None:
        self.sink, self.reply, self.token_delay, self.spoken = sink, reply, token_delay, spoken
        self.intents: list[object] = []
        self.threads: list[threading.Thread] = []
        self.turn = 0
        self.started = self.stopped = False
        self.between_tokens: Callable[[], None] = lambda: None
        self.book = FakeConversations(sink)
        self.agent = False  # typed turns read a file, then propose an edit and wait for the answer
        self.awaiting: tuple[int, ToolCall] | None = None
        self._conversation_intents: dict[type, Callable[[Any], None]] = {
            NewConversation: lambda i: self.book.new(i.system),
            OpenConversation: lambda i: self.book.open(i.conversation_id),
            RenameConversation: lambda i: self.book.rename(i.conversation_id, i.title),
            DeleteConversation: lambda i: self.book.delete(i.conversation_id),
            ListConversations: lambda _i: self.book.listing(),
            SetMode: self._set_mode,
            SetNarration: lambda i: self.sink(NarrationChanged(i.on)),
            ApprovalAnswer: lambda i: self._background(self._answered, i.approved, i.answer),
        }

    def start(self) -> None:
        """Like the session: reopen the last conversation (a new one when there is none)."""
        self.started = True
        if self.book.infos:
            self.book.open(max(self.book.infos))
        else:
            self.book.new()

    def stop(self) -> None:
        self.stopped = True
        for t in self.threads:
            t.join(10)

    def handle(self, intent: object) -> None:
        self.intents.append(intent)
        if isinstance(intent, SendText):
            self._background(self._agent_turn if self.agent else self._typed_turn, intent)
        elif isinstance(intent, PushToTalk) and not intent.pressed:
            self._background(self._spoken_turn)
        elif isinstance(intent, SwapModel):
            self._background(lambda: self.sink(ModelLoaded(intent.role, intent.model_id, 0.2, True)))
        elif type(intent) in self._conversation_intents:
            self._conversation_intents[type(intent)](intent)

    def _background(self, fn: Callable[..., None], *args: Any) -> None:
        self.turn += 1
        t = threading.Thread(target=fn, args=args, name="fake-session", daemon=True)
        self.threads.append(t)
        t.start()

    def _typed_turn(self, intent: SendText) -> None:
        turn = self.turn
        self._user(turn, intent.text, intent.images, intent.message_id or new_message_id())
        self.stream_reply(turn)

    def _set_mode(self, intent: SetMode) -> None:
        """Like the session's ModeSwitch: coding needs a folder; the answer is ModeChanged or an ErrorEvent."""
        from app.engine.messages import ErrorEvent

        if intent.mode == "coding" and not intent.workspace:
            self.sink(ErrorEvent("The coding mode works on a folder: pass --workspace DIR (or pick one in the app)."))
            return
        tools = ("read_file", "edit_file") if intent.mode == "coding" else ()
        self.sink(ModeChanged(intent.mode, MODES[intent.mode], intent.workspace if tools else "", tools))

    def _agent_turn(self, intent: SendText) -> None:
        """Says a few words, reads a file (long output), then proposes an edit and waits for the answer."""
        turn = self.turn
        self._user(turn, intent.text, intent.images, intent.message_id or new_message_id())
        self.sink(StateChanged(LoopState.THINKING, turn))
        self.sink(TextDelta(turn, "Let me look.", 0))
        self.sink(GenerationDone(turn, "Let me look.", STATS, "tool_calls"))
        self.sink(ToolStarted(turn, READ, "Reading main.py…"))
        display = ToolDisplay(DisplayKind.FILE_EXCERPT, FILE_TEXT, "main.py lines 1-30")
        self.sink(ToolFinished(turn, ok(READ.call_id, READ.name, FILE_TEXT, display)))
        self.sink(GenerationDone(turn, "", STATS, "tool_calls"))
        self.sink(ToolStarted(turn, EDIT, "Editing main.py…"))
        self.awaiting = (turn, EDIT)
        self.sink(ApprovalRequested(turn, EDIT, PROPOSAL))
        self.sink(StateChanged(LoopState.LISTENING, turn))

    def _answered(self, approved: bool, said: str) -> None:
        if self.awaiting is None:
            return
        (turn, call), self.awaiting = self.awaiting, None
        self.sink(ApprovalGiven(turn, call.call_id, approved, said))
        if approved:
            result = ok(call.call_id, call.name, "Edited main.py", ToolDisplay(DisplayKind.DIFF, DIFF, "main.py"))
        else:
            result = failed(call.call_id, call.name, f"the user did not approve this ({said!r}); nothing was changed.")
        self.sink(ToolFinished(turn, result))
        self.stream_reply(turn)

    def _user(self, turn: int, text: str, images: tuple = (), message_id: str = "",
              stt_turn: int | None = None) -> None:
        message_id = message_id or new_message_id()
        self.book.record(ChatMessage(Speaker.USER, text, images, message_id))
        self.sink(UserSaid(turn, text, images, message_id, stt_turn_id=stt_turn))

    def _spoken_turn(self) -> None:
        turn, stt_turn = self.turn, 1000 + self.turn  # like the real loop: transcription has its own turn ids
        self.sink(StateChanged(LoopState.TRANSCRIBING, turn))
        words = self.spoken.split()
        for n in range(1, len(words)):
            self.sink(TranscriptEvent(stt_turn, " ".join(words[:n]), partial=True, audio_seconds=0.3 * n))
        self.sink(TranscriptEvent(stt_turn, self.spoken, partial=False, audio_seconds=1.5))
        self._user(turn, self.spoken, stt_turn=stt_turn)
        self.stream_reply(turn)

    def stream_reply(self, turn: int) -> None:
        self.sink(StateChanged(LoopState.THINKING, turn))
        pieces = [w + " " for w in self.reply.split(" ")]
        pieces[-1] = pieces[-1].rstrip()
        for i, piece in enumerate(pieces):
            self.sink(TextDelta(turn, piece, i))
            if self.token_delay:
                time.sleep(self.token_delay)
            self.between_tokens()
        self.sink(GenerationDone(turn, self.reply, STATS, "stop"))
        reply_id = new_message_id()
        self.book.record(ChatMessage(Speaker.ASSISTANT, self.reply, message_id=reply_id))
        self.sink(ReplyRecorded(turn, reply_id, self.reply))
        self.sink(StateChanged(LoopState.LISTENING, turn))


class FakeStore:
    """Models in ``present`` resolve; ``pull`` makes a model present after reporting byte progress."""

    def __init__(self, present: set[str] | None = None, offline: bool = False, chunks: int = 5,
                 chunk_delay: float = 0.0, gate: threading.Event | None = None,
                 fail: dict[str, str] | None = None) -> None:
        self.present = set(present or ())
        self.fail = dict(fail or {})  # model → the error its download ends with
        self.offline = offline
        self.chunks, self.chunk_delay, self.gate = chunks, chunk_delay, gate
        self.imported: list[tuple[Path, str | None]] = []

    def resolve(self, model_id: str) -> Path:
        if model_id not in self.present and model_id != "espeak":
            raise ModelError(f"Model {model_id} is not installed.")
        return Path("/models") / model_id

    def installed(self) -> list[InstalledModel]:
        from models import catalog

        out = []
        for name in sorted(self.present):
            entry = catalog.lookup(name)
            role = entry.role if entry else Role.LLM
            out.append(InstalledModel(entry.repo_id if entry else name, Path("/models") / name, 10**9, role,
                                      "hub" if entry else "import"))
        return out

    def pull(self, model_id: str, tqdm_class: Any = None) -> None:
        if model_id in self.fail:
            raise ModelError(self.fail[model_id])
        bar = tqdm_class(total=self.chunks * 1000, unit="B", desc="Reconstructing")
        for _ in range(self.chunks):
            if self.gate is not None:
                self.gate.wait(10)
            time.sleep(self.chunk_delay)
            bar.update(1000)
        bar.close()
        self.present.add(model_id)

    def import_folder(self, src: Path, name: str | None = None) -> None:
        if not Path(src).is_dir():
            raise ModelError(f"Cannot import {src}: it is not a folder.")
        self.imported.append((Path(src), name))
        self.present.add(name or Path(src).name)


ROLE_NAMES = {Role.VLM: "qwen3.5-4b", Role.STT: "whisper-turbo", Role.TTS: "kokoro"}

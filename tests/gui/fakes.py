"""A fake session that records intents and answers with scripted events from a background thread, and a fake
model store whose downloads report progress through the tqdm class they are given."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any, Callable

from app.engine.messages import GenerationDone, GenerationStats, ModelLoaded, TextDelta, TranscriptEvent
from app.loop.events import LoopState, PushToTalk, SendText, StateChanged, SwapModel, UserSaid
from models.base import ModelError, Role

STATS = GenerationStats(10, 3, 0.1, 30.0, 100.0, 0.5, kv_tokens=40, kv_bytes=4096)


class FakeSession:
    """Records every intent; answers SendText / push-to-talk release / SwapModel like a session would."""

    def __init__(self, sink: Callable[[Any], None], reply: str = "Hello there, friend.", token_delay: float = 0.0,
                 spoken: str = "what is the weather") -> None:
        self.sink, self.reply, self.token_delay, self.spoken = sink, reply, token_delay, spoken
        self.intents: list[object] = []
        self.threads: list[threading.Thread] = []
        self.turn = 0
        self.started = self.stopped = False
        self.between_tokens: Callable[[], None] = lambda: None

    def start(self) -> None:
        self.started = True

    def stop(self) -> None:
        self.stopped = True
        for t in self.threads:
            t.join(10)

    def handle(self, intent: object) -> None:
        self.intents.append(intent)
        if isinstance(intent, SendText):
            self._background(self._typed_turn, intent)
        elif isinstance(intent, PushToTalk) and not intent.pressed:
            self._background(self._spoken_turn)
        elif isinstance(intent, SwapModel):
            self._background(lambda: self.sink(ModelLoaded(intent.role, intent.model_id, 0.2, True)))

    def _background(self, fn: Callable[..., None], *args: Any) -> None:
        self.turn += 1
        t = threading.Thread(target=fn, args=args, name="fake-session", daemon=True)
        self.threads.append(t)
        t.start()

    def _typed_turn(self, intent: SendText) -> None:
        turn = self.turn
        self.sink(UserSaid(turn, intent.text, intent.images))
        self.stream_reply(turn)

    def _spoken_turn(self) -> None:
        turn, stt_turn = self.turn, 1000 + self.turn  # like the real loop: transcription has its own turn ids
        self.sink(StateChanged(LoopState.TRANSCRIBING, turn))
        words = self.spoken.split()
        for n in range(1, len(words)):
            self.sink(TranscriptEvent(stt_turn, " ".join(words[:n]), partial=True, audio_seconds=0.3 * n))
        self.sink(TranscriptEvent(stt_turn, self.spoken, partial=False, audio_seconds=1.5))
        self.sink(UserSaid(turn, self.spoken))
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
        self.sink(StateChanged(LoopState.LISTENING, turn))


class FakeStore:
    """Models in ``present`` resolve; ``pull`` makes a model present after reporting byte progress."""

    def __init__(self, present: set[str] | None = None, offline: bool = False, chunks: int = 5,
                 chunk_delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.present = set(present or ())
        self.offline = offline
        self.chunks, self.chunk_delay, self.gate = chunks, chunk_delay, gate
        self.imported: list[tuple[Path, str | None]] = []

    def resolve(self, model_id: str) -> Path:
        if model_id not in self.present:
            raise ModelError(f"Model {model_id} is not installed.")
        return Path("/models") / model_id

    def pull(self, model_id: str, tqdm_class: Any = None) -> None:
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

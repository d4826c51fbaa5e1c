"""A blocking front end to the engine for terminal commands: submit a request, then wait for its outcome.

The engine's events arrive on a queue; the calling (main) thread reads them. Nothing here touches MLX.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from typing import Callable

from app.engine.thread import Engine
from app.engine.messages import (
    Cancelled,
    EngineEvent,
    ErrorEvent,
    Generate,
    GenerationDone,
    LoadModel,
    ModelLoaded,
    TextDelta,
    new_turn_id,
)
from app.engine.runtime import make_engine
from app.config.settings import Settings
from models.base import ChatRequest, Role


@dataclass(frozen=True)
class TurnOutcome:
    text: str
    done: GenerationDone | None = None
    error: ErrorEvent | None = None
    cancelled: bool = False


class EngineClient:
    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.events: queue.Queue[EngineEvent] = queue.Queue()
        self.engine = engine or make_engine(self.events.put, settings)
        self.engine.start()

    def close(self) -> None:
        self.engine.stop()

    def load(self, role: Role, model_id: str) -> ModelLoaded | ErrorEvent:
        self.engine.submit(LoadModel(role, model_id))
        while True:
            event = self.events.get()
            if isinstance(event, (ModelLoaded, ErrorEvent)):
                return event

    def generate(self, request: ChatRequest, on_text: Callable[[str], None]) -> TurnOutcome:
        """Stream one reply; Ctrl-C cancels it (the partial text is kept in the outcome)."""
        turn = new_turn_id()
        self.engine.submit(Generate(turn, request))
        parts: list[str] = []
        try:
            return self._collect(turn, parts, on_text)
        except KeyboardInterrupt:
            self.engine.cancel(turn)
            self._drain_until_cancelled(turn)
            return TurnOutcome("".join(parts), cancelled=True)

    def _collect(self, turn: int, parts: list[str], on_text: Callable[[str], None]) -> TurnOutcome:
        while True:
            event = self.events.get()
            if getattr(event, "turn_id", turn) != turn:
                continue
            if isinstance(event, TextDelta):
                parts.append(event.text)
                on_text(event.text)
            elif isinstance(event, GenerationDone):
                return TurnOutcome(event.text, done=event)
            elif isinstance(event, ErrorEvent):
                return TurnOutcome("".join(parts), error=event)

    def _drain_until_cancelled(self, turn: int) -> None:
        while True:
            event = self.events.get()
            if isinstance(event, (Cancelled, GenerationDone, ErrorEvent)) and getattr(event, "turn_id", 0) == turn:
                return

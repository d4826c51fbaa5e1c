"""Continuous narration in a session (session thread only): the scheduler's state, the sampler thread that watches
the frames, and the cues. The session feeds it what happens (the user speaks, a reply starts or ends, a narration
turn ends) and carries out its decisions (narrate a frame, stop a narration, start or stop sampling, play a cue)."""

from __future__ import annotations

from typing import Any, Callable, Protocol

from app.config.settings import NarratorSettings
from app.engine.messages import AudioChunk, ErrorEvent, now
from app.loop.events import InputIgnored, LoopState, ReplyHeard, StateChanged, TurnTimeline
from app.narrator.earcons import EarconKind, earcon
from app.narrator.prompts import narration_text
from app.narrator.sampler import Sampler
from app.narrator.scheduler import (
    Decision,
    Narrate,
    NarrationCut,
    NarrationFinished,
    NarrationStarted,
    NarratorState,
    NarratorSwitched,
    PlayCue,
    ReplyBegan,
    ReplyEnded,
    SchedulerConfig,
    SchedulerInput,
    StartSampling,
    StopNarration,
    StopSampling,
    UserSpeechBegan,
    UserSpeechEnded,
    decide,
)
from app.ports.base import FrameSource
from models.base import ImageInput

Post = Callable[[Any], None]


class NarrationDesk:
    def __init__(self, frames: FrameSource, post: Post, settings: NarratorSettings) -> None:
        self.settings = settings
        self.state = NarratorState(SchedulerConfig(min_gap_s=settings.min_gap_s))
        self.sampler = Sampler(frames, post)
        self._turns: dict[int, int] = {}  # loop turn id -> narration id
        self._cut: set[int] = set()

    @property
    def on(self) -> bool:
        return self.state.on

    def feed(self, event: SchedulerInput) -> list[Decision]:
        self.state, decisions = decide(self.state, event)
        return decisions

    def switch(self, on: bool) -> list[Decision]:
        return self.feed(NarratorSwitched(on, now()))

    # ------------------------------------------------------------------------------ what the session saw
    def speech_began(self) -> list[Decision]:
        return self.feed(UserSpeechBegan(now()))

    def speech_ended(self, t_end: float) -> list[Decision]:
        return self.feed(UserSpeechEnded(t_end)) + self.feed(ReplyBegan(now()))

    def typed(self) -> list[Decision]:
        return self.feed(ReplyBegan(now()))

    def started(self, turn_id: int | None, narration_id: int) -> list[Decision]:
        """The loop took (or, ``turn_id`` None, refused) the narration turn."""
        if turn_id is None:
            return self.feed(NarrationCut(narration_id, now()))
        self._turns[turn_id] = narration_id
        return self.feed(NarrationStarted(narration_id, now()))

    def is_narration(self, turn_id: int) -> bool:
        return turn_id in self._turns

    def published(self, event: Any) -> list[Decision]:
        """Turn ends (user turns and narrations) as the front ends see them."""
        turn_id = getattr(event, "turn_id", 0)
        if isinstance(event, ReplyHeard) and turn_id in self._turns:
            self._cut.add(turn_id)
            return []
        if isinstance(event, (TurnTimeline, ErrorEvent)) and turn_id in self._turns:
            narration = self._turns.pop(turn_id)
            cut = turn_id in self._cut or isinstance(event, ErrorEvent)
            self._cut.discard(turn_id)
            return self.feed((NarrationCut if cut else NarrationFinished)(narration, now()))
        if isinstance(event, (TurnTimeline, InputIgnored, ErrorEvent)) and turn_id:
            return self.feed(ReplyEnded(now()))
        return []

    def cue_for(self, event: Any) -> EarconKind | None:
        """The sound for a state change the user cannot see (narrator mode), if cues are on."""
        if not self.settings.earcons:
            return None
        if isinstance(event, ErrorEvent):
            return EarconKind.ERROR
        if isinstance(event, StateChanged) and not self.is_narration(event.turn_id):
            return {LoopState.THINKING: EarconKind.THINKING, LoopState.LISTENING: EarconKind.LISTENING}.get(event.state)
        return None

    def execute(self, decisions: list[Decision], actions: "NarrationActions") -> None:
        """Carry out the scheduler's decisions through the session (a table by decision type)."""
        for decision in decisions:
            if isinstance(decision, Narrate):
                text = narration_text(decision.reason, self.settings.verbosity)
                turn = actions.narrate(decision.narration_id, text, decision.frame)
                self.execute(self.started(turn, decision.narration_id), actions)
            elif isinstance(decision, StopNarration):
                actions.stop_turn_of(decision.narration_id, self._turns)
            elif isinstance(decision, StartSampling):
                self.sampler.start()
            elif isinstance(decision, StopSampling):
                self.sampler.stop()
            elif isinstance(decision, PlayCue) and self.settings.earcons:
                actions.play(cue_chunk(decision.kind))

    def rebase(self, frame: ImageInput) -> None:
        self.sampler.rebase(frame)

    def close(self) -> None:
        self.sampler.stop()


def cue_chunk(kind: EarconKind) -> AudioChunk:
    return earcon(kind).as_chunk()


class NarrationActions(Protocol):
    """What the session does for the narrator."""

    def narrate(self, narration_id: int, text: str, frame: ImageInput) -> int | None:
        """Start a narration turn; its loop turn id, or None when the loop is busy."""

    def stop_turn_of(self, narration_id: int, turns: dict[int, int]) -> None: ...

    def play(self, chunk: AudioChunk) -> None: ...

"""One conversation turn as a single frozen object (invariant 7): replaced whole, never reset field by field."""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.loop.events import Stage, StageMark, TurnTimeline
from app.tools.runner import ProposalReady
from models.tool_format import ParsedCall
from models.base import ImageInput


@dataclass(frozen=True)
class SpokenClause:
    clause_id: int
    text: str


@dataclass(frozen=True)
class Turn:
    turn_id: int
    reply_id: str = ""  # the reply's message id in the conversation
    user_text: str = ""
    images: tuple[ImageInput, ...] = ()
    reply: str = ""  # everything generated so far
    pending: str = ""  # generated text not yet cut into a clause
    clauses: tuple[SpokenClause, ...] = ()  # sent to the voice, in order
    clauses_voiced: int = 0  # clauses whose synthesis finished (last AudioChunk seen)
    generation_done: bool = False
    audio_started: bool = False
    marks: tuple[StageMark, ...] = ()
    cold_load_s: float = 0.0
    tool_steps: int = 0  # tool round trips so far in this turn
    queued_calls: tuple[ParsedCall, ...] = ()  # the model's calls not yet started (one runs at a time)
    running_call: str | None = None  # id of the call being planned / proposed / run
    awaiting: ProposalReady | None = None  # a write/run call waiting for the user's yes
    step_clause: int = 0  # index of the first clause of the current step (what barge-in may keep)
    narration_id: int | None = None  # this turn narrates a change the user did not ask about

    def mark(self, stage: Stage, t: float) -> "Turn":
        if any(m.stage is stage for m in self.marks):
            return self
        return replace(self, marks=self.marks + (StageMark(stage, t),))

    def timeline(self) -> TurnTimeline:
        return TurnTimeline(self.turn_id, self.marks, self.cold_load_s)

    @property
    def next_clause_id(self) -> int:
        return len(self.clauses)

    @property
    def all_voiced(self) -> bool:
        return self.generation_done and not self.pending and self.clauses_voiced >= len(self.clauses)


def heard_text(turn: Turn, heard_seconds: dict[int, float], clause_seconds: dict[int, float]) -> str:
    """The part of the reply the user heard: whole clauses played to the end, plus the played fraction of the
    clause that was cut (rounded down to a word boundary)."""
    parts: list[str] = []
    for clause in turn.clauses[turn.step_clause:]:
        total = clause_seconds.get(clause.clause_id, 0.0)
        played = heard_seconds.get(clause.clause_id, 0.0)
        if total <= 0 or played <= 0:
            break
        if played >= total - 1e-3:
            parts.append(clause.text)
            continue
        cut = int(len(clause.text) * played / total)
        head = clause.text[:cut].rsplit(" ", 1)[0] if " " in clause.text[:cut] else ""
        if head:
            parts.append(head + "…")
        break
    return " ".join(parts)

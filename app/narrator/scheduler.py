"""When a narration may start: a pure policy ``decide(state, event) -> (state, decisions)`` over typed inputs.

Rules (the numbers are :class:`SchedulerConfig`'s defaults):
- the user's voice always wins: no narration starts while the user speaks or while Hearth is answering the user
  (from the user's turn until its reply has finished or been cut), and a narration in progress is stopped the
  moment the user starts speaking (barge-in) — :class:`StopNarration`;
- one narration at a time, and one per change, never one per frame: a change that cannot be narrated yet waits
  as the one *pending* change; a newer change replaces it (the newest view is what is there now), and a pending
  change older than ``stale_after_s`` (10 s) is dropped;
- rate limit: a narration starts at least ``min_gap_s`` (4 s) after the previous one started, ``quiet_after_s``
  (1 s) after it ended, and ``after_user_s`` (2 s) after the user's speech or Hearth's reply to it ended — so
  narrations never crowd the conversation and the user has room to speak;
- narrator off stops everything: the pending change is dropped, a narration in progress is stopped, sampling
  stops (:class:`StopSampling`); switching on starts sampling, and the first settled view is described
  (``Reason.FIRST_LOOK``).
Time comes from the events (monotonic seconds); :class:`Tick` lets time pass with nothing else happening.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any, Callable

from app.narrator.change import SceneChanged
from app.narrator.earcons import EarconKind
from models.base import ImageInput


@dataclass(frozen=True)
class SchedulerConfig:
    min_gap_s: float = 4.0  # start to start
    quiet_after_s: float = 1.0  # after a narration ended (finished or cut)
    after_user_s: float = 2.0  # after the user stopped speaking / Hearth's reply to the user ended
    stale_after_s: float = 10.0  # a change not narrated by then is dropped
    narration_timeout_s: float = 30.0  # a narration never reported finished is taken as over (lost event)


# ------------------------------------------------------------------------------------------------- inputs
@dataclass(frozen=True)
class NarratorSwitched:
    on: bool
    t: float


@dataclass(frozen=True)
class UserSpeechBegan:
    t: float


@dataclass(frozen=True)
class UserSpeechEnded:
    t: float


@dataclass(frozen=True)
class ReplyBegan:
    """Hearth started answering the user (a user turn, not a narration)."""

    t: float


@dataclass(frozen=True)
class ReplyEnded:
    """Hearth's answer to the user finished, was cut, failed or was not needed (nothing heard)."""

    t: float


@dataclass(frozen=True)
class NarrationStarted:
    narration_id: int
    t: float


@dataclass(frozen=True)
class NarrationFinished:
    narration_id: int
    t: float


@dataclass(frozen=True)
class NarrationCut:
    """The narration was stopped before its end (barge-in, stop key, error)."""

    narration_id: int
    t: float


@dataclass(frozen=True)
class Tick:
    t: float


SchedulerInput = (NarratorSwitched | SceneChanged | UserSpeechBegan | UserSpeechEnded | ReplyBegan | ReplyEnded
                  | NarrationStarted | NarrationFinished | NarrationCut | Tick)


# ---------------------------------------------------------------------------------------------- decisions
class Reason(enum.Enum):
    FIRST_LOOK = "first look"  # the first settled view after switching on: describe it briefly
    CHANGED = "changed"  # the view changed: say what changed


@dataclass(frozen=True)
class Narrate:
    """Start narration ``narration_id`` about ``frame`` now (the session turns it into a generation)."""

    narration_id: int
    frame: ImageInput
    reason: Reason
    t: float


@dataclass(frozen=True)
class StopNarration:
    narration_id: int
    t: float


@dataclass(frozen=True)
class StartSampling:
    t: float


@dataclass(frozen=True)
class StopSampling:
    t: float


@dataclass(frozen=True)
class PlayCue:
    kind: EarconKind


Decision = Narrate | StopNarration | StartSampling | StopSampling | PlayCue


# -------------------------------------------------------------------------------------------------- state
@dataclass(frozen=True)
class NarratorState:
    config: SchedulerConfig = SchedulerConfig()
    on: bool = False
    user_speaking: bool = False
    replying: bool = False
    narrating: int | None = None  # the narration asked for and not yet over
    narration_asked: float = 0.0
    last_start: float | None = None
    last_end: float | None = None
    user_quiet_since: float | None = None  # when the user's speech / Hearth's reply to it last ended
    pending: SceneChanged | None = None
    next_id: int = 1


Decisions = list[Decision]


def _on_switch(s: NarratorState, ev: NarratorSwitched) -> tuple[NarratorState, Decisions]:
    if ev.on == s.on:
        return s, []
    if ev.on:
        return replace(s, on=True, pending=None), [StartSampling(ev.t), PlayCue(EarconKind.NARRATION_ON)]
    out: Decisions = [StopSampling(ev.t), PlayCue(EarconKind.NARRATION_OFF)]
    if s.narrating is not None:
        out.insert(0, StopNarration(s.narrating, ev.t))
    return replace(s, on=False, pending=None, narrating=None), out


def _on_scene(s: NarratorState, ev: SceneChanged) -> tuple[NarratorState, Decisions]:
    return (replace(s, pending=ev) if s.on else s), []


def _on_speech_began(s: NarratorState, ev: UserSpeechBegan) -> tuple[NarratorState, Decisions]:
    s = replace(s, user_speaking=True)
    if s.narrating is None:
        return s, []
    return s, [StopNarration(s.narrating, ev.t)]  # the narration's end arrives as NarrationCut


def _user_quiet(s: NarratorState, t: float, **changes: Any) -> NarratorState:
    return replace(s, user_quiet_since=t, **changes)


def _narration_over(s: NarratorState, narration_id: int, t: float) -> NarratorState:
    if narration_id != s.narrating:
        return s
    return replace(s, narrating=None, last_end=t)


def _ready(s: NarratorState, t: float) -> bool:
    c = s.config
    blocked = (not s.on or s.pending is None or s.user_speaking or s.replying or s.narrating is not None
               or s.last_start is not None and t - s.last_start < c.min_gap_s
               or s.last_end is not None and t - s.last_end < c.quiet_after_s
               or s.user_quiet_since is not None and t - s.user_quiet_since < c.after_user_s)
    return not blocked


def _housekeeping(s: NarratorState, t: float) -> NarratorState:
    c = s.config
    if s.pending is not None and t - s.pending.t > c.stale_after_s:
        s = replace(s, pending=None)
    if s.narrating is not None and t - s.narration_asked > c.narration_timeout_s:
        s = replace(s, narrating=None, last_end=t)
    return s


def _maybe_start(s: NarratorState, t: float) -> tuple[NarratorState, Decisions]:
    s = _housekeeping(s, t)
    if not _ready(s, t):
        return s, []
    change = s.pending
    assert change is not None
    reason = Reason.FIRST_LOOK if change.first else Reason.CHANGED
    decision = Narrate(s.next_id, change.frame, reason, t)
    s = replace(s, pending=None, narrating=s.next_id, narration_asked=t, last_start=t, next_id=s.next_id + 1)
    return s, [decision]


Handler = Callable[[NarratorState, Any], tuple[NarratorState, Decisions]]
HANDLERS: dict[type, Handler] = {
    NarratorSwitched: _on_switch,
    SceneChanged: _on_scene,
    UserSpeechBegan: _on_speech_began,
    UserSpeechEnded: lambda s, ev: (_user_quiet(s, ev.t, user_speaking=False), []),
    ReplyBegan: lambda s, ev: (replace(s, replying=True), []),
    ReplyEnded: lambda s, ev: (_user_quiet(s, ev.t, replying=False), []),
    NarrationStarted: lambda s, ev: (s, []),
    NarrationFinished: lambda s, ev: (_narration_over(s, ev.narration_id, ev.t), []),
    NarrationCut: lambda s, ev: (_narration_over(s, ev.narration_id, ev.t), []),
    Tick: lambda s, ev: (s, []),
}


def decide(state: NarratorState, event: SchedulerInput) -> tuple[NarratorState, Decisions]:
    """Advance the policy by one input; then start the pending narration if everything allows it now."""
    handler = HANDLERS.get(type(event))
    if handler is None:
        return state, []
    state, out = handler(state, event)
    state, more = _maybe_start(state, event.t)
    return state, out + more

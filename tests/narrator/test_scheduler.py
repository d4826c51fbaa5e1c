"""The narration policy, rule by rule, on hand-made inputs."""

from __future__ import annotations

import numpy as np
import pytest

from app.narrator.change import SceneChanged
from app.narrator.earcons import EarconKind
from app.narrator.scheduler import (
    Narrate,
    NarrationCut,
    NarrationFinished,
    NarratorState,
    NarratorSwitched,
    PlayCue,
    Reason,
    ReplyBegan,
    ReplyEnded,
    SchedulerConfig,
    StartSampling,
    StopNarration,
    StopSampling,
    Tick,
    UserSpeechBegan,
    UserSpeechEnded,
    decide,
)
from models.base import ImageInput

FRAME = ImageInput(rgb=np.zeros((4, 4, 3), np.uint8))


def change(t: float, first: bool = False) -> SceneChanged:
    return SceneChanged(ImageInput(rgb=np.full((4, 4, 3), int(t * 10) % 255, np.uint8)), t, 0.2, first)


def feed(events, state: NarratorState = NarratorState()):
    out = []
    for ev in events:
        state, decisions = decide(state, ev)
        out += decisions
    return state, out


def narrates(decisions):
    return [d for d in decisions if isinstance(d, Narrate)]


def test_switching_on_starts_sampling_with_a_cue_and_describes_the_first_view():
    state, out = feed([NarratorSwitched(True, 0.0), change(1.0, first=True)])
    assert out[:2] == [StartSampling(0.0), PlayCue(EarconKind.NARRATION_ON)]
    (n,) = narrates(out)
    assert n.reason is Reason.FIRST_LOOK and n.t == 1.0 and n.narration_id == 1
    assert state.narrating == 1


def test_changes_while_off_are_ignored():
    _, out = feed([change(1.0), Tick(2.0), change(6.0), Tick(20.0)])
    assert out == []


def test_one_narration_at_a_time_and_a_newer_change_replaces_the_waiting_one():
    state, out = feed([NarratorSwitched(True, 0.0), change(1.0, True), change(2.0), change(3.0), Tick(4.0),
                       NarrationFinished(1, 4.5), Tick(5.0), Tick(5.6)])
    ns = narrates(out)
    assert [n.t for n in ns] == [1.0, 5.6]  # quiet 1 s after the end at 4.5
    assert ns[1].frame.rgb[0, 0, 0] == 30  # the newest view (3 s), not the 2 s one
    assert state.pending is None


def test_minimum_gap_between_narration_starts():
    cfg = SchedulerConfig()
    _, out = feed([NarratorSwitched(True, 0.0), change(1.0, True), NarrationFinished(1, 1.5), change(2.0),
                   Tick(3.0), Tick(4.99), Tick(5.0)])
    assert [n.t for n in narrates(out)] == [1.0, 1.0 + cfg.min_gap_s]


def test_never_while_the_user_speaks_or_hearth_replies_and_not_right_after():
    events = [NarratorSwitched(True, 0.0), UserSpeechBegan(0.5), change(1.0, True), Tick(3.0), UserSpeechEnded(3.5),
              ReplyBegan(3.6), Tick(5.0), Tick(6.0), ReplyEnded(6.5), Tick(7.0), Tick(8.4), Tick(8.5)]
    _, out = feed(events)
    assert [n.t for n in narrates(out)] == [8.5]  # 2 s after the reply ended


def test_the_users_voice_stops_a_narration_at_once():
    state, out = feed([NarratorSwitched(True, 0.0), change(1.0, True), UserSpeechBegan(1.4)])
    assert out[-1] == StopNarration(1, 1.4)
    state, out = feed([NarrationCut(1, 1.45), change(2.0), UserSpeechEnded(2.5), Tick(4.4), Tick(5.0)], state)
    assert [n.t for n in narrates(out)] == [5.0]  # 4 s after the cut narration started, 2 s after the user


def test_a_stale_change_is_dropped():
    cfg = SchedulerConfig()
    _, out = feed([NarratorSwitched(True, 0.0), UserSpeechBegan(0.5), change(1.0, True),
                   UserSpeechEnded(1.0 + cfg.stale_after_s), Tick(30.0)])
    assert narrates(out) == []


def test_off_stops_everything():
    state, out = feed([NarratorSwitched(True, 0.0), change(1.0, True), change(4.0), NarratorSwitched(False, 4.5)])
    assert out[-3:] == [StopNarration(1, 4.5), StopSampling(4.5), PlayCue(EarconKind.NARRATION_OFF)]
    assert state.pending is None and state.narrating is None and not state.on
    state, out = feed([NarrationCut(1, 4.6), change(6.0), Tick(20.0)], state)
    assert out == []
    assert feed([NarratorSwitched(False, 21.0)], state)[1] == []  # already off: nothing to do


def test_a_narration_never_reported_over_times_out():
    cfg = SchedulerConfig()
    state, out = feed([NarratorSwitched(True, 0.0), change(1.0, True), change(3.0),
                       Tick(1.0 + cfg.narration_timeout_s - 0.1)])
    assert len(narrates(out)) == 1  # (the 3 s change went stale meanwhile)
    state, out = feed([change(40.0), Tick(41.0 + cfg.quiet_after_s)], state)
    assert [n.t for n in narrates(out)] == pytest.approx([41.0 + cfg.quiet_after_s])


def test_ends_of_other_narrations_do_not_count():
    state, _ = feed([NarratorSwitched(True, 0.0), change(1.0, True)])
    state, _ = feed([NarrationFinished(99, 2.0)], state)
    assert state.narrating == 1

"""End to end without models: a generated video with scene changes at known times, sampled by the real sampler
thread (on a fake clock), through the real detector and scheduler, with a stand-in session playing narrations."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from app.eyes import open_source
from app.eyes.video_scenes import VideoScenes, render_scene
from app.narrator.change import SceneChanged, distance, signature
from app.narrator.sampler import FramesBack, FramesUnavailable, Sampler
from app.narrator.scheduler import (
    NarratorSwitched,
    Reason,
    ReplyBegan,
    ReplyEnded,
    StartSampling,
    StopNarration,
    Tick,
    UserSpeechBegan,
    UserSpeechEnded,
)
from tests.narrator.helpers import FakeClock, Posts, StandInSession

CHANGES = (3.0, 8.0, 13.0)
END = 16.0


def scene_of(frame) -> int:
    sig = signature(frame.rgb)
    return int(np.argmin([distance(sig, signature(render_scene(i, 768, 576))) for i in range(4)]))


def start(script=(), end=END):
    clock = FakeClock(end)
    video = VideoScenes(CHANGES, clock=clock)
    posts = Posts()
    sampler = Sampler(video, posts, clock=clock, pause=clock.pause)
    session = StandInSession(sampler, posts, list(script))
    session.feed(NarratorSwitched(True, 0.0))
    assert StartSampling(0.0) in session.decisions
    sampler.start()
    return session, sampler, video


def test_the_generated_video_switches_scenes_at_the_given_times():
    video = open_source("video_scenes", changes_at=CHANGES, clock=lambda: 0.0)
    assert [video.scene_at(t) for t in (0.0, 2.99, 3.0, 7.9, 8.0, 13.5)] == [0, 0, 1, 1, 2, 3]
    a, b = video.latest().rgb, video.latest().rgb
    assert a.shape == (576, 768, 3) and not np.array_equal(a, b)  # noise and shake on every frame


def test_one_narration_per_change_not_per_frame():
    session, sampler, _ = start()
    try:
        session.run_until(END)
    finally:
        sampler.stop()
    ns = session.narrations()
    assert [n.t for n in ns] == pytest.approx([1.0, 5.0, 9.0, 14.0])  # 4.0 s held back by the 4 s gap
    assert [n.reason for n in ns] == [Reason.FIRST_LOOK] + [Reason.CHANGED] * 3
    assert [scene_of(n.frame) for n in ns] == [0, 1, 2, 3]
    assert len(session.scenes) == 4  # the detector itself reported each change once, out of 33 frames


def test_no_narration_while_the_user_speaks_and_the_users_voice_cuts_one():
    script = [UserSpeechBegan(5.5), UserSpeechEnded(6.5),  # barges in on the 5.0 s narration
              UserSpeechBegan(8.5), UserSpeechEnded(10.5), ReplyBegan(10.6), ReplyEnded(12.0)]
    session, sampler, _ = start(script)
    try:
        session.run_until(END)
    finally:
        sampler.stop()
    ns = session.narrations()
    assert StopNarration(2, 5.5) in session.decisions  # barge-in: the narration playing at 5.5 s is stopped
    assert [n.t for n in ns] == pytest.approx([1.0, 5.0, 14.0])
    for n in ns:  # none inside the user's speech or Hearth's reply, nor within 2 s after
        assert not (5.5 <= n.t < 8.5) and not (8.5 <= n.t < 14.0)
    assert [scene_of(n.frame) for n in ns] == [0, 1, 3]  # scene 2 was replaced by 3 while the user talked


def test_narrator_off_stops_sampling_and_narration():
    session, sampler, video = start(end=1e9)  # the video never ends: only "off" stops the sampler
    try:
        session.run_until(3.0)
        assert sampler.running
        session.feed(NarratorSwitched(False, 3.0))  # the stand-in executes StopSampling: sampler.stop()
        assert not sampler.running
        served = video.frames_served
        late = []
        while not session.posts.q.empty():  # what the sampler posted before it stopped
            late.append(session.posts.q.get_nowait())
        for item in late:
            if isinstance(item, (SceneChanged, Tick)):
                session.feed(item)
        assert video.frames_served == served and session.posts.q.empty()
        assert [n.t for n in session.narrations()] == pytest.approx([1.0])  # nothing after "off"
    finally:
        sampler.stop()


class Flaky:
    """No frames for a while (camera unplugged), then frames again."""

    def __init__(self, clock, gone=(1.0, 5.0)):
        self.clock, self.gone = clock, gone
        self.scene = render_scene(0, 64, 48)

    def latest(self):
        from models.base import ImageInput

        t = self.clock()
        if self.gone[0] <= t < self.gone[1]:
            if t >= 3.0:
                raise OSError("camera unplugged")
            return None
        return ImageInput(rgb=self.scene)


def test_a_camera_that_stops_giving_frames_is_reported_once_and_its_return_too():
    clock = FakeClock(8.0)
    posts = Posts()
    sampler = Sampler(Flaky(clock), posts, clock=clock, pause=clock.pause)
    sampler.start()
    seen = []
    try:
        while not (seen and isinstance(seen[-1], Tick) and seen[-1].t >= 8.0):
            seen.append(posts.get())
    finally:
        sampler.stop()
    gone = [e for e in seen if isinstance(e, FramesUnavailable)]
    back = [e for e in seen if isinstance(e, FramesBack)]
    assert len(gone) == 1 and gone[0].t == pytest.approx(3.0) and "camera" in gone[0].message
    assert "unplugged" in gone[0].detail
    assert [b.t for b in back] == pytest.approx([5.0])


def test_sampling_runs_on_its_own_thread_and_stop_joins_it():
    names = []

    class Watch:
        def latest(self):
            names.append(threading.current_thread().name)
            return None

    clock = FakeClock(2.0)
    posts = Posts()
    sampler = Sampler(Watch(), posts, clock=clock, pause=clock.pause)
    sampler.start()
    sampler.start()  # already running: no second thread
    while not isinstance(item := posts.get(), Tick) or item.t < 2.0:
        pass
    sampler.stop()
    assert not sampler.running and set(names) == {"hearth-narrator-sampler"}
    n = len(names)
    sampler.stop()  # stopping twice is harmless
    assert len(names) == n


class Stepper:
    """A clock the test moves one sample at a time."""

    def __init__(self) -> None:
        self.t = 0.0
        self.go = threading.Semaphore(0)

    def __call__(self) -> float:
        return self.t

    def pause(self, stop: threading.Event, seconds: float) -> bool:
        self.go.acquire(timeout=60)
        self.t += seconds
        return stop.is_set()


def next_tick(posts: Posts, seen: list) -> Tick:
    while not isinstance(item := posts.get(), Tick):
        seen.append(item)
    return item


def test_rebase_through_the_sampler_and_a_broken_frame_is_a_value():
    from models.base import ImageInput

    class Still:
        def __init__(self):
            self.frame = ImageInput(rgb=render_scene(0, 64, 48))

        def latest(self):
            return self.frame

    clock, posts, seen = Stepper(), Posts(), []
    source = Still()
    sampler = Sampler(source, posts, clock=clock, pause=clock.pause)
    sampler.start()
    try:
        while next_tick(posts, seen).t < 1.0:
            clock.go.release()
        assert [type(s) for s in seen] == [SceneChanged] and seen[0].first
        sampler.rebase(ImageInput(rgb=render_scene(1, 64, 48)))  # the user was told about another view
        clock.go.release()
        next_tick(posts, seen)
        assert len(seen) == 2 and not seen[1].first  # the still view now differs from what was described
        source.frame = ImageInput(rgb=np.zeros((48, 64), np.uint8))  # not RGB: the detector fails on it
        clock.go.release()
        next_tick(posts, seen)
        assert isinstance(seen[-1], FramesUnavailable) and seen[-1].detail
    finally:
        clock.go.release()
        sampler.stop()
    assert not sampler.running

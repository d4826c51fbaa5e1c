"""Narrator mode through the real Session and engine (tiny Qwen-VL): a generated video with scene changes at known
times is narrated once per change — not per frame, not while the user speaks — and narration off stops sampling."""

from __future__ import annotations

import queue
import time

import pytest

from app.config.settings import Settings
from app.engine.messages import ErrorEvent, GenerationDone
from app.eyes import open_source
from app.loop.builder import Ports, SessionSpec, build_session
from app.loop.events import NarrationChanged, SetNarration, UserSaid
from app.loop.vocabulary import SpeechBegan

pytestmark = pytest.mark.slow


def run_for(events: queue.Queue, seconds: float) -> list:
    seen, end = [], time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            seen.append(events.get(timeout=0.1))
        except queue.Empty:
            pass
    return seen


def narrations(seen: list) -> list[GenerationDone]:
    spoken_turns = {e.turn_id for e in seen if isinstance(e, UserSaid)}
    return [e for e in seen if isinstance(e, GenerationDone) and e.turn_id not in spoken_turns]


def test_one_narration_per_scene_change_and_off_stops_sampling(tiny_vlm):
    frames = open_source("video_scenes", changes_at=(4.0, 9.0, 15.0))  # 15 s: while the user speaks
    events: queue.Queue = queue.Queue()
    spec = SessionSpec(chat_model=str(tiny_vlm), mode="narrator", max_tokens=6)
    session, loads = build_session(Settings(), events.put, Ports(frames=frames), spec)
    session.start(loads)
    try:
        seen = run_for(events, 13.0)
        assert any(isinstance(e, NarrationChanged) and e.on for e in seen)
        assert not [e for e in seen if isinstance(e, ErrorEvent)]
        done = narrations(seen)
        # the first settled view, then one per change (4 s, 9 s): never one per frame (26 frames were sampled)
        assert 2 <= len(done) <= 3, [round(e.t, 1) for e in done]
        assert session.narration is not None and session.narration.sampler.running

        session.post(SpeechBegan())  # the user starts talking: nothing is narrated while they speak
        frames_changed_at = time.monotonic()
        quiet = narrations(run_for(events, 5.0))
        assert not quiet, "a narration started while the user was speaking"
        assert time.monotonic() - frames_changed_at >= 5.0

        session.handle(SetNarration(False))
        off = run_for(events, 1.5)
        assert any(isinstance(e, NarrationChanged) and not e.on for e in off)
        assert not session.narration.sampler.running  # narrator off stops sampling
    finally:
        session.stop()
        frames.close()

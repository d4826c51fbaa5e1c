"""The session on the real engine and a tiny model: typed turns, model swap, errors — all through the loop."""

from __future__ import annotations

import queue
import re

import pytest

from app.engine.messages import ErrorEvent, GenerationDone, LoadModel, ModelLoaded, TextDelta
from app.engine.runtime import make_engine
from app.loop.session import Session
from app.loop.events import LoopState, SendText, StateChanged, SwapModel, TurnTimeline, UserSaid
from app.config.settings import Settings
from models.base import Role


def cutter(pending, first, final):
    parts = re.split(r"(?<=[.!?])\s+", pending)
    return (tuple(p for p in parts if p.strip()), "") if final else (tuple(parts[:-1]), parts[-1])


class Collector:
    def __init__(self):
        self.q: queue.Queue = queue.Queue()
        self.seen: list = []

    def __call__(self, event):
        self.q.put(event)

    def until(self, predicate, timeout=60):
        while True:
            ev = self.q.get(timeout=timeout)
            self.seen.append(ev)
            if predicate(ev):
                return ev


@pytest.fixture
def session_factory(monkeypatch, tmp_path):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    made = []

    def make(*models):
        events = Collector()
        s = Session(lambda post: make_engine(post, Settings()), events, cutter).start(models)
        made.append(s)
        return s, events

    yield make
    for s in made:
        s.stop()


def test_typed_turn_through_the_real_engine(session_factory, tiny_llm):
    session, events = session_factory(LoadModel(Role.LLM, str(tiny_llm)))
    events.until(lambda e: isinstance(e, ModelLoaded))
    session.handle(SendText("hello"))
    events.until(lambda e: isinstance(e, TurnTimeline))
    kinds = [type(e) for e in events.seen]
    assert kinds.index(UserSaid) < kinds.index(StateChanged) < kinds.index(GenerationDone) < kinds.index(TurnTimeline)
    states = [e.state for e in events.seen if isinstance(e, StateChanged)]
    assert states == [LoopState.THINKING, LoopState.LISTENING]  # no audio out: text only
    reply = next(e for e in events.seen if isinstance(e, GenerationDone)).text
    assert "".join(e.text for e in events.seen if isinstance(e, TextDelta)) == reply
    assert session.loop.history.messages[-1].text == reply


def test_model_swap_keeps_the_conversation(session_factory, tiny_llm, tiny_vlm):
    session, events = session_factory(LoadModel(Role.LLM, str(tiny_llm)))
    events.until(lambda e: isinstance(e, ModelLoaded))
    session.handle(SendText("first"))
    events.until(lambda e: isinstance(e, TurnTimeline))
    session.handle(SwapModel(Role.VLM, str(tiny_vlm)))
    assert events.until(lambda e: isinstance(e, ModelLoaded)).supports_images
    session.handle(SendText("second"))
    events.until(lambda e: isinstance(e, TurnTimeline))
    texts = [m.text for m in session.loop.history.messages]
    assert texts[0] == "first" and texts[2] == "second" and len(texts) == 4


def test_model_failure_mid_turn_is_an_error_event_and_the_loop_goes_on(session_factory):
    session, events = session_factory()  # no model loaded
    session.handle(SendText("anyone there?"))
    err = events.until(lambda e: isinstance(e, ErrorEvent))
    assert "No chat model is loaded" in err.message
    events.until(lambda e: isinstance(e, StateChanged) and e.state is LoopState.LISTENING)
    assert session.loop.turn is None
    assert [m.text for m in session.loop.history.messages] == ["anyone there?"]  # what the user said is kept


def test_a_what_is_this_turn_sends_the_newest_frame_to_the_vision_tower(tiny_vlm, monkeypatch, tmp_path):
    import threading

    from mlx_vlm.models.qwen3_5 import VisionModel

    from app.eyes import open_source

    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    seen: list[tuple[int, ...]] = []
    original = VisionModel.__call__

    def spy(self, pixels, grid_thw, *args, **kwargs):
        seen.append(tuple(pixels.shape))
        assert threading.current_thread().name == "hearth-engine"
        return original(self, pixels, grid_thw, *args, **kwargs)

    monkeypatch.setattr(VisionModel, "__call__", spy)
    events = Collector()
    session = Session(lambda post: make_engine(post, Settings()), events, cutter,
                      frames=open_source("synthetic")).start((LoadModel(Role.VLM, str(tiny_vlm)),))
    try:
        events.until(lambda e: isinstance(e, ModelLoaded))
        session.handle(SendText("hello"))
        said = events.until(lambda e: isinstance(e, UserSaid))
        events.until(lambda e: isinstance(e, TurnTimeline))
        assert said.images == () and seen == []  # no frame for a turn that does not ask to look
        session.handle(SendText("what is this?"))
        said = events.until(lambda e: isinstance(e, UserSaid))
        events.until(lambda e: isinstance(e, TurnTimeline))
        assert len(said.images) == 1 and said.images[0].rgb.shape == (240, 320, 3)
        assert seen and seen[0][0] > 0  # the frame's patches went through the vision tower
    finally:
        session.stop()


def test_memory_stats_after_each_reply(tiny_llm, monkeypatch, tmp_path):
    from app.engine.runtime import budget_for
    from app.loop.events import MemoryStats

    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    events = Collector()
    settings = Settings()
    session = Session(lambda post: make_engine(post, settings), events, cutter,
                      budget_for=budget_for(settings)).start((LoadModel(Role.LLM, str(tiny_llm)),))
    try:
        events.until(lambda e: isinstance(e, ModelLoaded))
        session.handle(SendText("hello " * 50))
        stats = events.until(lambda e: isinstance(e, MemoryStats))
        assert stats.tokens > 50 and 0 < stats.bytes < stats.bf16_bytes  # compressed below bf16
        assert stats.tokens_that_fit > 1000
    finally:
        session.stop()

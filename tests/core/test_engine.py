from __future__ import annotations

import queue
import threading

import pytest

from app.engine.thread import Engine
from app.engine.messages import (
    AudioChunk,
    Cancelled,
    ErrorEvent,
    Generate,
    GenerationDone,
    LoadModel,
    ModelLoaded,
    Synthesize,
    TextDelta,
)
from models.base import ChatMessage, ChatRequest, Role, SamplingParams, Speaker
from tests.core.fakes import FakeTTS, GatedChat, fake_loader

REQ = ChatRequest((ChatMessage(Speaker.USER, "hi"),), SamplingParams(max_tokens=50))


class Events:
    def __init__(self) -> None:
        self.q: queue.Queue = queue.Queue()
        self.seen: list = []

    def put(self, event) -> None:
        self.q.put(event)

    def next(self, kind, turn_id=None):
        while True:
            event = self.q.get(timeout=10)
            self.seen.append(event)
            if isinstance(event, kind) and (turn_id is None or event.turn_id == turn_id):
                return event


@pytest.fixture
def rig():
    chat, tts, events = GatedChat(), FakeTTS(), Events()
    engine = Engine(events.put, loader=fake_loader({Role.LLM: chat, Role.TTS: tts})).start()
    engine.submit(LoadModel(Role.LLM, "fake"))
    engine.submit(LoadModel(Role.TTS, "fake"))
    events.next(ModelLoaded), events.next(ModelLoaded)
    yield engine, chat, events
    chat.gate.release(1000)
    engine.stop()


def test_generation_streams_then_finishes(rig):
    engine, chat, events = rig
    chat.tokens = 3
    engine.submit(Generate(1, REQ))
    chat.gate.release(3)
    done = events.next(GenerationDone, 1)
    assert done.text == "t0 t1 t2 " and done.finish_reason == "length"
    assert [e.text for e in events.seen if isinstance(e, TextDelta)] == ["t0 ", "t1 ", "t2 "]
    assert chat.threads == {"hearth-engine"} and chat.closed


def test_cancel_takes_effect_within_one_token_step(rig):
    engine, chat, events = rig
    engine.submit(Generate(7, REQ))
    chat.gate.release(3)
    for _ in range(3):
        events.next(TextDelta, 7)
    engine.cancel(7)  # the engine is now inside step 4, waiting for the gate
    chat.gate.release(1)  # let that step finish
    events.next(Cancelled, 7)
    chat.gate.release(10)  # would let the generation run on, were it not dropped
    engine.submit(Synthesize(99, 0, "flush"))  # a later request proves the engine moved on
    events.next(AudioChunk, 99)
    assert chat.steps == 4  # only the step already under way when cancel arrived
    assert [e.index for e in events.seen if isinstance(e, TextDelta)] == [0, 1, 2]  # nothing after cancel
    assert chat.closed
    assert not [e for e in events.seen if isinstance(e, ErrorEvent)]


def test_higher_priority_request_overtakes_running_generation(rig):
    engine, chat, events = rig
    engine.submit(Generate(3, REQ))
    chat.gate.release(1)
    events.next(TextDelta, 3)
    engine.submit(Synthesize(3, 0, "speak me"))
    chat.gate.release(1)  # exactly one more token may run before the engine looks at the queue
    events.next(AudioChunk, 3)
    chat.gate.release(1)
    events.next(TextDelta, 3)
    order = [type(e).__name__ for e in events.seen if isinstance(e, (TextDelta, AudioChunk))]
    assert order.index("AudioChunk") <= 2  # the audio came between tokens, not after the reply
    assert chat.steps <= 3


def test_stale_work_of_a_cancelled_turn_is_dropped(rig):
    engine, chat, events = rig
    engine.cancel(5)
    events.next(Cancelled, 5)
    engine.submit(Synthesize(5, 0, "too late"))
    engine.submit(Synthesize(6, 0, "fresh"))
    events.next(AudioChunk, 6)
    assert not [e for e in events.seen if isinstance(e, AudioChunk) and e.turn_id == 5]


def test_errors_are_values_and_the_engine_survives():
    events = Events()
    engine = Engine(events.put, loader=fake_loader({})).start()
    try:
        engine.submit(Generate(1, REQ))
        err = events.next(ErrorEvent, 1)
        assert "No chat model is loaded" in err.message
        engine.submit(LoadModel(Role.LLM, "x"))
        assert "no fake" in events.next(ErrorEvent).message
        chat = GatedChat(tokens=1)
        engine._slots._loader = fake_loader({Role.LLM: chat})  # the engine still serves requests
        engine.submit(LoadModel(Role.LLM, "y"))
        events.next(ModelLoaded)
        chat.gate.release(1)
        engine.submit(Generate(2, REQ))
        assert events.next(GenerationDone, 2).text == "t0 "
    finally:
        engine.stop()


def test_engine_thread_is_named_and_stops():
    events = Events()
    engine = Engine(events.put, loader=fake_loader({})).start()
    assert engine.thread.name == "hearth-engine"
    engine.stop()
    assert not engine.thread.is_alive()
    assert threading.current_thread() is not engine.thread


class _LongSpeech(FakeTTS):
    """Yields one chunk, then waits until the test has asked the engine to stop, then would yield 50 more."""

    def __init__(self) -> None:
        super().__init__()
        self.started, self.release = threading.Event(), threading.Event()

    def synthesize(self, text, voice, speed):
        yield from super().synthesize(text, voice, speed)
        self.started.set()
        self.release.wait(10)
        for _ in range(50):
            yield from super().synthesize(text, voice, speed)


def test_stop_ends_a_long_speech_at_its_next_chunk():
    tts, events = _LongSpeech(), Events()
    engine = Engine(events.put, loader=fake_loader({Role.TTS: tts})).start()
    engine.submit(LoadModel(Role.TTS, "fake"))
    events.next(ModelLoaded)
    engine.submit(Synthesize(5, 0, "a very long answer"))
    assert tts.started.wait(10)
    stopper = threading.Thread(target=engine.stop)
    stopper.start()
    while not engine._stopping.is_set():  # stop() has been called (it then waits for the engine thread)
        threading.Event().wait(0.01)
    tts.release.set()
    stopper.join(10)
    assert not engine.thread.is_alive()
    chunks = [e for e in list(events.q.queue) if isinstance(e, AudioChunk)]
    assert len(chunks) <= 1  # the chunk already made when stop came; none of the 50 after it


def test_stop_drops_a_running_generation_and_reports_clean(rig):
    engine, chat, events = rig
    engine.submit(Generate(3, REQ))
    chat.gate.release(2)
    events.next(TextDelta, 3), events.next(TextDelta, 3)
    stopper = threading.Thread(target=lambda: setattr(stopper, "clean", engine.stop()))
    stopper.start()
    while not engine._stopping.is_set():
        threading.Event().wait(0.01)
    chat.gate.release(1000)  # would run the generation to its 50 tokens, were it not dropped
    stopper.join(10)
    assert stopper.clean is True and not engine.thread.is_alive()
    assert chat.steps <= 3 and chat.closed


def test_the_engine_gives_mlx_a_cpu_buffer_cache_for_attention_scratch():
    """MLX's CPU cache limit is 32 MB by default: long-context decoding then gets fresh pages every step. The engine
    raises it when it starts (on a GPU MLX's default is already the memory limit, and is left alone)."""
    import mlx.core as mx

    from models.mlx_memory import CPU_CACHE_LIMIT, tune_allocator

    before = mx.set_cache_limit(32 << 20)
    try:
        engine = Engine(Events().put, loader=fake_loader({})).start()
        engine.stop()
        now = mx.set_cache_limit(32 << 20)
        if mx.default_device() == mx.cpu:
            assert now == min(CPU_CACHE_LIMIT, mx.get_memory_limit() // 8) > 32 << 20
            assert tune_allocator() == now
        else:
            assert now == 32 << 20 and tune_allocator() is None
    finally:
        mx.set_cache_limit(before)

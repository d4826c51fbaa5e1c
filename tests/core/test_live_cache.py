"""The live prompt cache on the tiny dense (qwen2, mlx-lm) and hybrid (qwen3_5: Gated DeltaNet + attention, mlx-vlm)
models: a turn feeds only what is new, and a rewind (barge-in) leaves the cache exactly as a fresh prefill would."""

from __future__ import annotations

import queue

import mlx.core as mx
import numpy as np
import pytest

from app.config.settings import Settings
from app.engine.jobs import GenerationJob
from app.engine.live_cache import LiveCache
from app.engine.messages import Generate, GenerationDone, LoadModel, ModelLoaded
from app.engine.runtime import compressed_cache_factory, make_engine
from models.base import ChatMessage, ChatRequest, Role, SamplingParams, Speaker
from models.loader import load_adapter
from models.store import ModelStore

pytestmark = pytest.mark.slow
SAMPLING = SamplingParams(max_tokens=12, temperature=0.0)
SYSTEM = ChatMessage(Speaker.SYSTEM, "You are a test.")


def msgs(*pairs: tuple[Speaker, str]) -> tuple[ChatMessage, ...]:
    return (SYSTEM,) + tuple(ChatMessage(s, t) for s, t in pairs)


def plain_factory(model):
    return model.make_prompt_cache()


@pytest.fixture(params=["llm", "vlm"])
def tiny_chat(request, tiny_llm, tiny_vlm, tmp_path):
    path = tiny_llm if request.param == "llm" else tiny_vlm
    roles = (Role.LLM,) if request.param == "llm" else (Role.VLM,)
    return load_adapter(roles, str(path), ModelStore(tmp_path))


def run_job(model, live: LiveCache, messages) -> tuple[GenerationJob, GenerationDone]:
    job = GenerationJob(1, model, ChatRequest(messages, SAMPLING), live)
    while True:
        for event in job.step():
            if isinstance(event, GenerationDone):
                return job, event


def last_logits(model, layers, tokens) -> np.ndarray:
    lm = getattr(model.model, "language_model", model.model)
    out = lm(mx.array(list(tokens))[None], cache=layers)
    logits = getattr(out, "logits", out)
    return np.array(logits[0, -1].astype(mx.float32))


def test_second_turn_feeds_only_the_new_tokens(tiny_chat):
    live = LiveCache(tiny_chat, plain_factory)
    fed: list[tuple[int, int]] = []
    original = tiny_chat.prefill

    def counting(prompt, cache, start, end):
        fed.append((start, end))
        original(prompt, cache, start, end)

    tiny_chat.prefill = counting
    _, first = run_job(tiny_chat, live, msgs((Speaker.USER, "Hello there, how are you?")))
    assert first.stats.reused_tokens == 0 and fed[0][0] == 0
    fed.clear()
    second_messages = msgs((Speaker.USER, "Hello there, how are you?"), (Speaker.ASSISTANT, first.text),
                           (Speaker.USER, "Tell me about the weather."))
    job, second = run_job(tiny_chat, live, second_messages)
    held = second.stats.reused_tokens
    new_user_tokens = len(tiny_chat.encode(ChatRequest(second_messages)).tokens) - held
    assert held > len(tiny_chat.encode(ChatRequest(msgs((Speaker.USER, "Hello there, how are you?")))).tokens) - 2
    assert sum(b - a for a, b in fed) == new_user_tokens - 1  # + the last prompt token, fed by generate
    assert all(a >= held for a, _ in fed)
    assert not second.stats.rebuilt_cache


@pytest.mark.parametrize("compressed", [False, True], ids=["plain", "compressed"])
def test_rewind_after_barge_in_equals_a_fresh_prefill(tiny_chat, compressed):
    factory = compressed_cache_factory(Settings()) if compressed else plain_factory
    live = LiveCache(tiny_chat, factory)
    question = (Speaker.USER, "Please tell me a long story about a lighthouse keeper.")
    _, first = run_job(tiny_chat, live, msgs(question))
    words = first.text.split()
    heard = " ".join(words[: max(1, len(words) // 2)]) + "…"  # the part the user heard before barging in
    transcript = msgs(question, (Speaker.ASSISTANT, heard), (Speaker.USER, "Stop, what time is it?"))
    prompt = tiny_chat.encode(ChatRequest(transcript))
    start = live.prepare(prompt)
    assert 0 < start < len(prompt.tokens)
    rewound = last_logits(tiny_chat, live.layers, prompt.tokens[start:])

    # The reference feeds the same tokens on the same schedule into a new cache, never going back: turn 1's
    # prompt in one chunk, the heard reply token by token (as it was generated), the rest in one chunk.
    first = tiny_chat.encode(ChatRequest(msgs(question)))
    first_prompt, stable = len(first.tokens) - 1, first.stable
    tiny_chat.set_position_state(None)
    fresh_layers = factory(tiny_chat)
    last_logits(tiny_chat, fresh_layers, prompt.tokens[:stable])  # the job splits its prefill where later turns
    if stable < first_prompt:  # render the same tokens (its snapshot point), then the generation prompt
        last_logits(tiny_chat, fresh_layers, prompt.tokens[stable:first_prompt])
    for token in prompt.tokens[first_prompt:start]:
        last_logits(tiny_chat, fresh_layers, (token,))
    fresh = last_logits(tiny_chat, fresh_layers, prompt.tokens[start:])
    tol = 1e-3 if compressed else 1e-4  # relative to the largest logit
    np.testing.assert_allclose(rewound, fresh, atol=tol * max(1.0, float(np.abs(fresh).max())))
    assert int(rewound.argmax()) == int(fresh.argmax())


def test_hybrid_rewind_uses_the_prompt_snapshot(tiny_vlm, tmp_path):
    model = load_adapter((Role.VLM,), str(tiny_vlm), ModelStore(tmp_path))
    live = LiveCache(model, plain_factory)
    assert live.needs_snapshots  # Gated-DeltaNet layers cannot be trimmed
    question = (Speaker.USER, "Count to twenty for me.")
    job, first = run_job(model, live, msgs(question))
    assert [x.length for x in live.snapshots] == sorted({job.prompt.stable, len(job.prompt.tokens) - 1})
    transcript = msgs(question, (Speaker.ASSISTANT, "One, two…"), (Speaker.USER, "Thanks."))
    start = live.prepare(model.encode(ChatRequest(transcript)))
    assert start in (job.prompt.stable, len(job.prompt.tokens) - 1) and live.rebuilds == 0


def test_engine_keeps_one_live_cache_per_conversation_and_a_swap_prefills_once(tiny_llm, tiny_vlm):
    events: queue.Queue = queue.Queue()
    engine = make_engine(events.put, Settings()).start()

    def turn(turn_id: int, conversation: str, messages) -> GenerationDone:
        engine.submit(Generate(turn_id, ChatRequest(messages, SAMPLING), conversation_id=conversation))
        while True:
            event = events.get(timeout=120)
            if isinstance(event, GenerationDone):
                return event
            assert not hasattr(event, "message"), event

    def load(path, role):
        engine.submit(LoadModel(role, str(path)))
        while not isinstance(events.get(timeout=120), ModelLoaded):
            pass

    try:
        load(tiny_llm, Role.LLM)
        q1 = (Speaker.USER, "First question here.")
        a = turn(1, "c1", msgs(q1))
        history = msgs(q1, (Speaker.ASSISTANT, a.text), (Speaker.USER, "And a second one."))
        b = turn(2, "c1", history)
        assert b.stats.reused_tokens > 0
        other = turn(3, "c2", msgs((Speaker.USER, "Another conversation.")))
        assert other.stats.reused_tokens == 0
        c = turn(4, "c1", history + (ChatMessage(Speaker.ASSISTANT, b.text), ChatMessage(Speaker.USER, "Third.")))
        assert c.stats.reused_tokens >= b.stats.prompt_tokens - 1  # c1's cache survived c2's turn
        load(tiny_vlm, Role.VLM)  # model swap: the transcript is prefilled once by the new model...
        d = turn(5, "c1", history)
        assert d.stats.reused_tokens == 0
        e = turn(6, "c1", history + (ChatMessage(Speaker.ASSISTANT, d.text), ChatMessage(Speaker.USER, "More.")))
        assert e.stats.reused_tokens > 0  # ...then it is incremental again
    finally:
        engine.stop()


def test_a_reply_never_exceeds_max_tokens(tiny_chat):
    live = LiveCache(tiny_chat, plain_factory)
    job = GenerationJob(1, tiny_chat, ChatRequest(msgs((Speaker.USER, "Talk a lot.")), SamplingParams(max_tokens=5)),
                        live)
    while True:
        done = next((e for e in job.step() if isinstance(e, GenerationDone)), None)
        if done is not None:
            break
    assert done.stats.generated_tokens <= 5

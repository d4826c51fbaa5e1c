"""Chat through the engine on the tiny random-weight models (real mlx-lm / mlx-vlm code paths)."""

from __future__ import annotations

import queue
import threading

import mlx.core as mx
import numpy as np
import pytest
from PIL import Image

from app.cli import main
from app.engine.messages import ErrorEvent, Generate, GenerationDone, LoadModel, ModelLoaded
from app.engine.runtime import make_engine
from app.config.settings import Settings
from models.base import ChatMessage, ChatRequest, ImageInput, Role, SamplingParams, Speaker


@pytest.fixture
def png(tmp_path):
    path = tmp_path / "photo.png"
    Image.fromarray((np.random.default_rng(0).random((48, 80, 3)) * 255).astype(np.uint8)).save(path)
    return path


@pytest.fixture
def hearth_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def run_turn(model_path, request, role=Role.LLM):
    events: queue.Queue = queue.Queue()
    engine = make_engine(events.put, Settings()).start()
    try:
        engine.submit(LoadModel(role, str(model_path)))
        engine.submit(Generate(1, request))
        seen = []
        while not isinstance(seen[-1] if seen else None, (GenerationDone, ErrorEvent)):
            seen.append(events.get(timeout=120))
        return engine, seen
    finally:
        engine.stop()


def record_threads(monkeypatch, target, name):
    threads: list[str] = []
    original = getattr(target, name)

    def wrapper(*args, **kwargs):
        threads.append(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(target, name, wrapper)
    return threads


def test_every_mlx_call_runs_on_the_engine_thread(tiny_llm, monkeypatch):
    from mlx_lm.models import qwen2

    forwards = record_threads(monkeypatch, qwen2.Model, "__call__")
    evals = record_threads(monkeypatch, mx, "async_eval")
    evals_sync = record_threads(monkeypatch, mx, "eval")
    request = ChatRequest((ChatMessage(Speaker.USER, "hello there"),), SamplingParams(max_tokens=6))
    _, seen = run_turn(tiny_llm, request)
    assert isinstance(seen[0], ModelLoaded) and isinstance(seen[-1], GenerationDone)
    assert seen[-1].stats.generated_tokens == 6 and seen[-1].stats.kv_tokens > 0
    assert forwards and evals
    assert set(forwards) | set(evals) | set(evals_sync) == {"hearth-engine"}


def test_vlm_sees_the_image(tiny_vlm, png, monkeypatch):
    from mlx_vlm.models.qwen3_5 import VisionModel

    pixels: list[tuple[int, ...]] = []
    original = VisionModel.__call__

    def spy(self, hidden_states, grid_thw, *args, **kwargs):
        pixels.append(tuple(hidden_states.shape))
        assert threading.current_thread().name == "hearth-engine"
        return original(self, hidden_states, grid_thw, *args, **kwargs)

    monkeypatch.setattr(VisionModel, "__call__", spy)
    msg = ChatMessage(Speaker.USER, "what is this?", (ImageInput(path=png),))
    _, seen = run_turn(tiny_vlm, ChatRequest((msg,), SamplingParams(max_tokens=4)), Role.VLM)
    assert isinstance(seen[-1], GenerationDone), seen[-1]
    assert pixels and pixels[0][0] > 0  # the vision tower ran on real patches


def test_vlm_text_only_turn_skips_the_vision_tower(tiny_vlm, monkeypatch):
    from mlx_vlm.models.qwen3_5 import VisionModel

    calls = record_threads(monkeypatch, VisionModel, "__call__")
    _, seen = run_turn(tiny_vlm, ChatRequest((ChatMessage(Speaker.USER, "hi"),), SamplingParams(max_tokens=3)),
                       Role.VLM)
    assert isinstance(seen[-1], GenerationDone) and calls == []


def test_rgb_frames_work_like_files(tiny_vlm):
    rgb = (np.random.default_rng(1).random((40, 40, 3)) * 255).astype(np.uint8)
    msg = ChatMessage(Speaker.USER, "describe", (ImageInput(rgb=rgb),))
    _, seen = run_turn(tiny_vlm, ChatRequest((msg,), SamplingParams(max_tokens=2)), Role.VLM)
    assert isinstance(seen[-1], GenerationDone)


def test_cli_chat_one_shot_on_each_tiny_model(tiny_llm, tiny_vlm, png, hearth_home, capsys):
    assert main(["chat", "--model", str(tiny_llm), "--prompt", "hi", "--max-tokens", "5"]) == 0
    err = capsys.readouterr().err
    assert "tok/s" in err and "first token" in err and "peak RSS" in err
    assert main(["chat", "--model", str(tiny_vlm), "--image", str(png), "--prompt", "hi", "--max-tokens", "3"]) == 0
    assert "Attached photo.png" in capsys.readouterr().err


def test_cli_chat_missing_model_is_a_clear_message(hearth_home, capsys, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert main(["chat", "--prompt", "hi"]) == 2
    err = capsys.readouterr().err
    assert "qwen3.5-4b is not installed" in err and "hearth models import" in err and "Traceback" not in err


def test_interactive_chat_switches_models_and_keeps_the_conversation(tiny_llm, tiny_vlm, png, hearth_home,
                                                                     monkeypatch, capsys):
    from app.engine.thread import Engine

    requests: list[ChatRequest] = []
    original = Engine.submit

    def spy(self, request):
        if isinstance(request, Generate):
            requests.append(request.request)
        return original(self, request)

    monkeypatch.setattr(Engine, "submit", spy)
    lines = iter(["first question", f"/model {tiny_vlm}", f"/image {png}", "second question", "/reset", "third",
                  "/quit"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(lines))
    assert main(["chat", "--model", str(tiny_llm), "--max-tokens", "3"]) == 0
    texts = [[m.text for m in r.messages if m.speaker is Speaker.USER] for r in requests]
    assert texts == [["first question"], ["first question", "second question"], ["third"]]
    assert requests[1].messages[-1].images[0].path == png  # the image went with the next message
    assert len([m for m in requests[1].messages if m.speaker is Speaker.ASSISTANT]) == 1  # the new model got the reply


def _kv_stats(model_path, settings):

    events: queue.Queue = queue.Queue()
    engine = make_engine(events.put, settings).start()
    try:
        engine.submit(LoadModel(Role.LLM, str(model_path)))
        request = ChatRequest((ChatMessage(Speaker.USER, "word " * 200),), SamplingParams(max_tokens=4))
        engine.submit(Generate(1, request))
        while True:
            event = events.get(timeout=120)
            if isinstance(event, (GenerationDone, ErrorEvent)):
                return event
    finally:
        engine.stop()


def test_engine_uses_the_compressed_kv_cache(tiny_llm):
    from dataclasses import replace

    plain_settings = Settings()
    plain_settings = replace(plain_settings, memory=replace(plain_settings.memory, compress_kv=False))
    compressed = _kv_stats(tiny_llm, Settings())
    plain = _kv_stats(tiny_llm, plain_settings)
    assert isinstance(compressed, GenerationDone) and isinstance(plain, GenerationDone)
    assert compressed.stats.kv_tokens == plain.stats.kv_tokens > 200
    assert compressed.stats.kv_bytes < plain.stats.kv_bytes / 2  # codes, not bf16/float32 keys and values


def test_chat_refuses_bad_images_and_files_as_models_before_answering(tiny_llm, hearth_home, tmp_path, capsys):
    text = tmp_path / "notes.txt"
    text.write_text("not a model")
    assert main(["chat", "--model", str(text), "--prompt", "hi"]) == 2
    assert "is a file, not a model folder" in capsys.readouterr().err
    assert main(["chat", "--model", str(tiny_llm), "--image", str(tmp_path / "missing.png"), "--prompt", "hi"]) == 2
    assert "No such image file" in capsys.readouterr().err
    assert main(["chat", "--model", str(tiny_llm), "--image", str(text), "--prompt", "hi"]) == 2
    err = capsys.readouterr().err
    assert "not an image Hearth can read" in err and "Traceback" not in err

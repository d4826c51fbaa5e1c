"""What must never reach a log (a request's content), and scripts that print only their own lines."""

from __future__ import annotations

import logging
import queue
import subprocess
import sys
from pathlib import Path

from app.engine.messages import ErrorEvent, Generate, LoadModel, ModelLoaded
from app.engine.thread import Engine
from models.base import ChatMessage, ChatRequest, Role, SamplingParams, Speaker
from tests.core.fakes import GatedChat, fake_loader

ROOT = Path(__file__).resolve().parents[2]
SECRET = "my bank PIN is 4921 and my diary says"


class BrokenCacheChat(GatedChat):
    def make_prompt_cache(self):
        raise RuntimeError("cache factory exploded")


def test_an_unexpected_engine_error_logs_the_request_type_and_turn_but_not_the_conversation(caplog):
    events: queue.Queue = queue.Queue()
    engine = Engine(events.put, loader=fake_loader({Role.LLM: BrokenCacheChat()}),
                    cache_factory=lambda model: model.make_prompt_cache()).start()
    try:
        engine.submit(LoadModel(Role.LLM, "fake"))
        assert isinstance(events.get(timeout=10), ModelLoaded)
        with caplog.at_level(logging.ERROR, logger="app.engine.thread"):
            engine.submit(Generate(7, ChatRequest((ChatMessage(Speaker.USER, SECRET),), SamplingParams())))
            event = events.get(timeout=10)
            while not isinstance(event, ErrorEvent):
                event = events.get(timeout=10)
    finally:
        engine.stop()
    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "Generate (turn 7)" in logged
    assert SECRET not in logged and "4921" not in logged


def test_make_tiny_models_prints_no_stray_blank_lines(tmp_path):
    done = subprocess.run([sys.executable, "scripts/make_tiny_models.py", str(tmp_path), "llm"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("llm") and str(tmp_path / "llm") in lines[0]

"""The whole voice loop on tiny models: espeak WAV in -> transcript -> reply tokens -> spoken reply WAV out."""

from __future__ import annotations

import json

import shutil
import subprocess
import threading

import mlx.core as mx
import numpy as np
import pytest

from app.commands.voice import VoiceCommand  # noqa: F401 - registers the command
from app.cli import main
from app.speech.segmenter import cut_clauses
from app.loop.machine import LoopConfig
from app.engine.messages import GenerationDone, LoadModel, ModelLoaded, TextDelta
from app.engine.runtime import make_engine
from app.loop.session import Session
from app.loop.events import LoopState, ReplyHeard, SendText, StateChanged, TurnTimeline
from app.config.settings import Settings
from app.ports.live import PlayerOut
from audio.playback import ArrayBackend, Player
from audio.wav import read_wav
from models.base import Role, SamplingParams
from tests.loop.test_session import Collector

pytestmark = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")


def session_reply_so_far(events, turn_id):
    return "".join(e.text for e in events.seen if isinstance(e, TextDelta) and e.turn_id == turn_id)


@pytest.fixture
def question_wav(tmp_path):
    path = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-w", str(path), "What is the weather like today?"], check=True)
    return path


def test_wav_in_to_spoken_reply_out(tiny_llm, tiny_model, question_wav, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    threads: list[str] = []
    original = mx.async_eval
    monkeypatch.setattr(mx, "async_eval", lambda *a: (threads.append(threading.current_thread().name), original(*a))[1])
    out = tmp_path / "reply.wav"
    rc = main(["voice", "--in", str(question_wav), "--out", str(out), "--model", str(tiny_llm),
               "--stt", str(tiny_model("whisper")), "--tts", "espeak", "--timeline", "--max-tokens", "24"])
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    assert "you: " in captured.out and "hearth: " in captured.out
    pcm, rate = read_wav(out)
    assert rate == 22050 and len(pcm) > rate // 2 and np.abs(pcm).max() > 0.05  # real speech came out
    order = [line.split()[0] for line in captured.err.splitlines() if line.startswith("  ")]
    assert order[:2] == ["end", "final"] and order.index("first") < order.index("reply")
    log = (tmp_path / "home" / "data" / "logs" / "timeline.jsonl").read_text().splitlines()
    assert len(log) == 1 and '"first audio"' in log[0]
    assert json.loads(log[0])["cold_load_s"] == 0  # the file is heard once the models are loaded: no load in the turn
    assert "model loading" not in captured.err
    assert threads and set(threads) == {"hearth-engine"}  # no MLX call off the engine thread


def test_barge_in_cancels_flushes_and_keeps_only_what_was_heard(tiny_llm, tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    backend = ArrayBackend()
    speaker = PlayerOut(Player(24000), backend)
    events = Collector()
    config = LoopConfig(sampling=SamplingParams(max_tokens=200))
    session = Session(lambda post: make_engine(post, Settings()), events, cut_clauses, config, audio_out=speaker)
    session.start((LoadModel(Role.LLM, str(tiny_llm)), LoadModel(Role.TTS, "espeak")))
    try:
        events.until(lambda e: isinstance(e, ModelLoaded))
        events.until(lambda e: isinstance(e, ModelLoaded))
        session.handle(SendText("tell me a long story"))
        events.until(lambda e: isinstance(e, StateChanged) and e.state is LoopState.SPEAKING)
        first = session.loop.turn.turn_id
        for _ in range(1000):  # play until the first clause was heard to its end, and a little of the next
            backend.pull(10)
            if any(c.complete for c in speaker.player.report(first).clauses):
                break
        backend.pull(5)
        session.handle(SendText("stop, something else"))
        heard = events.until(lambda e: isinstance(e, ReplyHeard))
        assert heard.turn_id == first
        tokens_after = [e for e in events.seen[events.seen.index(heard):] if isinstance(e, TextDelta)
                        and e.turn_id == first]
        assert tokens_after == []
        assert speaker.player.idle or all(p.tag.turn_id != first for p in speaker.player._queue)  # flushed
        assert not any(isinstance(e, GenerationDone) and e.turn_id == first for e in events.seen)  # cut short
        events.until(lambda e: isinstance(e, TurnTimeline) and e.turn_id == first)
        history = [m.text for m in session.loop.history.messages]
        assert history[0] == "tell me a long story" and history[-1] == "stop, something else"
        assert len(history) == 3 and history[1] == heard.heard_text  # the history holds only the heard part
        full_reply = session_reply_so_far(events, first)
        assert heard.heard_text and len(heard.heard_text) < len(full_reply) + 1
    finally:
        session.stop()


def test_files_are_heard_only_once_the_models_are_loaded():
    """`voice --in`: a turn's timeline must not hold a model load, so the first utterance waits for the models."""
    from app.ports.pipeline import TurnByTurnHearing
    from audio.types import Utterance

    posted: list = []
    hearing = TurnByTurnHearing(pipeline=None)  # _on_event needs no pipeline
    hearing._post = posted.append
    speech = Utterance(np.zeros(1600, np.float32), 16000, 0.1, 0.2, 0.0)
    worker = threading.Thread(target=hearing._on_event, args=(speech,), daemon=True)
    worker.start()
    worker.join(0.3)
    assert posted == [] and worker.is_alive()  # held back: the models are still loading
    hearing.models_ready.set()
    for _ in range(1000):
        if posted:
            break
        threading.Event().wait(0.01)
    assert len(posted) == 1  # heard once the models are there; the next waits for this turn to be answered
    hearing.turn_done.set()
    worker.join(10)
    assert not worker.is_alive()

"""`hearth say`: through the engine to a WAV file or (a fake) speaker; eSpeak stands in when the voice is missing."""

from __future__ import annotations

import sys
import threading
import types

import numpy as np
import pytest

from app.cli import main
from audio.wav import read_wav


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_say_writes_normalised_speech_to_wav(tmp_path, capsys):
    out = tmp_path / "say.wav"
    rc = main(["say", "Hello **world**. It costs $5, see https://example.com.", "--model", "espeak", "--out", str(out)])
    assert rc == 0
    pcm, rate = read_wav(out)
    assert rate == 22050 and len(pcm) / rate > 1.5 and np.sqrt(np.mean(pcm**2)) > 0.02
    assert "Wrote" in capsys.readouterr().err


def test_missing_voice_falls_back_to_espeak_and_says_so(tmp_path, capsys):
    out = tmp_path / "fallback.wav"
    assert main(["say", "Hello there.", "--model", str(tmp_path / "no-such-kokoro"), "--out", str(out)]) == 0
    assert "Using the instant eSpeak voice instead" in capsys.readouterr().err
    assert read_wav(out)[1] == 22050


class ThreadedFakeStream:
    """Calls the player's callback from its own thread, like PortAudio, until stopped."""

    fail: bool = False
    blocks: list[np.ndarray] = []

    def __init__(self, callback, blocksize, **kw):
        self.callback, self.blocksize, self._stop = callback, blocksize, threading.Event()

    def start(self):
        if ThreadedFakeStream.fail:
            raise RuntimeError("Error querying device -1")
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(0.001):
            buf = np.zeros((self.blocksize, 1), np.float32)
            self.callback(buf, self.blocksize, None, None)
            ThreadedFakeStream.blocks.append(buf[:, 0].copy())

    def stop(self):
        self._stop.set()
        self._thread.join()

    def close(self):
        pass


@pytest.fixture
def fake_speaker(monkeypatch):
    ThreadedFakeStream.fail, ThreadedFakeStream.blocks = False, []
    monkeypatch.setitem(sys.modules, "sounddevice", types.SimpleNamespace(OutputStream=ThreadedFakeStream))
    monkeypatch.setattr("app.commands.say.TAIL_S", 0.0)
    return ThreadedFakeStream


def test_say_plays_every_clause_through_the_player(fake_speaker):
    assert main(["say", "One, two. Three four five six seven.", "--model", "espeak"]) == 0
    played = np.concatenate(fake_speaker.blocks)
    assert np.sqrt(np.mean(played**2)) > 0.01 and len(played) / 22050 > 1.0


def test_say_without_a_speaker_is_a_clear_error(fake_speaker, capsys):
    fake_speaker.fail = True
    assert main(["say", "Hello.", "--model", "espeak"]) == 1
    err = capsys.readouterr().err
    assert "Could not open the speaker" in err and "--out" in err


@pytest.mark.parametrize("text", ["   ", "🎉 ---"])
def test_say_nothing(text, capsys):
    assert main(["say", text]) == 2
    assert "Nothing to say" in capsys.readouterr().err

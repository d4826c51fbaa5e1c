"""`hearth listen --in FILE.wav`: voice-activity events and transcripts through the real engine thread."""

from __future__ import annotations

import pytest

import audio_testdata as td
from app.cli import main
from audio.wav import write_wav

pytestmark = pytest.mark.slow


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    return tmp_path


@pytest.fixture(scope="module")
def turns_wav(tmp_path_factory, speech):
    take = td.turn_take()
    return write_wav(tmp_path_factory.mktemp("listen") / "turns.wav", take.pcm, td.RATE), take


def test_listen_prints_events_and_transcripts(home, turns_wav, whisper_folder, capsys):
    wav, take = turns_wav
    assert main(["listen", "--in", str(wav), "--model", str(whisper_folder.path), "--pause-ms", "500"]) == 0
    out, err = capsys.readouterr()
    assert out.count("speech started") == len(take.turns) == 3
    assert out.count("speech ended") == 3
    assert out.count("transcript (") == 3  # one final transcript per turn
    assert "ready" in err and "3 utterance(s)" in err


def test_listen_without_stt(home, turns_wav, capsys):
    wav, _ = turns_wav
    assert main(["listen", "--in", str(wav), "--no-stt"]) == 0
    out, _ = capsys.readouterr()
    assert out.count("speech started") == 3 and "transcript" not in out


def test_listen_with_a_missing_model_still_reports_voice_activity(home, turns_wav, capsys):
    wav, _ = turns_wav
    assert main(["listen", "--in", str(wav), "--model", str(home / "no-such-model")]) == 0
    out, err = capsys.readouterr()
    assert "Speech-to-text unavailable" in err and out.count("speech started") == 3


@pytest.mark.parametrize("content, message", [(None, "not found"), (b"RIFF....WAVEjunk", "not a readable WAV"),
                                              (b"hello, I am a text file", "not a readable WAV")])
def test_listen_bad_input_files_are_clear_errors(home, tmp_path, capsys, content, message):
    path = tmp_path / "input.wav"
    if content is not None:
        path.write_bytes(content)
    assert main(["listen", "--in", str(path), "--no-stt"]) == 2
    assert message in capsys.readouterr().err

"""Spoken output is never lost: the reply WAV is valid after each reply (kill -9 keeps them), the path is checked
before the work, and streaming keeps memory bounded."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import wave
from pathlib import Path

import numpy as np
import pytest

from audio.types import AudioFileError
from audio.wav import read_wav
from audio.wav_stream import WavStream, output_problem

ROOT = Path(__file__).resolve().parents[2]
RATE = 24000

CHILD = textwrap.dedent("""
    import sys, time
    import numpy as np
    from app.engine.messages import AudioChunk
    from app.ports.pipeline import WavOut

    out = WavOut(sys.argv[1], gap_s=0.5)
    out.start(lambda event: None)
    tone = (0.3 * np.sin(np.arange(24000) / 10)).astype(np.float32)  # one second
    for turn in (1, 2, 3):
        for clause in range(2):
            out.play(AudioChunk(turn, clause, tone, 24000, last=True))
        out.finish(turn)
    out.play(AudioChunk(4, 0, tone, 24000))  # the fourth reply is still being spoken when the kill comes
    print("ready", flush=True)
    time.sleep(600)
""")


def test_kill_9_during_voice_out_leaves_a_playable_wav_of_finished_replies(tmp_path):
    path = tmp_path / "reply.wav"
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(60)
    with wave.open(str(path)) as w:  # the standard library's reader accepts it
        assert w.getframerate() == RATE and w.getnchannels() == 1 and w.getsampwidth() == 2
        frames = w.getnframes()
    assert frames == 3 * (2 * RATE + RATE // 2)  # three replies of two seconds, each with its pause
    pcm, rate = read_wav(path)
    assert rate == RATE and len(pcm) == frames and np.abs(pcm[: RATE]).max() > 0.25


def test_each_commit_is_a_complete_file_and_memory_is_not_kept(tmp_path):
    stream = WavStream(tmp_path / "x.wav", 16000)
    for i in range(3):
        stream.append(np.full(1600, 0.5, np.float32))
        stream.commit()
        assert len(read_wav(tmp_path / "x.wav")[0]) == 1600 * (i + 1)
    stream.append(np.full(800, np.nan, np.float32))  # not committed yet: the file still says 4800 samples
    assert len(read_wav(tmp_path / "x.wav")[0]) == 4800
    stream.close()
    pcm, _ = read_wav(tmp_path / "x.wav")
    assert len(pcm) == 5600 and np.isfinite(pcm).all()


@pytest.mark.parametrize("where, words", [("missing/reply.wav", "does not exist"), ("", "is a folder")])
def test_output_path_is_checked_before_the_work(tmp_path, where, words):
    target = tmp_path / where if where else tmp_path
    assert words in output_problem(target)
    from app.ports.pipeline import WavOut

    with pytest.raises(AudioFileError, match=words):
        WavOut(target)
    assert output_problem(tmp_path / "fine.wav") is None and not (tmp_path / "fine.wav").exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        assert "Choose a folder you can write to" in output_problem(ro / "x.wav")
    finally:
        ro.chmod(0o700)


def test_say_out_into_a_missing_folder_fails_before_synthesis(tmp_path):
    env = {**os.environ, "HEARTH_HOME": str(tmp_path / "home")}
    cmd = [sys.executable, "-m", "app.cli", "say", "hello there", "--out", str(tmp_path / "nope" / "x.wav")]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "does not exist" in done.stderr and "Traceback" not in done.stderr
    assert "voice" not in done.stderr.lower()  # refused before any voice was loaded

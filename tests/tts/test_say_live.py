"""`hearth say` through real PortAudio into a private PulseAudio null sink, recorded from its monitor.
Skipped where pulseaudio / parec are not installed or cannot start."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pulse_env(tmp_path_factory):
    if not all(shutil.which(t) for t in ("pulseaudio", "pactl", "parec")):
        pytest.skip("pulseaudio tools are not installed")
    runtime = tmp_path_factory.mktemp("pulse-tts")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_")}
    env.update(XDG_RUNTIME_DIR=str(runtime), HOME=str(runtime))  # a private server, nobody else's
    started = subprocess.run(["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
                              "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=tts_null"],
                             env=env, capture_output=True, timeout=20)
    if started.returncode != 0 or subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        pytest.skip(f"pulseaudio could not start: {started.stderr.decode()[-200:]}")
    subprocess.run(["pactl", "set-default-sink", "tts_null"], env=env, check=True, timeout=10)
    yield env
    subprocess.run(["pulseaudio", "--kill"], env=env, timeout=10)


def test_say_plays_through_portaudio_to_a_virtual_speaker(pulse_env, tmp_path):
    from audio.wav import read_wav

    home = tmp_path / "home"
    (home / "config").mkdir(parents=True)
    (home / "config" / "settings.toml").write_text('[audio]\noutput_device = "pulse"\n')
    rec_path = tmp_path / "rec.wav"
    rec = subprocess.Popen(["parec", "--device=tts_null.monitor", "--file-format=wav", str(rec_path)], env=pulse_env)
    try:
        time.sleep(0.5)
        env = {**pulse_env, "HEARTH_HOME": str(home), "PYTHONPATH": str(ROOT)}
        run = subprocess.run([sys.executable, "-m", "app.cli", "say", "Hello there, this is a live test.",
                              "--model", "espeak"], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
        time.sleep(0.3)
    finally:
        rec.terminate()
        rec.wait(timeout=10)
    if run.returncode != 0 and "Could not open the speaker" in run.stderr:
        pytest.skip(f"no ALSA route to PulseAudio here: {run.stderr[-200:]}")
    assert run.returncode == 0, run.stderr[-1000:]
    pcm, _ = read_wav(rec_path)
    assert np.abs(pcm).max() > 0.2 and np.sqrt(np.mean(pcm**2)) > 0.01

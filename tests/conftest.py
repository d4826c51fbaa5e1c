"""Shared fixtures: tiny random-weight models built once per test session with scripts/tiny builders."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def _private_hearth_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads or writes the real user's settings, models or conversations (a test may set its own)."""
    if "HEARTH_HOME" not in os.environ or os.environ["HEARTH_HOME"].startswith(str(tmp_path_factory.getbasetemp())):
        monkeypatch.setenv("HEARTH_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where tiny models are built; HEARTH_TINY_DIR reuses a folder across runs."""
    env = os.environ.get("HEARTH_TINY_DIR")
    return Path(env) if env else tmp_path_factory.mktemp("tiny-models")


def _tiny(name: str, tiny_dir: Path) -> Path:
    from tiny import build

    return build(name, tiny_dir)


@pytest.fixture(scope="session")
def tiny_llm(tiny_dir: Path) -> Path:
    return _tiny("llm", tiny_dir)


@pytest.fixture(scope="session")
def tiny_vlm(tiny_dir: Path) -> Path:
    return _tiny("vlm", tiny_dir)


@pytest.fixture(scope="session")
def tiny_model(tiny_dir: Path):
    """``tiny_model("whisper")`` builds (once) and returns any registered tiny model's folder."""
    return lambda name: _tiny(name, tiny_dir)


@pytest.fixture(scope="session")
def pulse(tmp_path_factory: pytest.TempPathFactory):
    """A private PulseAudio server with a null sink (a virtual sound card: its monitor is the microphone). Yields
    the environment that points clients at it; skipped where pulseaudio cannot run."""
    if shutil.which("pulseaudio") is None or shutil.which("paplay") is None:
        pytest.skip("pulseaudio is not installed")
    runtime = tmp_path_factory.mktemp("pulse-runtime")
    env = {k: v for k, v in os.environ.items() if k not in ("PULSE_SERVER", "PULSE_SOURCE", "PULSE_SINK")}
    env.update(XDG_RUNTIME_DIR=str(runtime), HOME=str(runtime))  # a private server: other sessions are untouched
    cmd = ["pulseaudio", "--daemonize=yes", "--exit-idle-time=-1", "-n",
           "--load=module-native-protocol-unix", "--load=module-null-sink sink_name=hearth_null"]
    started = subprocess.run(cmd, env=env, capture_output=True, timeout=20)
    ok = subprocess.run(["pactl", "info"], env=env, capture_output=True, timeout=10).returncode == 0
    if started.returncode != 0 or not ok:
        pytest.skip(f"pulseaudio could not start: {started.stderr.decode()[-200:]}")
    for args in (["set-default-source", "hearth_null.monitor"], ["set-default-sink", "hearth_null"]):
        subprocess.run(["pactl", *args], env=env, check=True, timeout=10)
    yield env
    subprocess.run(["pulseaudio", "--kill"], env=env, timeout=10)

"""GUI test fixtures: offscreen Qt (tests/conftest.py sets QT_QPA_PLATFORM), a window over a fake session."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest

from app.policy import startup
from app.policy.load import ENV_VAR

from app.gui.bridge import Bridge
from app.gui.main_window import MainWindow
from app.config.settings import Settings, load_settings, save_settings
from tests.gui.fakes import FakeSession, FakeStore

INSTALLED = {"qwen3.5-4b", "qwen3.5-2b", "whisper-turbo", "kokoro"}


@dataclass
class Harness:
    window: MainWindow
    session: FakeSession
    bridge: Bridge
    saved: list[Settings]
    store: FakeStore

    def intents(self, *types: type) -> list[object]:
        """The intents sent, of these types (all when none given)."""
        return [i for i in self.session.intents if not types or isinstance(i, types)]


@pytest.fixture(autouse=True)
def _isolated_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    startup.reset_for_tests()  # no policy unless a test writes one
    yield
    startup.reset_for_tests()


@pytest.fixture
def write_policy(tmp_path, monkeypatch) -> Callable[[str], Path]:
    """``write_policy("camera_allowed = false")``: an organization policy (HEARTH_POLICY) for the next window."""

    def write(text: str) -> Path:
        path = tmp_path / "policy.toml"
        path.write_text(text)
        monkeypatch.setenv(ENV_VAR, str(path))
        startup.reset_for_tests()
        return path

    return write


@pytest.fixture
def make_harness(qtbot):
    """A window over a fake session, built when the test asks (after writing a policy, with its settings)."""
    windows: list[MainWindow] = []

    def make(settings: Settings = Settings(), saver=None) -> Harness:
        bridge = Bridge()
        session = FakeSession(bridge.post)
        saved: list[Settings] = []
        store = FakeStore(present=set(INSTALLED))
        window = MainWindow(session, bridge, settings, store=store,
                            save_settings=saver or (lambda new, base: saved.append(new)))
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        windows.append(window)
        return Harness(window, session, bridge, saved, store)

    yield make
    for window in windows:
        window.close()


@pytest.fixture
def harness(make_harness) -> Harness:
    return make_harness()


__all__ = ["Harness", "load_settings", "save_settings"]


@pytest.fixture(autouse=True)
def _patient_qtbot(monkeypatch):
    """Waits long enough for a loaded 2-core machine (a wait that succeeds returns at once either way)."""
    from pytestqt.qtbot import QtBot

    wait_until, wait_signal = QtBot.waitUntil, QtBot.waitSignal

    def patient_until(self, callback, *, timeout=30000):
        return wait_until(self, callback, timeout=timeout)

    def patient_signal(self, signal=None, *, timeout=30000, **kwargs):
        return wait_signal(self, signal, timeout=timeout, **kwargs)

    monkeypatch.setattr(QtBot, "waitUntil", patient_until)
    monkeypatch.setattr(QtBot, "waitSignal", patient_signal)

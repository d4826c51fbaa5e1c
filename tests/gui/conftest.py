"""GUI test fixtures: offscreen Qt (tests/conftest.py sets QT_QPA_PLATFORM), a window over a fake session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

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


@pytest.fixture
def harness(qtbot) -> Harness:
    bridge = Bridge()
    session = FakeSession(bridge.post)
    saved: list[Settings] = []
    store = FakeStore(present=set(INSTALLED))
    window = MainWindow(session, bridge, Settings(), save_settings=lambda new, base: saved.append(new), store=store)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield Harness(window, session, bridge, saved, store)
    window.close()


__all__ = ["Harness", "load_settings", "save_settings"]

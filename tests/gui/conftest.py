"""GUI test fixtures: offscreen Qt (tests/conftest.py sets QT_QPA_PLATFORM), a window over a fake session."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from app.gui.bridge import Bridge
from app.gui.main_window import MainWindow
from app.config.settings import Settings, load_settings, save_settings
from tests.gui.fakes import FakeSession


@dataclass
class Harness:
    window: MainWindow
    session: FakeSession
    bridge: Bridge
    saved: list[Settings]


@pytest.fixture(autouse=True)
def _isolated_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))


@pytest.fixture
def harness(qtbot) -> Harness:
    bridge = Bridge()
    session = FakeSession(bridge.post)
    saved: list[Settings] = []
    window = MainWindow(session, bridge, Settings(), save_settings=saved.append)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    yield Harness(window, session, bridge, saved)
    window.close()


__all__ = ["Harness", "load_settings", "save_settings"]

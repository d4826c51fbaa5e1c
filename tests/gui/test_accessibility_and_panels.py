"""Accessibility (names, keyboard, announcements), the latency chart's stage bars, memory panel, gui command."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QMenuBar,
    QScrollBar,
    QTabBar,
    QWidget,
)

from app.gui.first_run import FirstRunDialog, MissingModel
from app.gui.latency_chart import LatencyChart, Segment, barge_ins, nice_step, segments, summary
from app.gui.settings_dialog import SettingsDialog
from app.loop.events import LoopState, MemoryStats, MicLevel, Stage, StageMark, StateChanged, TurnTimeline
from app.config.settings import Settings
from models.base import Role
from tests.gui.fakes import FakeStore

CONTROLS = (QAbstractButton, QComboBox, QLineEdit, QAbstractSlider, QAbstractSpinBox)


def internal(c: QWidget) -> bool:
    """Parts of composite widgets (scroll bars, a combo's line edit, tab-bar arrows), named by their owner."""
    return isinstance(c, QScrollBar) or isinstance(c.parent(), (QComboBox, QAbstractSpinBox, QTabBar, QLineEdit, QMenuBar))


def unnamed_controls(root: QWidget) -> list[str]:
    return [f"{type(c).__name__} {getattr(c, 'text', lambda: '')()!r}" for c in root.findChildren(QWidget)
            if isinstance(c, CONTROLS) and not internal(c) and not c.accessibleName()]


def test_every_control_has_an_accessible_name(harness, qtbot):
    assert unnamed_controls(harness.window) == []
    dialog = SettingsDialog(Settings(), list_devices=False)
    qtbot.addWidget(dialog)
    assert unnamed_controls(dialog) == []
    first = FirstRunDialog(FakeStore(), [MissingModel(Role.VLM, "qwen3.5-4b", 3.0)])
    qtbot.addWidget(first)
    assert unnamed_controls(first) == []


def test_the_main_controls_are_reachable_with_tab(harness, qtbot):
    w = harness.window
    w.compose.text.setFocus()
    reached = set()
    for _ in range(60):
        reached.add(w.focusWidget())
        w.focusNextChild()
    for needed in (w.compose.text, w.compose.send_button, w.talk.talk, w.talk.hands_free, w.picker.chat,
                   w.picker.voice, w.preview.screen_button):
        assert needed in reached, needed.accessibleName()


def test_state_changes_are_announced(harness, qtbot):
    w = harness.window
    harness.bridge.post(StateChanged(LoopState.SPEAKING, 1))
    qtbot.waitUntil(lambda: w.talk.state.label.text() == "Speaking")
    assert w.talk.state.accessibleDescription() == "Hearth is speaking"
    harness.bridge.post(StateChanged(LoopState.THINKING, 1))
    qtbot.waitUntil(lambda: w.talk.state.accessibleDescription() == "Hearth is thinking")


def test_hands_free_toggle_sends_the_intent(harness, qtbot):
    from app.loop.events import SetHandsFree

    w = harness.window
    assert w.talk.hands_free.isChecked()  # default settings listen hands-free
    assert harness.intents(SetHandsFree) == []  # reflecting the setting sends nothing
    qtbot.mouseClick(w.talk.hands_free, Qt.MouseButton.LeftButton)
    assert harness.intents(SetHandsFree) == [SetHandsFree(False)]


def timeline(turn=1, cold=0.0, barge=None):
    stages = [(Stage.END_OF_SPEECH, 10.0), (Stage.FINAL_TRANSCRIPT, 10.2), (Stage.FIRST_TOKEN, 10.5),
              (Stage.FIRST_CLAUSE, 10.7), (Stage.FIRST_AUDIO, 10.8), (Stage.REPLY_DONE, 12.0)]
    marks = [StageMark(s, t) for s, t in stages] + ([StageMark(Stage.BARGE_IN, barge)] if barge else [])
    return TurnTimeline(turn, tuple(marks), cold_load_s=cold)


def test_timeline_becomes_stage_segments():
    segs = segments(timeline(barge=11.1))
    assert [s.end_stage for s in segs] == [Stage.FINAL_TRANSCRIPT, Stage.FIRST_TOKEN, Stage.FIRST_CLAUSE,
                                           Stage.FIRST_AUDIO, Stage.REPLY_DONE]
    assert segs[0] == Segment(Stage.FINAL_TRANSCRIPT, 0.0, segs[0].end) and abs(segs[0].end - 0.2) < 1e-9
    assert abs(segs[-1].start - 0.8) < 1e-9 and abs(segs[-1].end - 2.0) < 1e-9
    assert [round(b, 6) for b in barge_ins(timeline(barge=11.1))] == [1.1]
    typed = TurnTimeline(2, (StageMark(Stage.FIRST_TOKEN, 5.0), StageMark(Stage.REPLY_DONE, 5.5)))
    assert [(s.start, s.end) for s in segments(typed)] == [(0.0, 0.5)]
    assert nice_step(2.0) == 0.5 and nice_step(0.3) == 0.1
    assert "model loading took 3.0 s" in summary(timeline(cold=3.0))


def test_chart_keeps_the_latest_turns_and_draws_them(qtbot):
    chart = LatencyChart()
    qtbot.addWidget(chart)
    chart.resize(360, 200)
    for turn in range(1, 9):
        chart.add(timeline(turn, cold=1.5 if turn == 1 else 0.0, barge=11.5 if turn == 8 else None))
    assert [t.turn_id for t in chart.timelines] == [3, 4, 5, 6, 7, 8]
    chart.add(timeline(8))  # an updated timeline replaces the old one
    assert [t.turn_id for t in chart.timelines] == [3, 4, 5, 6, 7, 8] and not barge_ins(chart.timelines[-1])
    assert chart.accessibleDescription().startswith("Turn 8:")
    image = chart.grab().toImage()
    think = image.pixelColor(chart.label_w + 2 + int((chart.width() - chart.label_w) * 0.3), 10)
    assert image.width() == 360 and think.name() != image.pixelColor(2, image.height() - 2).name()


def test_memory_panel_and_mic_meter(harness, qtbot):
    w = harness.window
    harness.bridge.post(MemoryStats(tokens=1000, bytes=1_000_000, bf16_bytes=4_000_000, tokens_that_fit=3000))
    harness.bridge.post(MicLevel(-30.0, voice=True))
    qtbot.waitUntil(lambda: w.memory.tokens.text() == "1,000")
    assert w.memory.ratio.text() == "4.0× smaller" and w.memory.room.text() == "3,000 more tokens"
    assert w.memory.fill.value() == 250
    assert abs(w.talk.meter.level - 0.5) < 1e-9 and w.talk.meter.voice


def test_gui_is_the_default_command():
    from app.commands import commands

    assert "gui" in commands()


def test_without_a_display_plain_hearth_opens_the_terminal_chat(monkeypatch, capsys):
    from app.cli import main
    from app.commands import commands

    monkeypatch.delenv("QT_QPA_PLATFORM", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    ran = []
    monkeypatch.setattr(type(commands()["chat"]), "run", lambda self, args: ran.append(args.prompt) or 0)
    assert main([]) == 0 and ran == [None]
    assert "Opening the terminal chat instead" in capsys.readouterr().err
    assert main(["gui", "--no-fallback"]) == 2 and ran == [None]

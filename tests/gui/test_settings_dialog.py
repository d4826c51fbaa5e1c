"""Settings round-trip through the dialog, the file, and the window (theme, model swaps, saving)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QLabel

from app.gui.theme import LARGE_POINTS, NORMAL_POINTS
from app.gui.settings_dialog import DEFAULT_DEVICE, DeviceLists, SettingsDialog
from app.loop.events import SwapModel
from app.config.settings import ListenMode, MemoryPreset, Settings, UiSettings, load_settings, save_settings
from models.base import Role

DEVICES = DeviceLists(("Built-in Microphone", "USB Headset"), ("Built-in Speakers", "USB Headset"))


def test_defaults_round_trip_unchanged(qtbot):
    dialog = SettingsDialog(Settings(), devices=DEVICES)
    qtbot.addWidget(dialog)
    assert dialog.settings() == Settings()
    assert dialog.input.currentText() == DEFAULT_DEVICE


def test_edits_round_trip_through_the_dialog_and_the_file(qtbot, tmp_path):
    dialog = SettingsDialog(Settings(), devices=DEVICES)
    qtbot.addWidget(dialog)
    dialog.input.setCurrentIndex(dialog.input.findText("USB Headset"))
    dialog.output.setEditText("My custom sink")
    dialog.mode.setCurrentIndex(dialog.mode.findData(ListenMode.PUSH_TO_TALK))
    dialog.vad.setValue(80)
    dialog.pause.setValue(1200)
    dialog.echo.setChecked(False)
    dialog.chat.setCurrentIndex(dialog.chat.findData("qwen3.5-2b"))
    dialog.stt.setEditText("/models/my-whisper")
    dialog.tts.setCurrentIndex(dialog.tts.findData("espeak"))
    dialog.preset.setCurrentIndex(dialog.preset.findData(MemoryPreset.GB8))
    dialog.offline.setChecked(True)
    dialog.voice.setEditText("bf_emma")
    dialog.speed.setValue(1.3)
    dialog.volume.setValue(40)
    dialog.large.setChecked(True)
    dialog.contrast.setChecked(True)
    got = dialog.settings()
    assert (got.audio.input_device, got.audio.output_device) == ("USB Headset", "My custom sink")
    assert got.audio.mode is ListenMode.PUSH_TO_TALK and got.audio.vad_sensitivity == 0.8
    assert got.audio.end_pause_ms == 1200 and not got.audio.echo_cancellation
    assert (got.models.chat, got.models.stt, got.models.tts, got.models.offline) == (
        "qwen3.5-2b", "/models/my-whisper", "espeak", True)
    assert got.memory.preset is MemoryPreset.GB8
    assert (got.voice.voice, got.voice.speed, got.voice.volume) == ("bf_emma", 1.3, 0.4)
    assert got.ui == UiSettings(large_text=True, high_contrast=True)
    path = save_settings(got, tmp_path / "settings.toml")
    loaded = load_settings(path)
    assert loaded.problems == () and loaded.settings == got
    again = SettingsDialog(loaded.settings, devices=DEVICES)
    qtbot.addWidget(again)
    assert again.settings() == got  # reopening shows exactly what was saved


def test_without_audio_devices_the_device_fields_are_free_text(qtbot):
    s = Settings()
    s = replace(s, audio=replace(s.audio, input_device="hw:1,0"))
    dialog = SettingsDialog(s, devices=None, list_devices=False)
    qtbot.addWidget(dialog)
    assert dialog.input.isEditable() and dialog.input.currentText() == "hw:1,0"
    assert dialog.settings() == s


def test_window_applies_saves_and_swaps_models(harness, qtbot):
    w = harness.window
    app = QApplication.instance()
    new = replace(Settings(), models=replace(Settings().models, chat="qwen3.5-2b"),
                  ui=UiSettings(large_text=True, high_contrast=True))
    w.apply_settings(new)
    try:
        assert harness.saved == [new]
        assert [i for i in harness.session.intents if isinstance(i, SwapModel)] == [SwapModel(Role.VLM, "qwen3.5-2b")]
        assert w.picker.chat.currentData() == "qwen3.5-2b"
        assert app.font().pointSize() == LARGE_POINTS
        assert app.palette().color(QPalette.ColorRole.Window).name() == "#000000"
        assert w.large_action.isChecked() and w.contrast_action.isChecked()
        w.large_action.setChecked(False)  # the View menu toggles go through the same path
        assert harness.saved[-1].ui == UiSettings(large_text=False, high_contrast=True)
        assert app.font().pointSize() == NORMAL_POINTS
    finally:
        w.apply_settings(Settings())
    assert app.palette().color(QPalette.ColorRole.Window).name() != "#000000"


def test_hands_free_toggle_applies_live_and_is_remembered(harness, qtbot):
    from PySide6.QtCore import Qt

    from app.loop.events import SetHandsFree

    w = harness.window
    qtbot.mouseClick(w.talk.hands_free, Qt.MouseButton.LeftButton)
    assert harness.intents(SetHandsFree) == [SetHandsFree(False)]
    assert harness.saved[-1].audio.mode is ListenMode.PUSH_TO_TALK
    assert not any("next time" in label.text() for label in w.conversation.findChildren(QLabel))
    s = harness.saved[-1]
    w.apply_settings(replace(s, audio=replace(s.audio, mode=ListenMode.HANDS_FREE)))  # from the dialog
    assert w.talk.hands_free.isChecked() and harness.session.intents[-1] == SetHandsFree(True)
    assert len(harness.saved) == 2

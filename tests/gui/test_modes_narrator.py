"""Modes and the workspace (SetMode → ModeChanged or a refusal), narrator mode's narration toggle, the narrator
settings, and the announcements of state changes."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtGui import QKeySequence

from app.config.settings import Settings, Verbosity
from app.engine.messages import ErrorEvent
from app.gui.mode_panel import ModePanel, ModeOption
from app.gui.settings_dialog import SettingsDialog
from app.loop.events import LoopState, ModeChanged, NarrationChanged, SetMode, SetNarration, StateChanged

OPTIONS = [ModeOption("assistant", "Assistant", False), ModeOption("coding", "Coding assistant", True),
           ModeOption("narrator", "Narrator", False)]


def pick(w, name: str) -> None:
    combo = w.mode.combo
    combo.setCurrentIndex(combo.findData(name))
    combo.activated.emit(combo.currentIndex())


def test_the_picker_lists_the_registered_modes_by_title(harness):
    combo = harness.window.mode.combo
    names = [combo.itemData(i) for i in range(combo.count())]
    assert {"assistant", "coding", "narrator"} <= set(names)
    assert combo.itemText(names.index("coding")) == "Coding assistant"
    assert combo.currentData() == "assistant"
    assert not harness.window.mode.folder_button.isVisible()  # the assistant works on no folder


def test_choosing_coding_asks_for_a_folder_then_switches_and_remembers(harness, qtbot, tmp_path):
    w = harness.window
    asked = []
    w.mode._pick = lambda _parent, start: asked.append(start) or str(tmp_path)
    pick(w, "coding")
    assert asked == [""] and harness.intents(SetMode) == [SetMode("coding", str(tmp_path))]
    qtbot.waitUntil(lambda: w.mode.current == "coding")
    assert w.mode.status.text() == f"Mode: Coding assistant, working in {tmp_path} with 2 tools."
    assert w.mode.folder_label.isVisible() and w.mode.folder_button.isVisible()
    assert w.announcer.history.count(w.mode.status.text()) == 1
    assert (w.settings.conversation.mode, w.settings.workspace.folder) == ("coding", str(tmp_path))
    assert harness.saved[-1] == w.settings
    other = tmp_path / "other"
    other.mkdir()
    w.mode._pick = lambda _parent, start: str(other)
    w.mode.folder_button.click()
    assert harness.intents(SetMode)[-1] == SetMode("coding", str(other))
    qtbot.waitUntil(lambda: w.settings.workspace.folder == str(other))


def test_no_folder_chosen_means_no_switch(harness):
    w = harness.window
    w.mode._pick = lambda _parent, _start: ""
    pick(w, "coding")
    assert harness.intents(SetMode) == []
    assert w.mode.combo.currentData() == "assistant"
    assert "works on a folder" in w.mode.status.text()


def test_a_refused_switch_goes_back_and_says_why(harness, qtbot):
    w, session = harness.window, harness.session
    why = "The narrator mode is turned off by your organization's policy; allowed: assistant."
    session._conversation_intents[SetMode] = lambda _i: session.sink(ErrorEvent(why))
    pick(w, "narrator")
    qtbot.waitUntil(lambda: w.banner.current == why)
    assert w.mode.combo.currentData() == "assistant" and w.mode.pending is None
    assert w.mode.status.text() == f"Still in Assistant: {why}"
    assert w.settings.conversation.mode == "assistant" and harness.saved == []
    assert f"Problem: {why}" in w.announcer.history


def test_narrator_mode_shows_the_narration_toggle_with_its_shortcut(harness, qtbot):
    w = harness.window
    assert not w.talk.narrate.isVisibleTo(w) and not w.narrate_action.isEnabled()
    assert w.narrate_action.shortcut() == QKeySequence("Ctrl+Shift+N")
    pick(w, "narrator")
    qtbot.waitUntil(lambda: w.mode.current == "narrator")
    assert w.talk.narrate.isVisibleTo(w) and w.narrate_action.isEnabled()
    assert w.talk.narrate.isChecked()  # narrator.narrate_changes defaults to on
    w.narrate_action.trigger()
    assert harness.intents(SetNarration) == [SetNarration(False)]
    assert not w.talk.narrate.isChecked() and w.announcer.last == "Narration off."
    assert w.settings.narrator.narrate_changes is False and harness.saved[-1] == w.settings
    qtbot.waitUntil(lambda: w._narration_said is False)
    assert list(w.announcer.history).count("Narration off.") == 1  # the session's confirmation is not said twice
    harness.bridge.post(NarrationChanged(True))  # e.g. turned on by voice
    qtbot.waitUntil(lambda: w.talk.narrate.isChecked())
    assert w.announcer.last == "Narration on." and harness.intents(SetNarration) == [SetNarration(False)]


def test_leaving_narrator_mode_hides_the_toggle(harness, qtbot):
    w = harness.window
    harness.bridge.post(ModeChanged("narrator", "Narrator", "", ()))
    qtbot.waitUntil(lambda: w.narrate_action.isEnabled())
    harness.bridge.post(ModeChanged("assistant", "Assistant", "", ()))
    qtbot.waitUntil(lambda: not w.narrate_action.isEnabled())
    assert not w.talk.narrate.isVisibleTo(w)


def test_the_narrator_settings_round_trip(qtbot):
    dialog = SettingsDialog(Settings(), list_devices=False)
    qtbot.addWidget(dialog)
    dialog.verbosity.setCurrentIndex(dialog.verbosity.findData(Verbosity.DETAILED))
    dialog.narrate.setChecked(False)
    dialog.earcons.setChecked(False)
    dialog.narrator_speed.setValue(1.4)
    assert dialog.speed.value() == 1.4  # one speaking rate (voice.speed), shown in both tabs
    got = dialog.settings()
    assert (got.narrator.verbosity, got.narrator.narrate_changes, got.narrator.earcons) == (Verbosity.DETAILED,
                                                                                            False, False)
    assert got.voice.speed == 1.4
    again = SettingsDialog(got, list_devices=False)
    qtbot.addWidget(again)
    assert again.settings() == got


def test_narrator_settings_from_the_dialog_apply_live_or_next_time(harness, qtbot):
    w = harness.window
    narrator = replace(w.settings.narrator, narrate_changes=False, verbosity=Verbosity.DETAILED)
    w.apply_settings(replace(w.settings, narrator=narrator))
    assert harness.intents(SetNarration) == [SetNarration(False)]  # live
    assert any("narrator" in n.text() for n in w.conversation.notes())  # verbosity: next start


def test_every_state_change_is_announced_in_words(harness, qtbot):
    w = harness.window
    for state in (LoopState.THINKING, LoopState.SPEAKING, LoopState.TRANSCRIBING):
        harness.bridge.post(StateChanged(state, 1))
    qtbot.waitUntil(lambda: w.announcer.last == "Hearth is transcribing")
    said = list(w.announcer.history)
    assert "Hearth is thinking" in said and "Hearth is speaking" in said
    assert w.talk.state.label.text() == "Transcribing"  # words, not only the dot's colour


def test_a_panel_without_allowed_modes_says_so(qtbot):
    panel = ModePanel("assistant", "", options=[])
    qtbot.addWidget(panel)
    assert not panel.combo.isEnabled() and "allows no mode" in panel.status.text()


def test_the_panel_remembers_a_folder_for_later(qtbot, tmp_path):
    panel = ModePanel("coding", str(tmp_path), options=OPTIONS, pick_folder=lambda _p, _s: "")
    qtbot.addWidget(panel)
    sent = []
    panel.intent.connect(sent.append)
    panel.choose("coding")
    assert sent == []  # already there, same folder
    panel.choose("assistant")
    assert sent == [SetMode("assistant", "")]


def test_the_last_announcement_can_be_heard_again(harness, qtbot):
    w = harness.window
    harness.bridge.post(StateChanged(LoopState.THINKING, 1))
    qtbot.waitUntil(lambda: w.announcer.last == "Hearth is thinking")
    count = list(w.announcer.history).count("Hearth is thinking")
    w.repeat_announcement()  # Ctrl+Shift+L
    assert list(w.announcer.history).count("Hearth is thinking") == count + 1

"""The window does not pretend: real state without a model or a microphone, messages that cannot be answered
say why where they were typed, model pickers show what is installed, the first-run dialog remembers."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from app.engine.messages import ErrorEvent, ModelLoaded
from app.gui.bridge import Bridge, NullSession
from app.gui.conversation_view import Who
from app.gui.first_run import FirstRunDialog, find_missing
from app.gui.launch import first_run, for_the_app, mic_problem
from app.gui.main_window import MainWindow
from app.gui.model_picker import model_choices
from app.gui.settings_dialog import SettingsDialog
from app.loop.events import PushToTalk, SendText, SwapModel, UserSaid
from app.config.settings import Settings
from models.base import Role
from tests.gui.fakes import FakeSession, FakeStore

ALL = {"qwen3.5-4b", "whisper-turbo", "kokoro"}


def window(qtbot, session=None, store=None, missing=()):
    bridge = Bridge()
    session = session or FakeSession(bridge.post)
    if hasattr(session, "sink"):
        session.sink = bridge.post
    w = MainWindow(session, bridge, Settings(), store=store or FakeStore(present=set(ALL)), missing=missing)
    qtbot.addWidget(w)
    w.show()
    return w


# ------------------------------------------------------------------------------------------------- state
def test_before_the_model_loads_the_window_says_so_not_ready(qtbot):
    w = window(qtbot)
    assert w.talk.state.label.text() == "Loading the model…"
    w.bridge.post(ModelLoaded(Role.VLM, "qwen3.5-4b", 1.0))
    qtbot.waitUntil(lambda: w.talk.state.label.text() == "Ready")  # a model and a microphone: really ready


def test_without_a_microphone_the_talk_controls_are_off_and_say_why(qtbot):
    session = FakeSession(lambda e: None)
    session.can_hear = False
    w = window(qtbot, session)
    w.bridge.post(ModelLoaded(Role.VLM, "qwen3.5-4b", 1.0))
    qtbot.waitUntil(lambda: w.talk.state.label.text() == "Ready to type · no microphone")
    assert not w.talk.talk.isEnabled() and not w.talk.hands_free.isEnabled()
    assert "No microphone" in w.talk.talk.accessibleDescription()
    w.conversation.setFocus()
    qtbot.keyPress(w.conversation, Qt.Key.Key_Space)
    qtbot.keyRelease(w.conversation, Qt.Key.Key_Space)
    assert [i for i in session.intents if isinstance(i, PushToTalk)] == []  # nothing pretends to listen
    assert "--" not in w.conversation.welcome.text() and "Type a message" in w.conversation.welcome.text()
    assert "Space" not in w.compose.text.placeholderText()


def test_microphone_messages_name_no_terminal_flags():
    from audio.types import DeviceNotFound

    text = mic_problem(DeviceNotFound("No microphone found. Plug one in, or pass an audio file with --in FILE.wav."),
                       configured="")
    assert "--in" not in text and "No microphone found" in text and "Typing" in text
    assert for_the_app("Could not open the speaker (x). Check the output device in Settings, or use --out "
                       "FILE.wav.") == "Could not open the speaker (x). Check the output device in Settings."


def test_without_a_session_a_typed_message_says_why_and_comes_back(qtbot):
    w = window(qtbot, NullSession("Hearth could not start its conversation engine (boom)."))
    assert w.talk.state.label.text() == "No chat model"
    w.compose.text.setText("hello?")
    w.compose.send()
    user, problem = w.conversation.messages()
    assert user.status == "not sent" and problem.who is Who.PROBLEM and "(boom)" in problem.text
    assert w.compose.text.text() == "hello?"


def test_a_chat_model_that_fails_to_load_is_shown_and_explains_the_unanswered_turn(qtbot):
    session = FakeSession(lambda e: None)
    w = window(qtbot, session)
    session.handle = lambda intent: session.intents.append(intent)
    w.bridge.post(ErrorEvent("Model qwen3.5-4b is not installed. Run `hearth models pull qwen3.5-4b`."))
    qtbot.waitUntil(lambda: w.talk.state.label.text() == "No chat model")
    assert "qwen3.5-4b could not be loaded" in w.picker.status.text()
    w.compose.text.setText("are you there")
    w.compose.send()
    sent = [i for i in session.intents if isinstance(i, SendText)][0]
    w.bridge.post(UserSaid(3, "are you there", message_id=sent.message_id))
    w.bridge.post(ErrorEvent("No chat model is loaded yet; load one first (e.g. `/model NAME`).", turn_id=3))
    qtbot.waitUntil(lambda: len(w.conversation.messages()) == 2)
    problem = w.conversation.messages()[1]
    assert "No chat model is loaded yet" in problem.text and "Models" in problem.text and "/model" not in problem.text
    assert w.compose.text.text() == "are you there"


def test_a_configured_model_that_is_not_installed_is_missing_from_the_start(qtbot):
    w = window(qtbot, missing=("qwen3.5-4b",))
    assert w.talk.state.label.text() == "No chat model" and "not installed" in w.picker.status.text()


# ------------------------------------------------------------------------------------------------ pickers
def test_installed_models_come_first_and_are_marked():
    store = FakeStore(present={"qwen3.5-2b", "my-imported-llm", "kokoro"})
    chat = model_choices((Role.VLM, Role.LLM), store.installed())
    assert [(c.name, c.installed) for c in chat[:2]] == [("my-imported-llm", True), ("qwen3.5-2b", True)]
    assert "installed" in chat[0].label
    rest = chat[2:]
    assert rest and all(not c.installed and "download…" in c.label for c in rest)
    assert "qwen3.5-2b" not in [c.name for c in rest]
    voices = model_choices((Role.TTS,), store.installed())
    assert [(c.name, c.installed) for c in voices] == [("kokoro", True), ("espeak", True)]


def test_choosing_a_model_to_download_offers_it_and_swaps_once_installed(qtbot):
    store = FakeStore(present=set(ALL))
    w = window(qtbot, store=store)
    session = w.session
    combo = w.picker.chat
    assert combo.itemText(0).startswith("qwen3.5-4b") and "installed" in combo.itemText(0)
    seen = []

    def decline():
        dialog = QApplication.activeModalWidget()
        seen.append((type(dialog), dialog.remaining()))
        dialog.reject()

    QTimer.singleShot(0, decline)
    combo.setCurrentIndex(combo.findData("qwen3.5-9b"))
    combo.activated.emit(combo.currentIndex())
    assert seen == [(FirstRunDialog, ["qwen3.5-9b"])]
    assert [i for i in session.intents if isinstance(i, SwapModel)] == [] and combo.currentData() == "qwen3.5-4b"
    assert "not installed" in w.picker.status.text()

    def download():
        QApplication.activeModalWidget().download_button.click()

    QTimer.singleShot(0, download)
    combo.setCurrentIndex(combo.findData("qwen3.5-9b"))
    combo.activated.emit(combo.currentIndex())
    assert "qwen3.5-9b" in store.present
    assert [i for i in session.intents if isinstance(i, SwapModel)] == [SwapModel(Role.VLM, "qwen3.5-9b")]
    assert "installed" in combo.itemText(combo.findData("qwen3.5-9b"))


def test_settings_list_installed_models_first_and_a_declined_download_keeps_the_old_model(qtbot, harness):
    w = harness.window
    dialog = SettingsDialog(Settings(), list_devices=False, choices=w.model_choices)
    qtbot.addWidget(dialog)
    last = dialog.chat.count() - 1
    assert "installed" in dialog.chat.itemText(0) and "download…" in dialog.chat.itemText(last)
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().reject())
    chosen = dialog.settings()
    from dataclasses import replace

    kept = w._installable(replace(chosen, models=replace(chosen.models, chat="qwen3.5-9b")))
    assert kept.models.chat == "qwen3.5-4b"


# ---------------------------------------------------------------------------------------------- first run
def test_continue_without_is_remembered(qtbot):
    opened = []

    def dismiss():
        dialog = QApplication.activeModalWidget()
        opened.append(dialog)
        dialog.skip_button.click()

    saved = []
    QTimer.singleShot(0, dismiss)
    save = lambda new, base: saved.append((new, base))  # noqa: E731
    missing, settings = first_run(FakeStore(present={"kokoro"}), Settings(), save)
    assert len(opened) == 1 and missing == ["qwen3.5-4b", "whisper-turbo"]
    assert settings.ui.first_run_done and saved == [(settings, Settings())]  # in settings, not a marker file
    QTimer.singleShot(0, lambda: opened.append(QApplication.activeModalWidget()))
    missing, _ = first_run(FakeStore(present={"kokoro"}), settings, save)  # the next launch
    qtbot.wait(20)
    assert opened[1:] == [None] and missing == ["qwen3.5-4b", "whisper-turbo"]


def test_cancel_is_shown_only_while_downloading(qtbot):
    gate = threading.Event()
    store = FakeStore(present={"kokoro"}, gate=gate)
    dialog = FirstRunDialog(store, find_missing(store, Settings()))
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.cancel_button.isVisible()
    assert "4.6\u00a0GB" in dialog.intro.text()  # never wrapped between the number and its unit
    dialog.download_button.click()
    assert dialog.cancel_button.isVisible() and dialog.cancel_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: dialog.result() == FirstRunDialog.DialogCode.Accepted, timeout=10000)
    assert not dialog.cancel_button.isVisible()


def test_every_failure_is_reported_not_only_the_last(qtbot):
    store = FakeStore(present={"kokoro"}, fail={"qwen3.5-4b": "can't reach the hub", "whisper-turbo": "disk full"})
    dialog = FirstRunDialog(store, find_missing(store, Settings()))
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.download_button.isEnabled(), timeout=10000)
    status = dialog.status.text()
    assert "qwen3.5-4b: can't reach the hub" in status and "whisper-turbo: disk full" in status
    assert "2 models could not be installed" in status and dialog.isVisible()
    assert not dialog.cancel_button.isVisible()


def test_a_failed_load_named_by_the_engine_marks_that_model_only(qtbot):
    from app.engine.messages import ModelLoadFailed

    session = FakeSession(lambda e: None)
    w = window(qtbot, session)
    # three loads pending (brain, hearing, voice): a message naming none of them could not be attributed by guessing
    message = "The model folder is damaged (config.json missing)."
    w.bridge.post(ModelLoadFailed(Role.VLM, "qwen3.5-4b", message))
    w.bridge.post(ErrorEvent(message))
    qtbot.waitUntil(lambda: w.talk.state.label.text() == "No chat model")
    assert "qwen3.5-4b could not be loaded" in w.picker.status.text()
    assert w.picker.status.text() == "qwen3.5-4b could not be loaded (see the message above)."
    assert w.picker._pending == {Role.STT: "whisper-turbo", Role.TTS: "kokoro"}  # still loading
    assert w.banner.current == message

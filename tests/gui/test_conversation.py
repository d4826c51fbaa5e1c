"""The window over a fake session: push-to-talk, partial transcripts, typed turns, model swap, errors."""

from __future__ import annotations

import threading

from PySide6.QtCore import Qt

from app.engine.messages import ErrorEvent, TranscriptEvent
from app.gui.conversation_view import Who
from app.loop.events import LoopState, PushToTalk, SendText, StateChanged, SwapModel
from models.base import ImageInput, Role


def replies(window):
    return [m.text for m in window.conversation.messages() if m.who is Who.ASSISTANT]


def test_push_to_talk_button_drives_the_session_and_the_reply_appears(harness, qtbot):
    w, session = harness.window, harness.session
    qtbot.mousePress(w.talk.talk, Qt.MouseButton.LeftButton)
    assert [type(i) for i in harness.intents(PushToTalk, SendText)] == [PushToTalk]
    assert session.intents[-1].pressed and w.talk.talking
    qtbot.mouseRelease(w.talk.talk, Qt.MouseButton.LeftButton)
    assert [i.pressed for i in session.intents if isinstance(i, PushToTalk)] == [True, False]
    qtbot.waitUntil(lambda: replies(w) == [session.reply])
    users = [m for m in w.conversation.messages() if m.who is Who.USER]
    assert [(m.text, m.partial, m.turn_id) for m in users] == [(session.spoken, False, session.turn)]
    assert w.talk.state.state is LoopState.LISTENING


def test_holding_space_talks_unless_typing_and_ctrl_space_talks_anywhere(harness, qtbot):
    w, session = harness.window, harness.session
    w.conversation.setFocus()
    qtbot.keyPress(w.conversation, Qt.Key.Key_Space)
    qtbot.keyPress(w.conversation, Qt.Key.Key_Space)  # a second press while held changes nothing
    qtbot.keyRelease(w.conversation, Qt.Key.Key_Space)
    assert [i.pressed for i in session.intents if isinstance(i, PushToTalk)] == [True, False]
    qtbot.waitUntil(lambda: len(replies(w)) == 1)
    w.compose.text.setFocus()
    qtbot.keyClick(w.compose.text, Qt.Key.Key_Space)  # typing a space is just a space
    assert w.compose.text.text() == " "
    assert len([i for i in session.intents if isinstance(i, PushToTalk)]) == 2
    qtbot.keyPress(w.compose.text, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert w.talk.talking
    qtbot.keyRelease(w.compose.text, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    assert [i.pressed for i in session.intents if isinstance(i, PushToTalk)] == [True, False, True, False]
    assert w.compose.text.text() == " "


def test_partial_transcripts_are_muted_and_replaced_by_the_final_one(harness, qtbot):
    w, bridge = harness.window, harness.bridge

    def speak():
        bridge.post(StateChanged(LoopState.TRANSCRIBING, 7))
        bridge.post(TranscriptEvent(7, "turn on", partial=True, audio_seconds=0.5))
        bridge.post(TranscriptEvent(7, "turn on the", partial=True, audio_seconds=0.8))

    t = threading.Thread(target=speak)
    t.start()
    t.join()
    qtbot.waitUntil(lambda: [m.text for m in w.conversation.messages()] == ["turn on the"])
    bubble = w.conversation.spoken_bubble(7)
    assert bubble.partial and bubble.label.property("partial") == "true"
    assert "still listening" in bubble.accessibleName()
    assert w.talk.state.label.text() == "Transcribing"
    bridge.post(TranscriptEvent(7, "turn on the lights", partial=False, audio_seconds=1.0))
    qtbot.waitUntil(lambda: not w.conversation.messages()[0].partial)
    shown = w.conversation.messages()
    assert [(m.text, m.partial, m.turn_id) for m in shown] == [("turn on the lights", False, 7)]
    assert bubble.label.property("partial") == "false"


def test_an_empty_final_transcript_removes_the_partial_bubble(harness, qtbot):
    w, bridge = harness.window, harness.bridge
    bridge.post(TranscriptEvent(8, "mm", partial=True, audio_seconds=0.3))
    qtbot.waitUntil(lambda: len(w.conversation.messages()) == 1)
    bridge.post(TranscriptEvent(8, " ", partial=False, audio_seconds=0.4))
    qtbot.waitUntil(lambda: w.conversation.messages() == [])


def test_typed_message_with_an_attached_frame(harness, qtbot):
    import numpy as np

    w, session = harness.window, harness.session
    w.preview.show_frame(np.full((40, 60, 3), 200, np.uint8))
    qtbot.mouseClick(w.preview.attach_button, Qt.MouseButton.LeftButton)
    assert "captured frame 60×40" in w.compose.attached.text()
    qtbot.keyClicks(w.compose.text, "what is this")
    qtbot.keyClick(w.compose.text, Qt.Key.Key_Return)
    sent = [i for i in session.intents if isinstance(i, SendText)]
    assert len(sent) == 1 and sent[0].text == "what is this" and sent[0].images[0].rgb.shape == (40, 60, 3)
    assert w.compose.text.text() == "" and w.compose.images == ()
    qtbot.waitUntil(lambda: replies(w) == [session.reply])
    users = [m for m in w.conversation.messages() if m.who is Who.USER]
    assert len(users) == 1 and users[0].turn_id is not None  # the pending bubble was confirmed, not duplicated
    assert w.conversation.user_bubble(users[0].turn_id).images.count() >= 1


def test_model_swap_keeps_the_conversation(harness, qtbot):
    w, session = harness.window, harness.session
    for text in ("first question", "second question"):
        w.compose.text.setText(text)
        w.compose.send()
        qtbot.waitUntil(lambda: len(replies(w)) == (1 if text.startswith("first") else 2))
    before = w.conversation.messages()
    combo = w.picker.chat
    combo.setCurrentIndex(combo.findData("qwen3.5-2b"))
    combo.activated.emit(combo.currentIndex())
    assert session.intents[-1] == SwapModel(Role.VLM, "qwen3.5-2b")
    assert "conversation is kept" in w.picker.status.text()
    qtbot.waitUntil(lambda: "qwen3.5-2b ready" in w.picker.status.text())
    assert w.conversation.messages() == before
    w.compose.text.setText("third question")
    w.compose.send()
    qtbot.waitUntil(lambda: len(replies(w)) == 3)
    assert [m.text for m in w.conversation.messages()][:4] == [m.text for m in before]


def test_a_turn_that_cannot_be_answered_says_why_inline_and_the_text_comes_back(harness, qtbot):
    from app.loop.events import UserSaid

    w, session = harness.window, harness.session
    session.handle = lambda intent: session.intents.append(intent)  # this session never answers by itself
    w.compose.text.setText("please remember this")
    w.compose.send()
    sent = harness.intents(SendText)[0]
    assert w.compose.text.text() == "" and sent.message_id
    harness.bridge.post(UserSaid(5, "please remember this", message_id=sent.message_id))
    harness.bridge.post(ErrorEvent("No chat model is loaded yet; load one first.", turn_id=5))
    qtbot.waitUntil(lambda: len(w.conversation.messages()) == 2)
    user, problem = w.conversation.messages()
    assert (user.who, user.text, user.message_id, user.status) == (Who.USER, "please remember this",
                                                                   sent.message_id, "not answered")
    assert problem.who is Who.PROBLEM and "No chat model is loaded yet" in problem.text
    assert w.compose.text.text() == "please remember this"  # kept, to send again
    assert not w.banner.isVisible()  # said where it happened, not in a banner


def test_errors_of_no_turn_are_banners_and_leave_pending_messages_alone(harness, qtbot):
    w, session = harness.window, harness.session
    session.handle = lambda intent: session.intents.append(intent)
    w.compose.text.setText("still on its way")
    w.compose.send()
    harness.bridge.post(ErrorEvent("The voice could not be loaded."))
    qtbot.waitUntil(lambda: w.banner.isVisible())
    assert w.banner.message.text() == "The voice could not be loaded."
    assert w.conversation.messages()[0].status == "sending…" and w.compose.text.text() == ""
    harness.bridge.post(ErrorEvent("A second problem."))
    qtbot.waitUntil(lambda: w.banner.more.text() == "+1 more")
    qtbot.mouseClick(w.banner.dismiss, Qt.MouseButton.LeftButton)
    assert w.banner.message.text() == "A second problem."
    qtbot.mouseClick(w.banner.dismiss, Qt.MouseButton.LeftButton)
    assert not w.banner.isVisible()


def test_stop_button_and_escape_send_stop_reply(harness, qtbot):
    from app.loop.events import StopReply

    w, session = harness.window, harness.session
    qtbot.mouseClick(w.compose.stop_button, Qt.MouseButton.LeftButton)
    assert harness.intents(StopReply) == [StopReply()]
    w.activateWindow()
    w.conversation.setFocus()
    qtbot.keyClick(w.conversation, Qt.Key.Key_Escape)
    assert harness.intents(StopReply) == [StopReply(), StopReply()]


def test_image_inputs_from_files_show_inline(harness, qtbot, tmp_path):
    from PySide6.QtGui import QColor, QImage

    path = tmp_path / "pic.png"
    img = QImage(30, 20, QImage.Format.Format_RGB888)
    img.fill(QColor("red"))
    img.save(str(path))
    from app.loop.events import UserSaid

    harness.bridge.post(UserSaid(3, "look", (ImageInput(path=path),)))
    qtbot.waitUntil(lambda: len(harness.window.conversation.messages()) == 1)
    bubble = harness.window.conversation.user_bubble(3)
    thumb = bubble.images.itemAt(0).widget()
    assert thumb.pixmap().width() == 30 and thumb.accessibleName() == "image pic.png"


def test_losing_focus_while_holding_space_ends_the_utterance(harness, qtbot):
    from PySide6.QtWidgets import QWidget

    w, session = harness.window, harness.session
    w.activateWindow()
    qtbot.waitUntil(w.isActiveWindow)
    w.conversation.setFocus()
    qtbot.keyPress(w.conversation, Qt.Key.Key_Space)
    assert w.talk.talking
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()  # the key release will go to the other window
    qtbot.waitUntil(lambda: not w.isActiveWindow())
    assert [i.pressed for i in session.intents if isinstance(i, PushToTalk)] == [True, False]


def test_live_preview_feeds_the_session_frame_source(harness, qtbot):
    w = harness.window
    w.preview.start_live("synthetic")
    qtbot.waitUntil(lambda: w.preview.live_running, timeout=10000)
    first = w.preview.shared.latest()
    assert first is not None and first.rgb.shape[2] == 3 and w.preview.attach_button.isEnabled()
    qtbot.waitUntil(lambda: w.preview.shared.latest() is not first, timeout=10000)  # it keeps refreshing
    w.preview.stop_live()
    assert not w.preview.live_running


def test_an_unavailable_live_source_says_why(harness, qtbot):
    w = harness.window
    w.preview.start_live("no-such-source")
    qtbot.waitUntil(lambda: "No frame source named" in w.preview.view.placeholder, timeout=10000)
    assert not w.preview.live_running and w.preview.live.currentIndex() == 0


def test_switching_the_live_source_off_before_it_opened_keeps_it_off(harness, qtbot):
    from PySide6.QtWidgets import QApplication

    w = harness.window
    with qtbot.waitSignal(w.preview._opened, timeout=10000) as opened:
        w.preview.start_live("synthetic")
        w.preview.start_live("")
    for _ in range(3):
        QApplication.processEvents()  # the panel's own (queued) handler has run too
    assert opened.args[0] == "synthetic" and opened.args[1] is not None
    assert not w.preview.live_running


def test_very_long_words_wrap_inside_the_bubble(harness, qtbot):
    from app.engine.messages import TextDelta

    w = harness.window
    harness.bridge.post(TextDelta(4, "o" * 300, 0))
    qtbot.waitUntil(lambda: len(w.conversation.messages()) == 1)
    bubble = w.conversation.reply_bubble(4)
    assert bubble.text == "o" * 300  # what the view reports is the model's text
    qtbot.waitUntil(lambda: bubble.label.height() > 2 * bubble.label.fontMetrics().height())  # it wrapped
    assert bubble.label.width() <= bubble.maximumWidth()


def test_spoken_bubbles_are_confirmed_by_their_transcription_id(harness, qtbot):
    from app.loop.events import UserSaid

    w, bridge = harness.window, harness.bridge
    bridge.post(TranscriptEvent(1001, "first words", partial=False, audio_seconds=1.0))
    bridge.post(TranscriptEvent(1002, "second words", partial=False, audio_seconds=1.0))  # before the first's UserSaid
    bridge.post(UserSaid(1, "first words", message_id="u1", stt_turn_id=1001))
    bridge.post(UserSaid(2, "second words", message_id="u2", stt_turn_id=1002))
    qtbot.waitUntil(lambda: w.conversation.by_message("u2") is not None)
    users = [(m.text, m.message_id, m.turn_id) for m in w.conversation.messages() if m.who is Who.USER]
    assert users == [("first words", "u1", 1), ("second words", "u2", 2)]
    assert w.conversation.spoken_bubble(1001) is w.conversation.by_message("u1")

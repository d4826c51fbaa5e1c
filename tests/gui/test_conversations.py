"""Conversations in the window (fake session): the list (new, open, rename, delete after asking; current marked;
keyboard), saved messages rendered on open, and bubbles keyed by message id — never matched by text."""

from __future__ import annotations

from PySide6.QtCore import Qt

from app.engine.messages import TextDelta, TranscriptEvent
from app.gui.conversation_view import Who
from app.loop.events import (
    DeleteConversation,
    InputIgnored,
    ListConversations,
    NewConversation,
    OpenConversation,
    RenameConversation,
    ReplyHeard,
    ReplyRecorded,
    SendText,
    UserSaid,
)


def send(w, qtbot, text, replies):
    w.compose.text.setText(text)
    w.compose.send()
    qtbot.waitUntil(lambda: len([m for m in w.conversation.messages() if m.who is Who.ASSISTANT]) == replies)


def listed(w):
    return [w.conversations.list.item(i).text() for i in range(w.conversations.list.count())]


def test_start_opens_the_last_conversation_and_lists_them(harness, qtbot):
    w, session = harness.window, harness.session
    assert harness.intents(ListConversations)  # asked for at start
    session.start()
    qtbot.waitUntil(lambda: len(listed(w)) == 1)
    assert listed(w)[0].startswith("▶ ") and w.conversations.current == "c1"
    assert w.conversations.list.item(0).font().bold()
    assert w.conversation.messages() == [] and w.conversation.welcome.isVisibleTo(w.conversation)


def test_bubbles_carry_the_ids_of_the_history(harness, qtbot):
    w, session = harness.window, harness.session
    session.start()
    send(w, qtbot, "hello", 1)
    sent = harness.intents(SendText)[0]
    user, reply = w.conversation.messages()
    saved = session.book.messages["c1"]
    assert user.message_id == sent.message_id == saved[0].message_id and user.status == ""
    assert reply.message_id == saved[1].message_id and reply.text == session.reply


def test_same_text_twice_gives_two_bubbles_each_confirmed_by_its_id(harness, qtbot):
    w, session = harness.window, harness.session
    session.handle = lambda intent: session.intents.append(intent)  # the test plays the session
    for _ in range(2):
        w.compose.text.setText("again")
        w.compose.send()
    first, second = harness.intents(SendText)
    harness.bridge.post(UserSaid(9, "again", message_id=second.message_id))  # the second is taken first
    qtbot.waitUntil(lambda: w.conversation.by_message(second.message_id).status == "")
    assert w.conversation.by_message(first.message_id).status == "sending…"
    assert w.conversation.user_bubble(9) is w.conversation.by_message(second.message_id)


def test_a_spoken_bubble_is_confirmed_by_the_session_even_when_its_words_change(harness, qtbot):
    w, bridge = harness.window, harness.bridge
    bridge.post(TranscriptEvent(101, "turn on", partial=True, audio_seconds=0.5))
    bridge.post(TranscriptEvent(101, "turn on the lights", partial=False, audio_seconds=1.0))
    bridge.post(UserSaid(4, "Turn on the lights.", message_id="m-spoken"))  # the session's own wording
    qtbot.waitUntil(lambda: w.conversation.by_message("m-spoken") is not None)
    shown = w.conversation.messages()
    assert [(m.text, m.turn_id, m.message_id, m.partial) for m in shown] == [
        ("Turn on the lights.", 4, "m-spoken", False)]
    bridge.post(TextDelta(4, "Done", 0))
    bridge.post(ReplyRecorded(4, "m-reply", "Done"))
    qtbot.waitUntil(lambda: w.conversation.by_message("m-reply") is not None)
    assert w.conversation.reply_bubble(4) is w.conversation.by_message("m-reply")


def test_a_cut_reply_shows_what_the_history_keeps(harness, qtbot):
    w, bridge = harness.window, harness.bridge
    bridge.post(UserSaid(2, "tell me a story", message_id="u"))
    bridge.post(TextDelta(2, "Once upon a time there was a fox who", 0))
    bridge.post(ReplyHeard(2, "Once upon a time"))
    bridge.post(ReplyRecorded(2, "r", "Once upon a time"))
    qtbot.waitUntil(lambda: w.conversation.by_message("r") is not None)
    reply = w.conversation.by_message("r").shown()
    assert (reply.text, reply.status) == ("Once upon a time", "interrupted")


def test_ignored_speech_says_so_on_its_bubble(harness, qtbot):
    w, bridge = harness.window, harness.bridge
    bridge.post(TranscriptEvent(55, "hello there friend", partial=False, audio_seconds=1.0))
    bridge.post(InputIgnored(55, "Hearth's own voice"))
    qtbot.waitUntil(lambda: [m.status for m in w.conversation.messages()] == ["not answered: Hearth's own voice"])
    shown = w.conversation.messages()[0]
    assert shown.status == "not answered: Hearth's own voice" and shown.partial  # muted, not in the history
    bridge.post(UserSaid(6, "a real question", message_id="q"))  # the next turn is a bubble of its own
    qtbot.waitUntil(lambda: len(w.conversation.messages()) == 2)


def test_new_open_rename_delete(harness, qtbot):
    w, session = harness.window, harness.session
    panel = w.conversations
    session.start()
    send(w, qtbot, "first conversation", 1)
    first_ids = [m.message_id for m in w.conversation.messages()]
    qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
    assert harness.intents(NewConversation) == [NewConversation()]
    qtbot.waitUntil(lambda: len(listed(w)) == 2 and panel.current == "c2")
    assert w.conversation.messages() == [] and listed(w)[0].startswith("▶ ")
    # open the first again: its saved messages are shown, with their ids
    panel.list.setCurrentRow(1)
    qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
    assert harness.intents(OpenConversation) == [OpenConversation("c1")]
    qtbot.waitUntil(lambda: [m.message_id for m in w.conversation.messages()] == first_ids)
    assert [m.text for m in w.conversation.messages()] == ["first conversation", session.reply]
    qtbot.waitUntil(lambda: listed(w)[1].startswith("▶ "))
    # rename the selected one in place
    panel.list.setCurrentRow(1)
    qtbot.mouseClick(panel.rename_button, Qt.MouseButton.LeftButton)
    panel.list.currentItem().setText("Weather chat")  # what typing into the editor and Enter do
    assert harness.intents(RenameConversation) == [RenameConversation("c1", "Weather chat")]
    qtbot.waitUntil(lambda: listed(w)[1] == "▶ Weather chat")
    # delete asks first; "No" keeps it
    asked = []
    panel.confirm = lambda _parent, label: asked.append(label) or False
    panel.list.setCurrentRow(0)
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert asked == [session.book.infos["c2"].label] and harness.intents(DeleteConversation) == []
    panel.confirm = lambda _parent, _label: True
    qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
    assert harness.intents(DeleteConversation) == [DeleteConversation("c2")]
    qtbot.waitUntil(lambda: listed(w) == ["▶ Weather chat"])


def test_the_list_works_from_the_keyboard(harness, qtbot):
    w, session = harness.window, harness.session
    panel = w.conversations
    session.start()
    send(w, qtbot, "one", 1)
    w.activateWindow()
    qtbot.keyClick(w.compose.text, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)  # Conversation ▸ New
    qtbot.waitUntil(lambda: len(listed(w)) == 2)
    panel.list.setFocus()
    panel.list.setCurrentRow(1)
    qtbot.keyClick(panel.list, Qt.Key.Key_Return)  # Enter opens the selected one
    qtbot.waitUntil(lambda: panel.current == "c1" and len(w.conversation.messages()) == 2)
    names = {b.accessibleName() for b in (panel.new_button, panel.open_button, panel.rename_button,
                                          panel.delete_button)}
    assert all(names) and panel.list.accessibleName() == "Saved conversations"
    w.compose.text.setFocus()
    reached = set()
    for _ in range(80):
        reached.add(w.focusWidget())
        w.focusNextChild()
    assert {panel.list, panel.new_button, panel.delete_button} <= reached


def test_start_up_notes_survive_the_first_open_but_not_a_switch(harness, qtbot):
    from app.loop.events import Notice

    w, session = harness.window, harness.session
    harness.bridge.post(Notice("No microphone found. Typing works meanwhile."))  # before the session opened one
    session.start()
    qtbot.waitUntil(lambda: w.conversations.current == "c1")
    assert [n.text() for n in w.conversation.notes()] == ["No microphone found. Typing works meanwhile."]
    harness.bridge.post(Notice("Heard “ok” — carrying on."))
    qtbot.waitUntil(lambda: len(w.conversation.notes()) == 2)
    w.conversations.new()
    qtbot.waitUntil(lambda: w.conversations.current == "c2")
    assert w.conversation.notes() == []

"""The window over the real session (app/session.py) and engine with a tiny random-weight model:
typed text in, the reply streams into the conversation, a model swap keeps it."""

from __future__ import annotations

from dataclasses import replace

import pytest

from app.gui.conversation_view import Who
from app.events import TextDelta
from app.gui.launch import build_window, real_session
from app.settings import Settings


@pytest.fixture
def real_window(qtbot, tiny_llm):
    settings = Settings()
    settings = replace(settings, models=replace(settings.models, chat=str(tiny_llm)))
    window = build_window(settings, [], factory=real_session)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def test_typed_text_streams_a_reply_from_the_tiny_model(real_window, qtbot, tiny_llm):
    w = real_window
    qtbot.waitUntil(lambda: "ready" in w.picker.status.text(), timeout=60000)
    assert str(tiny_llm) in w.picker.status.text()
    deltas = []
    w.bridge.on(TextDelta, deltas.append)
    w.compose.text.setText("hello there")
    w.compose.send()
    qtbot.waitUntil(lambda: any(m.who is Who.ASSISTANT and m.text for m in w.conversation.messages()), timeout=60000)
    qtbot.waitUntil(lambda: len(w.chart.timelines) == 1, timeout=60000)  # the turn is over: its timeline arrived
    shown = w.conversation.messages()
    assert [(m.who, m.text) for m in shown][0] == (Who.USER, "hello there") and shown[0].turn_id is not None
    reply = shown[1]
    assert reply.who is Who.ASSISTANT and reply.text == "".join(d.text for d in deltas) and len(deltas) > 1
    assert w.talk.state.label.text() == "Listening"
    assert not w.banner.isVisible()


def test_model_swap_keeps_the_conversation_with_the_real_session(real_window, qtbot, tiny_vlm):
    w = real_window
    qtbot.waitUntil(lambda: "ready" in w.picker.status.text(), timeout=60000)
    w.compose.text.setText("first")
    w.compose.send()
    qtbot.waitUntil(lambda: len(w.chart.timelines) == 1, timeout=60000)
    combo = w.picker.chat
    combo.addItem("tiny vlm", str(tiny_vlm))
    combo.setCurrentIndex(combo.count() - 1)
    combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(lambda: "sees images" in w.picker.status.text(), timeout=60000)
    w.compose.text.setText("second")
    w.compose.send()
    qtbot.waitUntil(lambda: len(w.chart.timelines) == 2, timeout=60000)
    texts = [(m.who, m.text) for m in w.conversation.messages()]
    assert texts[0] == (Who.USER, "first") and texts[2] == (Who.USER, "second") and len(texts) == 4

"""The GUI thread never waits on the session: events from background threads arrive in order on the GUI thread,
and the event loop keeps turning while a (slow) reply streams in."""

from __future__ import annotations

import threading

from PySide6.QtCore import QThread, QTimer

from app.engine.messages import TextDelta
from app.gui.bridge import Bridge
from app.gui.conversation_view import Who
from app.loop.events import SendText


def test_bridge_runs_handlers_on_the_gui_thread_in_order(qtbot):
    bridge = Bridge()
    got: list[tuple[int, bool]] = []
    bridge.on(TextDelta, lambda e: got.append((e.index, QThread.currentThread() is bridge.thread())))
    workers = [threading.Thread(target=lambda: [bridge.post(TextDelta(1, "x", i)) for i in range(200)])]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert got == []  # nothing ran on the posting thread
    qtbot.waitUntil(lambda: len(got) == 200)
    assert got == [(i, True) for i in range(200)]


def test_sending_returns_before_the_reply_exists(harness, qtbot):
    w, session = harness.window, harness.session
    gate = threading.Event()
    session.between_tokens = lambda: gate.wait(10)
    w.compose.text.setText("slow one")
    w.compose.send()  # returns at once although the session cannot finish its reply until the gate opens
    assert isinstance(session.intents[-1], SendText)
    assert [m.who for m in w.conversation.messages()] == [Who.USER]
    gate.set()
    qtbot.waitUntil(lambda: [m.text for m in w.conversation.messages()][-1:] == [session.reply])


def test_event_loop_keeps_running_while_a_reply_streams(harness, qtbot):
    """Each token waits for a tick of a GUI-thread timer: the reply can only finish if the loop keeps turning."""
    w, session = harness.window, harness.session
    session.reply = " ".join(f"word{i}" for i in range(60))
    ticked = threading.Event()
    ticks, stalls = [0], []

    def on_tick():
        ticks[0] += 1
        ticked.set()

    def wait_for_gui():
        ticked.clear()
        if not ticked.wait(10):
            stalls.append("GUI thread did not run for 10 s")

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(on_tick)
    timer.start()
    session.between_tokens = wait_for_gui
    session.token_delay = 0.002
    w.compose.text.setText("tell me a long story")
    w.compose.send()
    qtbot.waitUntil(lambda: not any(t.is_alive() for t in session.threads), timeout=30000)
    timer.stop()
    qtbot.waitUntil(lambda: [m.text for m in w.conversation.messages()][-1:] == [session.reply])
    assert stalls == []
    assert ticks[0] >= 60

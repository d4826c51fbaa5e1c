"""The window over the real session (app/loop/session.py) and engine with tiny random-weight models: typed text in,
the reply streams into the conversation; push-to-talk over an audio source gives a transcript and a reply;
a model swap keeps the conversation."""

from __future__ import annotations

import functools
import shutil
import subprocess
import threading
import time
from dataclasses import replace
from typing import Iterator

import numpy as np
import pytest
from PySide6.QtCore import Qt

from app.engine.messages import TextDelta
from app.gui.conversation_view import Who
from app.gui.launch import VoicePorts, build_window, real_session
from app.gui.gui_hearing import DualEndpointer, GuiHearing
from app.config.settings import Settings
from audio.endpoint import EndpointConfig
from audio.pipeline import build_hearing
from audio.types import AudioBlock, AudioFormat


class GatedSource:
    """A 'microphone' that gives silence until the test hands it speech (20 ms blocks, about twice real time)."""

    def __init__(self, sample_rate: int) -> None:
        self.rate, self.block = sample_rate, sample_rate // 50
        self.pending = np.zeros(0, np.float32)
        self.lock = threading.Lock()
        self.closed = False
        self.fed = threading.Event()

    @property
    def format(self) -> AudioFormat:
        return AudioFormat(self.rate)

    @property
    def block_size(self) -> int:
        return self.block

    def speak(self, pcm: np.ndarray) -> None:
        with self.lock:
            self.fed.clear()
            self.pending = np.concatenate([self.pending, pcm.astype(np.float32)])

    def blocks(self) -> Iterator[AudioBlock]:
        t = 0.0
        while not self.closed:
            with self.lock:
                chunk, self.pending = self.pending[: self.block], self.pending[self.block:]
                if not len(self.pending):
                    self.fed.set()
            chunk = np.concatenate([chunk, np.zeros(self.block - len(chunk), np.float32)])
            yield AudioBlock(chunk, self.rate, t)
            t += self.block / self.rate
            time.sleep(0.01)

    def close(self) -> None:
        self.closed = True


def open_window(qtbot, settings, ports):
    window = build_window(settings, [], factory=functools.partial(real_session, ports=ports))
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def text_window(qtbot, tiny_llm):
    settings = replace(Settings(), models=replace(Settings().models, chat=str(tiny_llm)))
    window = open_window(qtbot, settings, VoicePorts())
    yield window
    window.close()


def test_typed_text_streams_a_reply_from_the_tiny_model(text_window, qtbot, tiny_llm):
    w = text_window
    qtbot.waitUntil(lambda: "ready" in w.picker.status.text(), timeout=60000)
    assert str(tiny_llm) in w.picker.status.text()
    deltas = []
    w.bridge.on(TextDelta, deltas.append)
    w.compose.text.setText("hello there")
    w.compose.send()
    qtbot.waitUntil(lambda: len(w.chart.timelines) == 1, timeout=60000)  # the turn is over: its timeline arrived
    shown = w.conversation.messages()
    assert [(m.who, m.text) for m in shown][0] == (Who.USER, "hello there") and shown[0].turn_id is not None
    reply = shown[1]
    assert reply.who is Who.ASSISTANT and reply.text == "".join(d.text for d in deltas) and len(deltas) > 1
    assert w.talk.state.label.text() == "Ready to type · no microphone"  # no microphone in this window
    assert not w.banner.isVisible()
    assert shown[0].message_id and reply.message_id


def test_model_swap_keeps_the_conversation_with_the_real_session(text_window, qtbot, tiny_vlm):
    w = text_window
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


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_push_to_talk_through_the_real_session_gives_a_transcript_and_a_reply(qtbot, tiny_llm, tiny_model, tmp_path,
                                                                             monkeypatch):
    from audio.wav import read_wav
    from models.base import TranscriptResult
    from models.stt_mlx_audio import MlxAudioSTT

    # The tiny Whisper has random weights: for some cuts of the audio it says nothing at all. The real model still
    # runs on the real audio; an empty result is replaced so that the turn always goes on to a reply.
    original = MlxAudioSTT.transcribe

    def never_empty(self, pcm, sample_rate):
        result = original(self, pcm, sample_rate)
        return result if result.text.strip() else TranscriptResult("what is the weather like today")

    monkeypatch.setattr(MlxAudioSTT, "transcribe", never_empty)

    wav = tmp_path / "q.wav"
    subprocess.run(["espeak-ng", "-w", str(wav), "What is the weather like today?"], check=True)
    speech, rate = read_wav(wav)
    source = GatedSource(rate)
    pipeline = build_hearing(source, aec_backend="none", vad_backend="energy")[0]
    endpointer = DualEndpointer(pipeline.endpointer.vad, EndpointConfig(), hands_free=True)
    s = Settings()  # hands-free listening, as by default: the button works on top of it
    settings = replace(s, models=replace(s.models, chat=str(tiny_llm), stt=str(tiny_model("whisper"))))
    w = open_window(qtbot, settings, VoicePorts(hearing=GuiHearing(pipeline, endpointer)))
    try:
        qtbot.waitUntil(lambda: w.picker.status.text().count("ready") == 2, timeout=120000)
        assert w.talk.hands_free.isChecked()
        qtbot.mousePress(w.talk.talk, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: endpointer.ptt.pressed, timeout=10000)  # the press reached the hearing
        source.speak(speech)
        qtbot.waitUntil(source.fed.is_set, timeout=30000)
        qtbot.mouseRelease(w.talk.talk, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: len(w.chart.timelines) >= 1, timeout=120000)
        shown = w.conversation.messages()
        assert [m.who for m in shown[:2]] == [Who.USER, Who.ASSISTANT]
        assert shown[0].text and not shown[0].partial and shown[1].text
        assert w.chart.timelines[0].marks[0].stage.value == "end of speech"
        assert not w.banner.isVisible()
        qtbot.mouseClick(w.talk.hands_free, Qt.MouseButton.LeftButton)  # reaches the hearing thread's endpointer
        qtbot.waitUntil(lambda: not endpointer.hands_free, timeout=10000)
    finally:
        w.close()


def test_the_window_reopens_the_last_conversation_and_new_rename_delete_work(qtbot, tiny_llm, tmp_path):
    """HEARTH_HOME is this test's own folder (tests/gui/conftest.py): conversations are saved there."""
    from app.config import paths

    settings = replace(Settings(), models=replace(Settings().models, chat=str(tiny_llm)))
    w = open_window(qtbot, settings, VoicePorts())
    qtbot.waitUntil(lambda: "ready" in w.picker.status.text(), timeout=60000)
    assert w.talk.state.label.text() == "Ready to type · no microphone" and not w.talk.talk.isEnabled()
    w.compose.text.setText("remember this")
    w.compose.send()
    qtbot.waitUntil(lambda: all(m.message_id for m in w.conversation.messages())
                    and len(w.conversation.messages()) == 2, timeout=60000)
    first = [(m.who, m.text, m.message_id) for m in w.conversation.messages()]
    first_id = w.conversations.current
    qtbot.waitUntil(lambda: w.conversations.list.count() == 1, timeout=10000)
    w.close()

    w = open_window(qtbot, settings, VoicePorts())  # "restart": a new window and session over the same folder
    try:
        qtbot.waitUntil(lambda: [(m.who, m.text, m.message_id) for m in w.conversation.messages()] == first,
                        timeout=60000)
        assert w.conversations.current == first_id
        panel = w.conversations
        qtbot.mouseClick(panel.new_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.list.count() == 2 and panel.current != first_id, timeout=10000)
        assert w.conversation.messages() == []
        new_id = panel.current
        row = [panel.list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(2)].index(first_id)
        panel.list.setCurrentRow(row)
        panel.rename_selected()
        panel.list.currentItem().setText("Kept for later")
        qtbot.waitUntil(lambda: any(panel.list.item(i).text() == "Kept for later" for i in range(panel.list.count())),
                        timeout=10000)
        panel.list.setCurrentRow(1 - row)  # the new, open one
        panel.confirm = lambda _parent, _label: True
        qtbot.mouseClick(panel.delete_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: panel.current not in ("", new_id), timeout=10000)  # the session opened a fresh one
        qtbot.waitUntil(lambda: new_id not in [i.conversation_id for i in panel.items], timeout=10000)
        assert "Kept for later" in [i.title for i in panel.items]
        assert not (paths.data_dir() / "conversations" / new_id).exists()
        panel.list.setCurrentRow([i.conversation_id for i in panel.items].index(first_id))
        qtbot.mouseClick(panel.open_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: [m.message_id for m in w.conversation.messages()] == [f[2] for f in first],
                        timeout=10000)
    finally:
        w.close()


def test_with_no_chat_model_a_typed_message_says_why_in_the_conversation(qtbot, tmp_path):
    """The real session and engine, a chat model that is not installed: no 'Ready', and the message that cannot
    be answered says why where it was typed (and comes back into the box)."""
    settings = replace(Settings(), models=replace(Settings().models, chat=str(tmp_path / "no-such-model"),
                                                  offline=True))
    w = open_window(qtbot, settings, VoicePorts())
    try:
        qtbot.waitUntil(lambda: w.talk.state.label.text() == "No chat model", timeout=60000)
        assert "could not be loaded" in w.picker.status.text()
        w.compose.text.setText("anyone home?")
        w.compose.send()
        qtbot.waitUntil(lambda: [m.who for m in w.conversation.messages()] == [Who.USER, Who.PROBLEM],
                        timeout=60000)
        user, problem = w.conversation.messages()
        assert user.status == "not answered" and "No chat model is loaded yet" in problem.text
        assert w.compose.text.text() == "anyone home?"
    finally:
        w.close()


def test_switching_to_coding_with_the_real_session_and_the_policys_tools(qtbot, tiny_llm, tmp_path, write_policy):
    write_policy('allowed_tools = ["read_file", "list_files"]\n')
    workspace = tmp_path / "project"
    workspace.mkdir()
    settings = replace(Settings(), models=replace(Settings().models, chat=str(tiny_llm)))
    w = open_window(qtbot, settings, VoicePorts())
    try:
        w.mode._pick = lambda _parent, _start: str(workspace)
        combo = w.mode.combo
        combo.setCurrentIndex(combo.findData("coding"))
        combo.activated.emit(combo.currentIndex())
        qtbot.waitUntil(lambda: w.mode.current == "coding", timeout=30000)
        assert w.mode.status.text() == f"Mode: Coding assistant, working in {workspace} with 2 tools."
        assert (w.settings.conversation.mode, w.settings.workspace.folder) == ("coding", str(workspace))
        from app.config.settings import load_settings

        saved = load_settings().settings  # remembered in the user's settings file
        assert (saved.conversation.mode, saved.workspace.folder) == ("coding", str(workspace))
        combo.setCurrentIndex(combo.findData("narrator"))
        combo.activated.emit(combo.currentIndex())
        qtbot.waitUntil(lambda: w.mode.current == "narrator", timeout=30000)
        assert w.talk.narrate.isVisibleTo(w) and not w.banner.isVisible()
    finally:
        w.close()

"""Conversations persist: saved as they go, resumed with their KV snapshot, robust to kill -9, damage and full disks."""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.config.settings import Settings
from app.conversations.store import ConversationError, ConversationStore
from app.engine.messages import CacheRestored, ErrorEvent, GenerationDone
from app.loop.book import ConversationChoice, Start
from app.loop.builder import Ports, SessionSpec, build_session
from app.loop.events import ConversationOpened, Notice, SendText, TurnTimeline
from models.base import ChatMessage, Speaker

ROOT = Path(__file__).resolve().parents[2]


def test_store_appends_loads_and_skips_a_damaged_line(tmp_path):
    store = ConversationStore(tmp_path)
    info = store.create()
    for i in range(3):
        store.append(info.conversation_id, ChatMessage(Speaker.USER if i % 2 == 0 else Speaker.ASSISTANT, f"m{i}"))
    path = tmp_path / info.conversation_id / "transcript.jsonl"
    lines = path.read_text().splitlines()
    lines[1] = lines[1][:15]  # a torn line
    path.write_text("\n".join(lines) + "\n")
    loaded = store.load(info.conversation_id)
    assert [m.text for m in loaded.messages] == ["m0", "m2"]
    assert len(loaded.problems) == 1 and "line 2" in loaded.problems[0]
    store.rename(info.conversation_id, "Lighthouses")
    assert store.list()[0].label == "Lighthouses"
    assert "**You:** m0" in store.export_markdown(info.conversation_id)
    store.delete(info.conversation_id)
    assert store.list() == ()


def test_unwritable_folder_keeps_messages_and_writes_them_once_it_can(tmp_path):
    store = ConversationStore(tmp_path)
    info = store.create()
    folder = tmp_path / info.conversation_id
    shutil.move(folder, tmp_path / "aside")
    folder.write_text("not a folder")  # as if the disk refused every write there
    with pytest.raises(ConversationError, match="kept in memory"):
        store.append(info.conversation_id, ChatMessage(Speaker.USER, "first"))
    folder.unlink()
    shutil.move(tmp_path / "aside", folder)
    store.append(info.conversation_id, ChatMessage(Speaker.ASSISTANT, "second"))
    assert [m.text for m in store.load(info.conversation_id).messages] == ["first", "second"]


class Harness:
    def __init__(self, model: Path, choice: ConversationChoice) -> None:
        self.events: queue.Queue = queue.Queue()
        spec = SessionSpec(chat_model=str(model), max_tokens=8, choice=choice)
        self.session, loads = build_session(Settings(), self.events.put, Ports(), spec)
        self.session.start(loads)
        self.opened = self.wait(ConversationOpened)

    def wait(self, kind, timeout: float = 120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            event = self.events.get(timeout=timeout)
            assert not isinstance(event, ErrorEvent), event.message
            if isinstance(event, kind):
                return event
        raise AssertionError(f"no {kind}")

    def turn(self, text: str) -> GenerationDone:
        self.session.handle(SendText(text))
        done = self.wait(GenerationDone)
        self.wait(TurnTimeline)
        return done

    def stop(self) -> list:
        self.session.stop()
        rest = []
        while not self.events.empty():
            rest.append(self.events.get())
        return rest


@pytest.mark.slow
def test_resume_loads_the_snapshot_and_a_damaged_one_means_reprefill(tiny_llm):
    first = Harness(tiny_llm, ConversationChoice(Start.NEW))
    first.turn("Hello there.")
    first.turn("And again.")
    first.stop()
    cid = first.opened.info.conversation_id
    kv = first.session.book.store.kv_path(cid)
    assert kv.exists() and kv.stat().st_size > 0  # written on exit, before the engine shut down

    again = Harness(tiny_llm, ConversationChoice(conversation_id=cid))
    assert [m.text for m in again.opened.messages][:1] == ["Hello there."] and len(again.opened.messages) == 4
    restored = again.wait(CacheRestored)
    assert restored.ok and restored.tokens > 10
    assert again.turn("Third.").stats.reused_tokens >= restored.tokens - 1  # no prefill of the history
    again.stop()

    with open(kv, "r+b") as f:  # a snapshot cut short (a crash mid-copy, a full disk)
        f.truncate(os.path.getsize(kv) // 2)
    third = Harness(tiny_llm, ConversationChoice(Start.LATEST))
    assert third.opened.info.conversation_id == cid
    assert third.wait(Notice).message.startswith("The saved memory of this conversation could not be used")
    done = third.turn("Fourth.")
    assert done.stats.reused_tokens == 0 and done.stats.prompt_tokens > restored.tokens  # re-read, not lost
    third.stop()


@pytest.mark.slow
def test_kill_minus_nine_keeps_every_complete_message(tiny_llm, tmp_path):
    env = {**os.environ, "HEARTH_HOME": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "chat", "--model", str(tiny_llm), "--new",
                             "--max-tokens", "200"], cwd=ROOT, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    store = ConversationStore(tmp_path / "data" / "conversations")
    try:
        proc.stdin.write("first question\n")
        proc.stdin.flush()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            items = store.list()
            if items and len(store.load(items[0].conversation_id).messages) >= 2:
                break
            time.sleep(0.1)
        else:
            raise AssertionError(proc.stdout.read() if proc.poll() is not None else "no reply saved")
        proc.stdin.write("second question\n")
        proc.stdin.flush()
        time.sleep(0.3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    loaded = store.load(store.list()[0].conversation_id)
    assert [m.text for m in loaded.messages][:1] == ["first question"]
    assert not loaded.problems and len(loaded.messages) >= 2
    os.environ["HEARTH_HOME"] = str(tmp_path)  # the autouse fixture restores it
    resumed = Harness(tiny_llm, ConversationChoice(Start.LATEST))
    assert resumed.opened.messages[:2] == loaded.messages[:2]
    resumed.turn("after the crash")
    resumed.stop()

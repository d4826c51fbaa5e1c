"""Run a child process (no shell) in its own process group, with a timeout, a cancel Event and an output cap.

On timeout or cancel the whole group gets SIGTERM, then SIGKILL after a grace period, so a test runner's children
die with it. Output (stdout and stderr merged) keeps its head and tail; the middle of a huge output is dropped while
it streams, so memory stays bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

GRACE_S = 1.0
POLL_S = 0.02


@dataclass(frozen=True)
class ProcessOutcome:
    argv: tuple[str, ...]
    exit_code: int | None  # None when killed by us
    output: str  # head + tail, with a marker where bytes were dropped
    total_chars: int
    timed_out: bool = False
    cancelled: bool = False
    duration_s: float = 0.0
    start_error: str = ""  # the program could not start (not found, not executable)


class _CappedBuffer:
    """Keeps the first ``head`` and last ``tail`` characters of a stream."""

    def __init__(self, head: int, tail: int) -> None:
        self._head: list[str] = []
        self._head_left = head
        self._tail: deque[str] = deque()
        self._tail_len = 0
        self._tail_cap = tail
        self._lock = threading.Lock()
        self.total = 0

    def add(self, text: str) -> None:
        with self._lock:
            self._add(text)

    def _add(self, text: str) -> None:
        self.total += len(text)
        if self._head_left > 0:
            part, text = text[: self._head_left], text[self._head_left:]
            self._head.append(part)
            self._head_left -= len(part)
        if not text:
            return
        self._tail.append(text)
        self._tail_len += len(text)
        while self._tail and self._tail_len - len(self._tail[0]) >= self._tail_cap:
            self._tail_len -= len(self._tail.popleft())

    def text(self) -> str:
        with self._lock:
            head = "".join(self._head)
            tail = "".join(self._tail)
        if len(tail) > self._tail_cap:
            tail = tail[-self._tail_cap:]
        dropped = self.total - len(head) - len(tail)
        if dropped > 0:
            return f"{head}\n[… {dropped} characters of output cut …]\n{tail}"
        return head + tail


def run_process(argv: list[str], cwd: Path, timeout_s: float, cancel: threading.Event | None = None,
                max_chars: int = 8000, env: dict[str, str] | None = None) -> ProcessOutcome:
    started = time.monotonic()
    buf = _CappedBuffer(head=max_chars // 4, tail=max_chars - max_chars // 4)
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, start_new_session=True, env=env)
    except OSError as exc:
        return ProcessOutcome(tuple(argv), None, "", 0, start_error=f"{argv[0]}: {exc.strerror or exc}")
    reader = threading.Thread(target=_pump, args=(proc, buf), name="hearth-tool-output", daemon=True)
    reader.start()
    timed_out = cancelled = False
    deadline = started + timeout_s
    while proc.poll() is None:
        if cancel is not None and cancel.is_set():
            cancelled = True
        elif time.monotonic() >= deadline:
            timed_out = True
        if cancelled or timed_out:
            _kill_group(proc)
            break
        try:
            proc.wait(timeout=POLL_S)
        except subprocess.TimeoutExpired:
            pass
    _reap_rest(proc)  # children left behind in the group (a daemonised helper) would hold the pipe open
    reader.join(timeout=5.0)
    code = None if (timed_out or cancelled) else proc.returncode
    return ProcessOutcome(tuple(argv), code, buf.text(), buf.total, timed_out, cancelled,
                          time.monotonic() - started)


def _pump(proc: subprocess.Popen, buf: _CappedBuffer) -> None:
    assert proc.stdout is not None
    with proc.stdout:
        while chunk := proc.stdout.read1(65536):  # type: ignore[attr-defined]
            buf.add(chunk.decode("utf-8", errors="replace"))


def _kill_group(proc: subprocess.Popen) -> None:
    for sig, wait_s in ((signal.SIGTERM, GRACE_S), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=wait_s)
            if sig == signal.SIGTERM:
                _reap_rest(proc)
            return
        except subprocess.TimeoutExpired:
            continue


def _reap_rest(proc: subprocess.Popen) -> None:
    """The leader has exited; whatever is left in its process group is killed too."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

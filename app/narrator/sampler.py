"""Samples a frame source about twice a second on its own thread and posts what the detector reports.

The sampler thread owns the detector state (app/narrator/change.py); it only hands values over through ``post``:
a :class:`~app.narrator.change.SceneChanged` when the view changed and settled, a
:class:`~app.narrator.scheduler.Tick` after every sample (the scheduler's clock while the narrator is on), and
:class:`FramesUnavailable` / :class:`FramesBack` when the camera stops or resumes giving frames (a blind user
must hear that the narrator has gone blind). ``stop()`` ends sampling: no frame is read after it returns.
"""

from __future__ import annotations

import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from app.narrator.change import ChangeConfig, ChangeState, observe, rebase
from app.narrator.scheduler import Tick
from app.ports.base import FrameSource
from models.base import ImageInput

Post = Callable[[Any], None]
Pause = Callable[[threading.Event, float], bool]  # wait up to s seconds; True when asked to stop

FPS = 2.0
MISSING_AFTER_S = 3.0  # no frame for this long: tell the user
NO_FRAMES = ("The camera is not giving pictures, so I can't describe what is in front of you. Check that the camera "
             "is connected and allowed.")


@dataclass(frozen=True)
class FramesUnavailable:
    """The frame source gave no frame for a while (or failed); ``message`` is for the user."""

    message: str
    t: float
    detail: str = ""


@dataclass(frozen=True)
class FramesBack:
    t: float


@dataclass(frozen=True)
class _Rebase:
    frame: ImageInput = field(repr=False)


def _wait(stop: threading.Event, seconds: float) -> bool:
    return stop.wait(seconds)


class Sampler:
    def __init__(self, frames: FrameSource, post: Post, fps: float = FPS, config: ChangeConfig = ChangeConfig(),
                 clock: Callable[[], float] = time.monotonic, pause: Pause = _wait) -> None:
        self.frames, self._post, self.period = frames, post, 1.0 / fps
        self._config, self._clock, self._pause = config, clock, pause
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._inbox: queue.SimpleQueue[_Rebase] = queue.SimpleQueue()
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Begin sampling with a fresh detector (the first settled view is reported as the first scene)."""
        with self._lock:
            if self.running:
                return
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, args=(self._stop,), name="hearth-narrator-sampler",
                                            daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sampling; returns once the thread has ended (no frame is read afterwards)."""
        with self._lock:
            thread, self._thread = self._thread, None
            self._stop.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def rebase(self, frame: ImageInput) -> None:
        """The user was just told about ``frame`` (a describe-on-demand turn): measure changes from it."""
        self._inbox.put(_Rebase(frame))

    # ------------------------------------------------------------------------------------- sampler thread
    def _run(self, stop: threading.Event) -> None:
        state = ChangeState(self._config)
        missing_since: float | None = None
        told = False
        next_at = self._clock()
        while not stop.is_set():
            t = self._clock()
            state, seen, problem = self._sample(self._rebased(state), t)
            if seen:
                missing_since = None
                if told:
                    told = False
                    self._post(FramesBack(t))
            else:
                missing_since = t if missing_since is None else missing_since
                if not told and (problem or t - missing_since >= MISSING_AFTER_S):
                    told = True
                    self._post(FramesUnavailable(NO_FRAMES, t, problem))
            self._post(Tick(t))
            next_at = max(next_at + self.period, t)  # late: skip ahead instead of catching up in a burst
            if self._pause(stop, max(0.0, next_at - self._clock())):
                return

    def _sample(self, state: ChangeState, t: float) -> tuple[ChangeState, bool, str]:
        """Read one frame and run the detector; (state, whether a frame was seen, what failed)."""
        try:
            frame = self.frames.latest()
            if frame is None or frame.rgb is None:
                return state, False, ""
            state, change = observe(state, frame, t)
        except Exception as exc:  # noqa: BLE001 - a failing camera is a value, the thread keeps going
            return state, False, repr(exc)
        if change is not None:
            self._post(change)
        return state, True, ""

    def _rebased(self, state: ChangeState) -> ChangeState:
        while True:
            try:
                item = self._inbox.get_nowait()
            except queue.Empty:
                return state
            state = rebase(state, item.frame)

"""Test helpers for the narrator: a fake clock the sampler advances, a generated picture with known text, and a
stand-in session that feeds a scheduler from the sampler's posts plus a scripted timeline (user speech, replies)
and plays each narration for a fixed time."""

from __future__ import annotations

import heapq
import itertools
import queue
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from app.narrator.change import SceneChanged
from app.narrator.scheduler import (
    Decision,
    Narrate,
    NarrationCut,
    NarrationFinished,
    NarrationStarted,
    NarratorState,
    StopNarration,
    StopSampling,
    Tick,
    decide,
)
from app.narrator.sampler import Sampler
from models.base import ImageInput


class FakeClock:
    """Monotonic time that moves only when the sampler pauses; past ``end`` the sampler is parked until stopped."""

    def __init__(self, end: float) -> None:
        self.t, self.end = 0.0, end

    def __call__(self) -> float:
        return self.t

    def pause(self, stop: threading.Event, seconds: float) -> bool:
        if self.t >= self.end:
            return stop.wait(60)
        self.t += seconds
        return stop.is_set()


def text_image(lines: tuple[str, ...], size: tuple[int, int] = (640, 480)) -> ImageInput:
    """Black text on white paper, one line per entry, big enough for a vision model to read."""
    img = Image.new("RGB", size, (250, 250, 245))
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=40)
    for i, line in enumerate(lines):
        draw.text((30, 40 + 70 * i), line, fill=(10, 10, 10), font=font)
    return ImageInput(rgb=np.asarray(img))


class Posts:
    """The sampler's ``post``: a queue the test reads in order."""

    def __init__(self) -> None:
        self.q: queue.Queue[Any] = queue.Queue()

    def __call__(self, item: Any) -> None:
        self.q.put(item)

    def get(self, timeout: float = 30.0) -> Any:
        return self.q.get(timeout=timeout)


@dataclass
class StandInSession:
    """Feeds the scheduler like the session would; a narration 'plays' for ``narration_s`` seconds."""

    sampler: Sampler
    posts: Posts
    script: list[Any] = field(default_factory=list)  # scheduler inputs with .t, injected in time order
    narration_s: float = 2.0
    state: NarratorState = NarratorState()
    decisions: list[Decision] = field(default_factory=list)
    scenes: list[SceneChanged] = field(default_factory=list)
    _timeline: list[tuple[float, int, Any]] = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        for ev in self.script:
            self._later(ev)

    def _later(self, ev: Any) -> None:
        heapq.heappush(self._timeline, (ev.t, next(self._order), ev))

    def feed(self, ev: Any) -> None:
        self.state, out = decide(self.state, ev)
        for d in out:
            self.decisions.append(d)
            self._execute(d)

    def _execute(self, d: Decision) -> None:
        if isinstance(d, Narrate):
            self._later(NarrationStarted(d.narration_id, d.t + 0.3))
            self._later(NarrationFinished(d.narration_id, d.t + self.narration_s))
        elif isinstance(d, StopNarration):
            self._timeline = [x for x in self._timeline
                              if not (isinstance(x[2], NarrationFinished) and x[2].narration_id == d.narration_id)]
            heapq.heapify(self._timeline)
            self._later(NarrationCut(d.narration_id, d.t + 0.01))
        elif isinstance(d, StopSampling):
            self.sampler.stop()

    def run_until(self, end: float) -> None:
        """Consume the sampler's posts until its clock passes ``end`` (timeline events interleaved by time)."""
        while True:
            item = self.posts.get()
            t = getattr(item, "t", None)
            while self._timeline and t is not None and self._timeline[0][0] <= t:
                self.feed(heapq.heappop(self._timeline)[2])
            if isinstance(item, SceneChanged):
                self.scenes.append(item)
            if isinstance(item, (SceneChanged, Tick)):
                self.feed(item)
            if isinstance(item, Tick) and item.t >= end:
                return

    def narrations(self) -> list[Narrate]:
        return [d for d in self.decisions if isinstance(d, Narrate)]

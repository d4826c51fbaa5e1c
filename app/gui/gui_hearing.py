"""Hearing for the desktop app: hands-free voice detection with push-to-talk on top, switchable at run time.

The terminal front end picks one endpointer per run; the window has both a hands-free toggle and a push-to-talk
button, so :class:`DualEndpointer` runs voice detection while hands-free is on and lets a held button take over
(holding it always makes exactly one utterance). Mode changes are applied on the hearing thread, between blocks.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from app.ports.pipeline import PipelineHearing
from audio.endpoint import EndpointConfig, PushToTalkEndpointer, VadEndpointer
from audio.pipeline import HearingPipeline
from audio.types import STT_RATE, EndpointEvent


class DualEndpointer:
    """An Endpointer (audio/endpoint.py protocol) combining a VAD endpointer and a push-to-talk one."""

    def __init__(self, vad_backend: Any, config: EndpointConfig, hands_free: bool) -> None:
        self._vad_backend, self._cfg = vad_backend, config
        self.ptt = PushToTalkEndpointer(config, STT_RATE)
        self._pos = 0  # samples seen: new VAD endpointers start at the current stream time
        self._lock = threading.Lock()
        self._want_hands_free = hands_free
        self.vad: VadEndpointer | None = self._new_vad() if hands_free else None
        self._vad_stale = False

    def _new_vad(self, at_sample: int | None = None) -> VadEndpointer:
        self._vad_backend.reset()
        at = self._pos if at_sample is None else at_sample
        return VadEndpointer(self._vad_backend, self._cfg, t0=at / STT_RATE)

    # any thread
    def set_hands_free(self, enabled: bool) -> None:
        with self._lock:
            self._want_hands_free = enabled

    def press(self, at: float | None = None) -> None:
        self.ptt.press(at)

    def release(self, at: float | None = None) -> None:
        self.ptt.release(at)

    @property
    def hands_free(self) -> bool:
        return self.vad is not None

    # hearing thread
    def process(self, pcm: np.ndarray) -> list[EndpointEvent]:
        with self._lock:
            want = self._want_hands_free
        start = self._pos
        if want != self.hands_free:
            self.vad = self._new_vad(start) if want else None
        events = self.ptt.process(pcm)
        self._pos += len(pcm)
        if self.vad is None:
            return events
        if self.ptt.pressed or events:  # the button owns this stretch; voice detection restarts after it
            self._vad_stale = True
            return events
        if self._vad_stale:
            self.vad, self._vad_stale = self._new_vad(start), False
        return self.vad.process(pcm)

    def current_audio(self) -> np.ndarray | None:
        if self.ptt.pressed or self.vad is None:
            return self.ptt.current_audio()
        return self.vad.current_audio()

    def flush(self) -> list[EndpointEvent]:
        return self.ptt.flush() + (self.vad.flush() if self.vad is not None else [])


class GuiHearing(PipelineHearing):
    """PipelineHearing whose hands-free toggle works while running (the session forwards SetHandsFree here)."""

    def __init__(self, pipeline: HearingPipeline, endpointer: DualEndpointer) -> None:
        pipeline.endpointer = endpointer
        super().__init__(pipeline)
        self.endpointer = endpointer

    def set_hands_free(self, enabled: bool) -> None:
        self.endpointer.set_hands_free(enabled)

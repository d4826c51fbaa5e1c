"""Turning a stream of 16 kHz audio into turns: hands-free (voice activity) and push-to-talk endpointers.

Hands-free state machine, one VAD window at a time::

    quiet --p>=threshold--> starting --voiced for min_speech_ms--> speaking --p<release--> trailing
      ^                        | p<release (a click)                  ^                      |  |
      +------------------------+                                      +---- p>=threshold ----+  |
      +------------------------- silent for min_pause_ms: SpeechEnded + Utterance --------------+

Utterances carry ``pre_roll_ms`` of audio before the onset (the first syllable is never clipped) and ``post_roll_ms``
after the end. ``audio/`` cannot import ``app/``: the app maps its settings onto :class:`EndpointConfig`.
"""

from __future__ import annotations

import collections
import enum
import math
import threading
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from audio.types import STT_RATE, EndpointEvent, SpeechEnded, SpeechStarted, Utterance
from audio.vad import VadBackend


@dataclass(frozen=True)
class EndpointConfig:
    threshold: float = 0.5  # speech probability that starts/continues voice (lower = more sensitive)
    release: float = 0.35  # below this a window counts as silence (hysteresis)
    min_speech_ms: float = 64.0  # voice shorter than this is a click, not a turn
    min_pause_ms: float = 500.0  # silence that ends a turn; a shorter "thinking pause" does not
    pre_roll_ms: float = 300.0
    post_roll_ms: float = 100.0
    max_utterance_s: float = 30.0  # a turn this long is cut (and a new one starts if voice continues)

    @staticmethod
    def from_sensitivity(sensitivity: float, min_pause_ms: float = 500.0) -> "EndpointConfig":
        """Map a 0..1 sensitivity setting (1 = most sensitive) onto thresholds."""
        s = min(1.0, max(0.0, sensitivity))
        thr = 0.8 - 0.6 * s
        return EndpointConfig(threshold=thr, release=max(0.05, thr - 0.15), min_pause_ms=min_pause_ms)


class Endpointer(Protocol):
    def process(self, pcm: np.ndarray) -> list[EndpointEvent]: ...

    def flush(self) -> list[EndpointEvent]:
        """End of stream: close an open turn."""
        ...

    def current_audio(self) -> np.ndarray | None:
        """The open turn's audio so far (for partial transcripts), or None."""
        ...


class EndpointState(enum.Enum):
    QUIET = "quiet"
    STARTING = "starting"
    SPEAKING = "speaking"
    TRAILING = "trailing"


def _windows(ms: float, win: int, rate: int) -> int:
    return max(1, math.ceil(ms / 1000.0 * rate / win))


class VadEndpointer:
    """Hands-free endpointing over any :class:`VadBackend`; feed 16 kHz mono float32 of any block size."""

    def __init__(self, vad: VadBackend, config: EndpointConfig | None = None, t0: float = 0.0) -> None:
        self.vad, self.cfg = vad, config or EndpointConfig()
        self._win, self._rate = vad.window_size, vad.sample_rate
        c = self.cfg
        self._n_start = _windows(c.min_speech_ms, self._win, self._rate)
        self._n_pause = _windows(c.min_pause_ms, self._win, self._rate)
        self._n_post = min(self._n_pause, _windows(c.post_roll_ms, self._win, self._rate))
        self._n_max = _windows(c.max_utterance_s * 1000.0, self._win, self._rate)
        self._history: collections.deque[np.ndarray] = collections.deque(
            maxlen=_windows(c.pre_roll_ms, self._win, self._rate)
        )
        self._pending = np.zeros(0, dtype=np.float32)
        self._t0 = t0
        self._i = 0  # index of the next window
        self.state = EndpointState.QUIET
        self.last_probability = 0.0
        self._turn: list[np.ndarray] = []  # windows of the open turn, pre-roll included
        self._turn_first = 0  # window index of self._turn[0]
        self._onset = 0
        self._silence_start = 0

    def _t(self, window_index: int) -> float:
        return self._t0 + window_index * self._win / self._rate

    def process(self, pcm: np.ndarray) -> list[EndpointEvent]:
        x = np.asarray(pcm, dtype=np.float32)
        buf = np.concatenate([self._pending, x]) if len(self._pending) else x
        events: list[EndpointEvent] = []
        n_full = len(buf) // self._win
        for k in range(n_full):
            events.extend(self._step(buf[k * self._win : (k + 1) * self._win]))
        self._pending = buf[n_full * self._win :].copy()
        return events

    def _step(self, w: np.ndarray) -> list[EndpointEvent]:
        p = self.vad.probability(w)
        self.last_probability = p
        i, c, st = self._i, self.cfg, self.state
        self._i += 1
        events: list[EndpointEvent] = []
        if st is EndpointState.QUIET:
            if p >= c.threshold:
                self._turn = list(self._history) + [w.copy()]
                self._turn_first = i - len(self._history)
                self._onset, self.state = i, EndpointState.STARTING
            else:
                self._history.append(w.copy())
            if self.state is EndpointState.QUIET or self._n_start > 1:
                return events
            st = self.state  # a one-window minimum: fall through to confirm the start now
        else:
            self._turn.append(w.copy())
        if st is EndpointState.STARTING:
            if p < c.release:
                self._history.extend(self._turn[-(i - self._onset + 1) :])
                self._turn, self.state = [], EndpointState.QUIET
            elif i - self._onset + 1 >= self._n_start:
                self.state = EndpointState.SPEAKING
                events.append(SpeechStarted(self._t(self._onset), self._t(i + 1)))
        elif st is EndpointState.SPEAKING:
            if p < c.release:
                self._silence_start, self.state = i, EndpointState.TRAILING
        elif st is EndpointState.TRAILING:
            if p >= c.threshold:
                self.state = EndpointState.SPEAKING
            elif i - self._silence_start + 1 >= self._n_pause:
                events.extend(self._end(self._silence_start, i + 1))
        if self.state is EndpointState.SPEAKING and i - self._onset + 1 >= self._n_max:
            events.extend(self._end(i + 1, i + 1))
        return events

    def _end(self, end_window: int, detected_window: int) -> list[EndpointEvent]:
        """Close the turn whose voice ended at ``end_window``; windows after the post-roll become pre-roll history."""
        cut = min(end_window + self._n_post, self._turn_first + len(self._turn)) - self._turn_first
        pcm = np.concatenate(self._turn[:cut])
        self._history.clear()
        self._history.extend(self._turn[cut:])
        t_end = self._t(end_window)
        utt = Utterance(pcm, self._rate, self._t(self._onset), t_end, self._t(self._turn_first))
        self._turn, self.state = [], EndpointState.QUIET
        return [SpeechEnded(t_end, self._t(detected_window)), utt]

    def current_audio(self) -> np.ndarray | None:
        """The open turn's audio so far (pre-roll included), for partial transcripts; None when quiet."""
        if self.state not in (EndpointState.SPEAKING, EndpointState.TRAILING) or not self._turn:
            return None
        return np.concatenate(self._turn)

    def flush(self) -> list[EndpointEvent]:
        if self.state in (EndpointState.SPEAKING, EndpointState.TRAILING):
            end = self._silence_start if self.state is EndpointState.TRAILING else self._i
            return self._end(end, self._i)
        self._turn, self.state = [], EndpointState.QUIET
        return []

    def reset(self) -> None:
        self.vad.reset()
        self._history.clear()
        self._pending = np.zeros(0, dtype=np.float32)
        self._turn, self.state = [], EndpointState.QUIET


class PushToTalkEndpointer:
    """Utterance = press..release plus pre-roll. ``press``/``release`` may be called from any thread; they take
    effect at the next ``process`` call (or at an explicit stream time ``at``, for files and tests)."""

    def __init__(self, config: EndpointConfig | None = None, sample_rate: int = STT_RATE, t0: float = 0.0) -> None:
        self.cfg, self._rate, self._t0 = config or EndpointConfig(), sample_rate, t0
        self._pre = max(1, int(self.cfg.pre_roll_ms / 1000.0 * sample_rate))
        self._lock = threading.Lock()
        self._actions: collections.deque[tuple[bool, float | None]] = collections.deque()
        self._recent = np.zeros(0, dtype=np.float32)  # audio since max(press - pre_roll, ...) or the last pre-roll
        self._recent_start = 0  # sample index of _recent[0]
        self._pos = 0  # samples consumed
        self._pressed_at: int | None = None
        self.pressed = False

    def press(self, at: float | None = None) -> None:
        with self._lock:
            self._actions.append((True, at))

    def release(self, at: float | None = None) -> None:
        with self._lock:
            self._actions.append((False, at))

    def process(self, pcm: np.ndarray) -> list[EndpointEvent]:
        x = np.asarray(pcm, dtype=np.float32)
        before = self._pos  # a press/release "now" happened before this block arrived
        self._recent = np.concatenate([self._recent, x])
        self._pos += len(x)
        events: list[EndpointEvent] = []
        while True:
            with self._lock:
                if not self._actions:
                    break
                down, at = self._actions[0]
                s = before if at is None else int(round((at - self._t0) * self._rate))
                if s > self._pos:
                    break  # scheduled for audio not yet seen
                self._actions.popleft()
            events.extend(self._press(s) if down else self._release(s))
        if self._pressed_at is None and len(self._recent) > self._pre:  # idle: keep only the pre-roll
            drop = len(self._recent) - self._pre
            self._recent, self._recent_start = self._recent[drop:], self._recent_start + drop
        return events

    def _press(self, s: int) -> list[EndpointEvent]:
        if self._pressed_at is not None:
            return []
        self._pressed_at, self.pressed = s, True
        t = self._t0 + s / self._rate
        return [SpeechStarted(t, self._t0 + self._pos / self._rate)]

    def _release(self, s: int) -> list[EndpointEvent]:
        if self._pressed_at is None:
            return []
        first = max(self._recent_start, self._pressed_at - self._pre)
        pcm = self._recent[first - self._recent_start : s - self._recent_start].copy()
        t_start, t_end = self._t0 + self._pressed_at / self._rate, self._t0 + s / self._rate
        self._pressed_at, self.pressed = None, False
        t_det = self._t0 + self._pos / self._rate
        return [SpeechEnded(t_end, t_det), Utterance(pcm, self._rate, t_start, t_end, self._t0 + first / self._rate)]

    def current_audio(self) -> np.ndarray | None:
        if self._pressed_at is None:
            return None
        first = max(self._recent_start, self._pressed_at - self._pre)
        return self._recent[first - self._recent_start :].copy()

    def flush(self) -> list[EndpointEvent]:
        return self._release(self._pos) if self._pressed_at is not None else []

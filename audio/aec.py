"""Acoustic echo cancellation: remove Hearth's own voice (the far end) from the microphone signal (the near end).

``WebRtcEchoCanceller`` wraps WebRTC's AEC3 through ``livekit.rtc.AudioProcessingModule``: exactly 10 ms int16 frames,
``process_reverse_stream`` for the far end and ``process_stream`` for the microphone, both in place.
``PassthroughEchoCanceller`` does nothing (headphones, or livekit missing).

Threading: the player calls ``push_far_end`` from its own thread (even its audio callback): it only copies and appends
to a locked queue. The capture thread calls ``process_near_end``, which converts the queued far end to 10 ms frames and
feeds one of them to the canceller before each microphone frame, so render and capture stay in step (AEC3 estimates
the remaining acoustic delay itself). Push far-end audio when it is handed to the device, not earlier: a backlog beyond
``max_far_backlog_ms`` is dropped.
"""

from __future__ import annotations

import collections
import threading
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from audio.resample import StreamResampler
from audio.types import STT_RATE, AudioError, UnsupportedSampleRate

APM_RATES = (8000, 16000, 32000, 48000)


@runtime_checkable
class EchoCanceller(Protocol):
    name: str

    @property
    def sample_rate(self) -> int: ...

    def push_far_end(self, pcm: np.ndarray, sample_rate: int) -> None:
        """The signal sent to the speaker (any rate; resampled internally). Thread-safe."""
        ...

    def process_near_end(self, pcm: np.ndarray) -> np.ndarray:
        """Microphone samples at ``sample_rate`` in, echo-reduced samples out (same length)."""
        ...

    def reset(self) -> None: ...


@dataclass(frozen=True)
class AecConfig:
    sample_rate: int = STT_RATE
    noise_suppression: bool = True
    high_pass_filter: bool = True
    auto_gain_control: bool = False
    stream_delay_ms: int = 0  # known extra delay between playback and capture (AEC3 also estimates it)
    max_far_backlog_ms: int = 500  # far-end audio queued beyond this is skipped to keep render and capture aligned
    # While Hearth has been silent for this long the microphone passes through untouched (the canceller keeps
    # adapting): AEC3/NS artifacts then cannot blur the user's speech boundaries. 0 = always use the processed signal.
    bypass_after_silent_ms: int = 1000


class PassthroughEchoCanceller:
    name = "none"

    def __init__(self, sample_rate: int = STT_RATE) -> None:
        self._rate = sample_rate

    @property
    def sample_rate(self) -> int:
        return self._rate

    def push_far_end(self, pcm: np.ndarray, sample_rate: int) -> None:
        return None

    def process_near_end(self, pcm: np.ndarray) -> np.ndarray:
        return np.asarray(pcm, dtype=np.float32)

    def reset(self) -> None:
        return None


def _to_int16(x: np.ndarray) -> np.ndarray:
    return (np.clip(x, -1.0, 32767 / 32768) * 32768.0).astype(np.int16)


class WebRtcEchoCanceller:
    name = "webrtc"

    def __init__(self, config: AecConfig | None = None) -> None:
        cfg = config or AecConfig()
        if cfg.sample_rate not in APM_RATES:
            raise UnsupportedSampleRate(
                f"Echo cancellation runs at {', '.join(map(str, APM_RATES))} Hz, not {cfg.sample_rate} Hz. "
                "Resample the microphone signal to 16000 Hz first."
            )
        try:
            from livekit import rtc
        except (ImportError, OSError) as e:
            raise AudioError(f"Echo cancellation needs the livekit package ({e}). Run `uv sync`.") from None
        self._rtc, self.cfg = rtc, cfg
        self._frame = cfg.sample_rate // 100
        self._lock = threading.Lock()
        # filled by any thread; bounded so that playback without capture cannot grow it forever
        self._far_raw: collections.deque[tuple[np.ndarray, int]] = collections.deque(maxlen=1024)
        self._far: collections.deque[np.ndarray] = collections.deque()  # capture thread only
        self._far_rest = np.zeros(0, dtype=np.float32)
        self._far_resamplers: dict[int, StreamResampler] = {}
        self._near_in = np.zeros(0, dtype=np.float32)
        self._near_out = np.zeros(0, dtype=np.float32)
        self.far_frames_skipped = 0
        self._frames_done = 0
        self._far_live_until = -1  # frame index until which the far end counts as recently active
        self._make_apm()

    def _make_apm(self) -> None:
        c = self.cfg
        self._apm = self._rtc.AudioProcessingModule(
            echo_cancellation=True,
            noise_suppression=c.noise_suppression,
            high_pass_filter=c.high_pass_filter,
            auto_gain_control=c.auto_gain_control,
        )

    @property
    def sample_rate(self) -> int:
        return self.cfg.sample_rate

    def push_far_end(self, pcm: np.ndarray, sample_rate: int) -> None:
        # often called from the player's audio callback: only copy and queue; conversion happens on the capture side
        item = (np.array(pcm, dtype=np.float32, copy=True).reshape(-1), int(sample_rate))
        with self._lock:
            self._far_raw.append(item)

    def _drain_far(self) -> None:
        """Queued far-end audio -> 16-bit 10 ms frames at the canceller's rate (capture thread)."""
        with self._lock:
            items = list(self._far_raw)
            self._far_raw.clear()
        for x, rate in items:
            if rate != self.cfg.sample_rate:
                rs = self._far_resamplers.get(rate)
                if rs is None:
                    rs = self._far_resamplers[rate] = StreamResampler(rate, self.cfg.sample_rate)
                x = rs.process(x)
            buf = np.concatenate([self._far_rest, x])
            n = len(buf) // self._frame
            self._far.extend(_to_int16(buf[k * self._frame : (k + 1) * self._frame]) for k in range(n))
            self._far_rest = buf[n * self._frame :]
        limit = max(1, self.cfg.max_far_backlog_ms // 10)
        while len(self._far) > limit:
            self._far.popleft()
            self.far_frames_skipped += 1

    def _next_far(self) -> np.ndarray | None:
        return self._far.popleft() if self._far else None

    def _frame_obj(self, data: np.ndarray):  # rtc.AudioFrame over a private copy (processed in place)
        return self._rtc.AudioFrame(bytearray(data.tobytes()), self.cfg.sample_rate, 1, self._frame)

    def process_near_end(self, pcm: np.ndarray) -> np.ndarray:
        x = np.asarray(pcm, dtype=np.float32)
        self._drain_far()
        buf = np.concatenate([self._near_in, x])
        n = len(buf) // self._frame
        out = [self._process_frame(buf[k * self._frame : (k + 1) * self._frame]) for k in range(n)]
        self._near_in = buf[n * self._frame :]
        done = np.concatenate([self._near_out, *out]) if out else self._near_out
        if len(done) < len(x):  # only before the first full frame: keep output length == input length
            done = np.concatenate([np.zeros(len(x) - len(done), dtype=np.float32), done])
        self._near_out = done[len(x) :]
        return done[: len(x)]

    def _process_frame(self, near: np.ndarray) -> np.ndarray:
        far = self._next_far()
        if far is not None:
            if np.max(np.abs(far)) > 32:  # above ~-60 dBFS: Hearth is audible
                self._far_live_until = self._frames_done + self.cfg.bypass_after_silent_ms // 10
            self._apm.process_reverse_stream(self._frame_obj(far))
        frame = self._frame_obj(_to_int16(near))
        self._apm.set_stream_delay_ms(self.cfg.stream_delay_ms)
        self._apm.process_stream(frame)
        self._frames_done += 1
        if self.cfg.bypass_after_silent_ms > 0 and self._frames_done > self._far_live_until:
            return near.astype(np.float32)
        return np.frombuffer(frame.data, dtype=np.int16).astype(np.float32) / 32768.0

    def reset(self) -> None:
        with self._lock:
            self._far_raw.clear()
        self._far.clear()
        self._far_rest = np.zeros(0, dtype=np.float32)
        self._near_in = np.zeros(0, dtype=np.float32)
        self._near_out = np.zeros(0, dtype=np.float32)
        self._frames_done, self._far_live_until = 0, -1
        self._make_apm()


def make_echo_canceller(backend: str = "webrtc", config: AecConfig | None = None) -> tuple[EchoCanceller, str]:
    """The requested canceller, falling back to passthrough; returns (canceller, note for the user or "")."""
    cfg = config or AecConfig()
    if backend == "none":
        return PassthroughEchoCanceller(cfg.sample_rate), ""
    if backend != "webrtc":
        raise AudioError(f"Unknown echo canceller {backend!r}. Use 'webrtc' or 'none'.")
    try:
        return WebRtcEchoCanceller(cfg), ""
    except UnsupportedSampleRate:
        raise
    except (AudioError, RuntimeError) as e:
        return PassthroughEchoCanceller(cfg.sample_rate), f"Echo cancellation unavailable ({e}); echo is not removed."

"""The small, stable vocabulary of the audio layer: formats, blocks, endpointing events and typed errors.

Everything here is a frozen dataclass (or an exception with a user-facing message) holding plain Python / numpy
values, so it may cross threads. Times are seconds of *stream time*: sample index / sample rate since the source
started, which makes file and microphone runs reproducible and latencies subtractable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

STT_RATE = 16000  # what VAD, AEC and speech-to-text run at


@dataclass(frozen=True)
class AudioFormat:
    sample_rate: int
    channels: int = 1


@dataclass(frozen=True)
class AudioBlock:
    """A fixed-size block of mono float32 samples in [-1, 1] starting at stream time ``t_start``."""

    pcm: np.ndarray = field(repr=False, compare=False)
    sample_rate: int
    t_start: float

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate

    @property
    def t_end(self) -> float:
        return self.t_start + self.duration


# ------------------------------------------------------------------------------------------------ endpointing events
@dataclass(frozen=True)
class SpeechStarted:
    """Voice began at ``t`` (stream seconds); it was decided at ``t_detected``."""

    t: float
    t_detected: float


@dataclass(frozen=True)
class SpeechEnded:
    """Voice ended at ``t``; the end of turn was decided at ``t_detected`` (after the minimum pause)."""

    t: float
    t_detected: float


@dataclass(frozen=True)
class Utterance:
    """One turn's audio (with pre-roll before ``t_start`` and a little tail after ``t_end``)."""

    pcm: np.ndarray = field(repr=False, compare=False)
    sample_rate: int
    t_start: float  # speech onset
    t_end: float  # speech end
    t_pcm_start: float  # stream time of pcm[0] (t_start minus the pre-roll actually available)

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate


@dataclass(frozen=True)
class DeviceSwitched:
    """The microphone changed (e.g. it was unplugged and Hearth fell back to the default device)."""

    old: str
    new: str
    message: str


EndpointEvent = SpeechStarted | SpeechEnded | Utterance


# ---------------------------------------------------------------------------------------------------------- errors
class AudioError(Exception):
    """Any audio failure; ``str()`` is a user-facing message saying what happened and how to fix it."""


class AudioBackendUnavailable(AudioError):
    """PortAudio (or another native audio library) is missing."""


class DeviceNotFound(AudioError):
    """No input device matches the requested name (or there is no input device at all)."""


class DeviceLost(AudioError):
    """The device stopped delivering audio (unplugged, or taken by another program)."""


class UnsupportedSampleRate(AudioError):
    """A device or a processing stage cannot run at the requested sample rate."""


class AudioFileError(AudioError):
    """A file is missing, not a WAV file, or corrupt."""

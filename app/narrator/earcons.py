"""Short audio cues, generated with numpy (no asset files): 24 kHz float32 mono, at most 300 ms, soft envelopes.

Each cue differs from the others in pitch, direction and rhythm, so that it can be told apart without looking:
- listening: two quick rising notes, high (ready — speak now);
- thinking: two soft low pulses on one pitch (working on it);
- narration on: three rising notes (C-E-G);
- narration off: two falling notes, lower (G-C), shorter than "on";
- error: a low buzzy tone (odd harmonics), twice.
Every note rises in 8 ms and fades with a raised-cosine tail, peaks stay at or below 0.3 (under speech level).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from app.engine.messages import AudioChunk

SAMPLE_RATE = 24000
MAX_SECONDS = 0.3
EARCON_TURN_ID = -1  # the player queue tag for cues: never a conversation turn id


class EarconKind(enum.Enum):
    LISTENING = "listening"
    THINKING = "thinking"
    NARRATION_ON = "narration on"
    NARRATION_OFF = "narration off"
    ERROR = "error"


@dataclass(frozen=True)
class Earcon:
    kind: EarconKind
    pcm: np.ndarray = field(compare=False, repr=False)  # mono float32 at sample_rate
    sample_rate: int = SAMPLE_RATE

    @property
    def duration_s(self) -> float:
        return len(self.pcm) / self.sample_rate

    def as_chunk(self, clause_id: int = 0, turn_id: int = EARCON_TURN_ID) -> AudioChunk:
        """The cue as one final audio chunk for an AudioOut / the player."""
        return AudioChunk(turn_id, clause_id, self.pcm, self.sample_rate, last=True)


@dataclass(frozen=True)
class _Note:
    freq: float  # Hz (0: a rest)
    seconds: float
    amp: float = 0.25
    odd_harmonics: int = 0  # > 0: add 3rd, 5th, ... harmonics (a reedy, buzzy timbre)


_DESIGNS: dict[EarconKind, tuple[_Note, ...]] = {
    EarconKind.LISTENING: (_Note(660, 0.07), _Note(0, 0.01), _Note(990, 0.08)),
    EarconKind.THINKING: (_Note(330, 0.06, 0.18), _Note(0, 0.06), _Note(330, 0.06, 0.18)),
    EarconKind.NARRATION_ON: (_Note(523.25, 0.08), _Note(659.25, 0.08), _Note(783.99, 0.11)),
    EarconKind.NARRATION_OFF: (_Note(392.0, 0.08), _Note(261.63, 0.12)),
    EarconKind.ERROR: (_Note(185, 0.11, 0.22, 3), _Note(0, 0.04), _Note(185, 0.11, 0.22, 3)),
}


def _envelope(n: int, rate: int, attack_s: float = 0.008) -> np.ndarray:
    attack = min(n // 2, max(1, int(attack_s * rate)))
    release = max(1, n // 2)
    env = np.ones(n, np.float32)
    env[:attack] = 0.5 - 0.5 * np.cos(np.pi * np.arange(attack) / attack)
    env[n - release:] *= 0.5 + 0.5 * np.cos(np.pi * np.arange(1, release + 1) / release)
    return env


def _render(note: _Note, rate: int) -> np.ndarray:
    n = int(round(note.seconds * rate))
    if note.freq <= 0:
        return np.zeros(n, np.float32)
    t = np.arange(n) / rate
    wave = np.sin(2 * np.pi * note.freq * t)
    for k in range(1, note.odd_harmonics + 1):
        wave += np.sin(2 * np.pi * note.freq * (2 * k + 1) * t) / (2 * k + 1)
    wave /= np.abs(wave).max()
    return (note.amp * wave * _envelope(n, rate)).astype(np.float32)


@lru_cache(maxsize=None)
def earcon(kind: EarconKind) -> Earcon:
    """The cue for ``kind`` (made once, then shared; its samples must not be changed)."""
    pcm = np.concatenate([_render(note, SAMPLE_RATE) for note in _DESIGNS[kind]])
    pcm.setflags(write=False)
    return Earcon(kind, pcm)


def all_earcons() -> dict[EarconKind, Earcon]:
    return {kind: earcon(kind) for kind in EarconKind}

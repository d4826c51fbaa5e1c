"""Speech test material made on the spot with Debian's espeak-ng, with exactly known silences between phrases.

Shared by tests/audio, tests/stt and scripts/bench_audio.py (which put this folder on sys.path).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from audio.resample import resample
from audio.wav import read_wav

RATE = 16000
PHRASES = (
    "Hello Hearth what is the weather like today",
    "Please set a timer for ten minutes",
    "Tell me a story about the mountains",
    "Turn on the lights in the kitchen",
    "How far away is the moon",
    "Read me the latest news",
)


def have_espeak() -> bool:
    return shutil.which("espeak-ng") is not None


def speak(text: str, voice: str = "en-us", pitch: int = 50) -> np.ndarray:
    """espeak-ng speech at 16 kHz, trimmed to its first and last audible sample."""
    with tempfile.TemporaryDirectory() as d:
        wav = Path(d) / "s.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-p", str(pitch), "-w", str(wav), text], check=True)
        pcm, rate = read_wav(wav)
    pcm = resample(pcm, rate, RATE)
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    return pcm[loud[0] : loud[-1] + 1].astype(np.float32)


@dataclass(frozen=True)
class Take:
    """A signal and the true (start, end) seconds of each turn in it."""

    pcm: np.ndarray = field(repr=False)
    turns: tuple[tuple[float, float], ...]
    inner_pauses: tuple[tuple[float, float], ...] = ()  # short pauses *inside* a turn


def compose(parts: list[np.ndarray | float], gain: float = 0.5) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Concatenate speech arrays and silences (floats, seconds); returns signal and each speech part's span."""
    out, spans, pos = [], [], 0
    for p in parts:
        x = np.zeros(int(round(p * RATE)), np.float32) if isinstance(p, float) else p * gain
        if not isinstance(p, float):
            spans.append((pos / RATE, (pos + len(x)) / RATE))
        out.append(x)
        pos += len(x)
    return np.concatenate(out).astype(np.float32), spans


def turn_take(pause: float = 1.2, inner_pause: float = 0.3) -> Take:
    """Three turns separated by ``pause``; the second has a thinking pause of ``inner_pause`` inside it."""
    a, b1, b2, c = speak(PHRASES[0]), speak("Please set a timer"), speak("for ten minutes"), speak(PHRASES[2])
    pcm, s = compose([0.8, a, pause, b1, inner_pause, b2, pause, c, 1.0])
    turns = ((s[0][0], s[0][1]), (s[1][0], s[2][1]), (s[3][0], s[3][1]))
    return Take(pcm, turns, ((s[1][1], s[2][0]),))


def phrase_set() -> list[Take]:
    """Each phrase alone between silences: for end-of-speech delay statistics."""
    takes = []
    for i, text in enumerate(PHRASES):
        pcm, s = compose([0.6, speak(text, pitch=40 + 8 * i), 1.5])
        takes.append(Take(pcm, (s[0],)))
    return takes


def room_echo(far: np.ndarray, delay_s: float = 0.04, rt_s: float = 0.03, gain: float = 0.5, seed: int = 0):
    """Far-end signal through a simulated room: pure delay plus an exponentially decaying random impulse response."""
    rng = np.random.default_rng(seed)
    n_ir = int(0.15 * RATE)
    ir = rng.standard_normal(n_ir) * np.exp(-np.arange(n_ir) / (rt_s * RATE))
    ir *= gain / np.sqrt(np.sum(ir**2))
    h = np.concatenate([np.zeros(int(delay_s * RATE)), ir])
    return np.convolve(far, h)[: len(far)].astype(np.float32)

"""Helpers for the real-weight tests: espeak speech, running the `hearth` CLI, word error rate."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np

OPENBLAS = Path("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3")  # Debian libopenblas0-pthread


def espeak(text: str, tmp: Path) -> tuple[np.ndarray, int]:
    """espeak-ng's voice saying ``text`` (its own rate, 22050 Hz), trimmed to the audible part."""
    from audio.wav import read_wav

    wav = tmp / "espeak.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), text], check=True, timeout=60)
    pcm, rate = read_wav(wav)
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    return pcm[loud[0] : loud[-1] + 1].astype(np.float32), rate


def hearth_cmd() -> list[str]:
    """The installed ``hearth`` entry point of this environment (else ``uv run hearth``)."""
    exe = Path(sys.executable).parent / "hearth"
    return [str(exe)] if exe.exists() else ["uv", "run", "hearth"]


def hearth_env(home: Path) -> dict[str, str]:
    """A private HEARTH_HOME, offline hub, and OpenBLAS for MLX's CPU matmuls when Debian ships it (~7x faster
    Whisper here; results are the same)."""
    env = dict(os.environ, HEARTH_HOME=str(home), HF_HUB_OFFLINE="1")
    if OPENBLAS.exists() and "LD_PRELOAD" not in env:
        env["LD_PRELOAD"] = str(OPENBLAS)
    return env


def run_hearth(args: list[str], home: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    done = subprocess.run([*hearth_cmd(), *args], env=hearth_env(home), capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise AssertionError(f"hearth {' '.join(args)} exited {done.returncode}:\n{done.stdout}\n{done.stderr}")
    return done


# ------------------------------------------------------------------------------------------------ word error rate
ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen").split()
TENS = "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()


def number_words(n: int) -> str:
    """0..999 in words ("10" and "ten" compare equal after normalising)."""
    if n < 20:
        return ONES[n]
    if n < 100:
        return TENS[n // 10] + ("" if n % 10 == 0 else " " + ONES[n % 10])
    rest = n % 100
    return ONES[n // 100] + " hundred" + ("" if rest == 0 else " " + number_words(rest))


def normalise(text: str) -> list[str]:
    """Lower-case words: "main.py" -> "main dot py", "5:30" / "5.30" -> "five thirty", "10" -> "ten", punctuation dropped."""
    t = text.lower()
    t = re.sub(r"(?<=\w)\.(?=[a-z])", " dot ", t)  # file names: a dot between word characters
    t = re.sub(r"\b(\d{1,2})[:.](\d\d)\b", lambda m: f"{m.group(1)} {int(m.group(2))}" if m.group(2) != "00" else m.group(1), t)
    t = re.sub(r"\d+", lambda m: number_words(int(m.group())) if int(m.group()) < 1000 else m.group(), t)
    t = re.sub(r"[^a-z' ]+", " ", t).replace("'", "")
    return t.split()


def edit_distance(ref: list[str], hyp: list[str]) -> int:
    row = list(range(len(hyp) + 1))
    for i, r in enumerate(ref, 1):
        prev, row[0] = row[0], i
        for j, h in enumerate(hyp, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (r != h))
    return row[-1]


def word_error_rate(refs: list[str], hyps: list[str]) -> float:
    """Corpus WER: word edits summed over all pairs / reference words."""
    pairs = [(normalise(r), normalise(h)) for r, h in zip(refs, hyps, strict=True)]
    return sum(edit_distance(r, h) for r, h in pairs) / sum(len(r) for r, _ in pairs)

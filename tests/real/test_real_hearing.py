"""`hearth listen --in` with the real Whisper tiny.en: espeak-spoken commands come back as the right words.

The whole hearing path runs in a `hearth` process: WAV reader, resampler (48 kHz case), VAD endpointing, the engine
thread and Hearth's mlx-audio adapter. The bound is on the corpus word error rate after normalising numbers
("10" = "ten") and file names ("main.py" = "main dot py").
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest

from tests.real.helpers import espeak, run_hearth, word_error_rate

pytestmark = [pytest.mark.real, pytest.mark.slow]

COMMANDS = [
    "Set a timer for ten minutes.",
    "Run the tests in test dot py.",
    "What is the weather like today?",
    "Switch off the kitchen lights.",
    "Play some music in the living room.",
    "Call my sister at five thirty.",
    "How many days are left until Friday?",
]
# Measured (stable over runs): 16 kHz 0.068 ("Run the test syntax.py": 3 of 44 words), 48 kHz 0.023 ("Run the test
# in test.py"). The bound allows 6 wrong words; a broken conversion, resampler or endpointer gives far more.
# (A command Whisper tiny.en is unsure of makes it fall back to sampling at temperature 0.4, which varies run to run:
# "Turn off the lights in the kitchen" did, so it is not used.)
MAX_WER = 0.15
TRANSCRIPT = re.compile(r"transcript \([\d.]+ s\): (.*)$")


def command_take(rate: int, tmp) -> np.ndarray:
    """The commands spoken one after another with 1 s pauses (VAD must cut them), at ``rate``."""
    from audio.resample import resample

    parts = [np.zeros(rate // 2, np.float32)]
    for text in COMMANDS:
        pcm, src = espeak(text, tmp)
        parts += [0.9 * resample(pcm, src, rate), np.zeros(rate, np.float32)]
    return np.concatenate(parts).astype(np.float32)


@pytest.mark.parametrize("rate", [16000, 48000])
def test_listen_transcribes_spoken_commands(rate, tmp_path, real_whisper_folder, have_espeak):
    from audio.wav import write_wav

    wav = write_wav(tmp_path / f"commands-{rate}.wav", command_take(rate, tmp_path), rate)
    done = run_hearth(["listen", "--in", str(wav), "--model", str(real_whisper_folder), "--no-partials",
                       "--no-aec"], tmp_path / "home")
    lines = [m.group(1) for line in done.stdout.splitlines() if (m := TRANSCRIPT.search(line))]
    heard = [ast.literal_eval(text) for text in lines]
    assert f"{len(COMMANDS)} utterance(s)" in done.stderr, done.stderr
    assert len(heard) == len(COMMANDS), done.stdout
    wer = word_error_rate(COMMANDS, heard)
    print(f"{rate} Hz: WER {wer:.3f}", *heard, sep="\n  ")
    assert wer <= MAX_WER, f"WER {wer:.3f} > {MAX_WER}: {heard}"

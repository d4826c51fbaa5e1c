"""`hearth voice --in question.wav --out reply.wav` with the real Whisper, the real Gemma (a base model: its reply is
not judged for sense) and the espeak voice; the reply audio is transcribed back by the real Whisper.

Asserted: the question is heard, the turn's timeline has every stage in order (printed and logged), the reply audio
is real speech, and what Whisper hears in it is English words that Hearth wrote in its reply.
"""

from __future__ import annotations

import ast
import json
import re

import numpy as np
import pytest

from tests.real.helpers import espeak, normalise, run_hearth

pytestmark = [pytest.mark.real, pytest.mark.slow]

QUESTION = "What is the capital of France?"
STAGES = ["end of speech", "final transcript", "first token", "first clause", "first audio", "reply done"]
TRANSCRIPT = re.compile(r"transcript \([\d.]+ s\): (.*)$")


@pytest.fixture(scope="module")
def voice_run(tmp_path_factory, real_lm_folder, real_whisper_folder, have_espeak):
    from audio.wav import read_wav, write_wav

    tmp = tmp_path_factory.mktemp("voice")
    pcm, rate = espeak(QUESTION, tmp)
    pad = np.zeros(rate // 2, np.float32)
    question = write_wav(tmp / "question.wav", np.concatenate([pad, 0.8 * pcm, pad, pad]), rate)
    reply = tmp / "reply.wav"
    done = run_hearth(["voice", "--in", str(question), "--out", str(reply), "--model", str(real_lm_folder),
                       "--stt", str(real_whisper_folder), "--tts", "espeak", "--timeline", "--max-tokens", "24"],
                      tmp / "home")
    heard = run_hearth(["listen", "--in", str(reply), "--model", str(real_whisper_folder), "--no-partials",
                        "--no-aec"], tmp / "home")
    back = [ast.literal_eval(m.group(1)) for line in heard.stdout.splitlines() if (m := TRANSCRIPT.search(line))]
    audio, out_rate = read_wav(reply)
    print(done.stdout, done.stderr, "reply heard back:", back, sep="\n")
    return {"done": done, "home": tmp / "home", "audio": audio, "rate": out_rate, "heard_back": " ".join(back)}


def test_the_question_is_heard(voice_run):
    said = [line for line in voice_run["done"].stdout.splitlines() if line.startswith("you: ")]
    assert len(said) == 1, voice_run["done"].stdout
    words = normalise(said[0][len("you: "):])
    assert {"capital", "france"} <= set(words), said


def test_the_turn_timeline_has_every_stage_in_order(voice_run):
    records = [json.loads(line) for line in (voice_run["home"] / "data/logs/timeline.jsonl").read_text().splitlines()]
    assert len(records) == 1
    stages = records[0]["stages_ms"]
    assert list(stages) == STAGES, stages
    times = [stages[s] for s in STAGES]
    assert times == sorted(times) and times[0] == 0.0 and times[-1] > 0.0
    printed = voice_run["done"].stderr
    assert all(re.search(rf"^\s+{s}\s+\d+ ms", printed, re.M) for s in STAGES), printed


def test_the_reply_is_speech_whisper_hears_as_the_written_words(voice_run):
    audio, rate = voice_run["audio"], voice_run["rate"]
    assert len(audio) / rate > 0.5
    assert float(np.sqrt(np.mean(audio**2))) > 0.01  # not silence
    written = "".join(line[len("hearth: "):] if line.startswith("hearth: ") else line
                      for line in voice_run["done"].stdout.splitlines() if not line.startswith("you: "))
    heard = normalise(voice_run["heard_back"])
    assert len(heard) >= 3, voice_run["heard_back"]
    assert all(w.isascii() and w.isalpha() for w in heard), heard
    said = set(normalise(written))
    shared = [w for w in heard if w in said]  # espeak spells out non-Latin script ("Japanese letter"): not shared
    assert len(shared) >= max(3, len(heard) / 3), (heard, written)

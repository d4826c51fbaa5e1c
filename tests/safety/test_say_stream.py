"""`hearth say` streams: a bounded number of clauses in flight, none while the consumer is behind, and no audio kept;
`--voice espeak` (the README's spelling) works."""

from __future__ import annotations

import argparse
import queue
import wave

import numpy as np

from app.commands import say
from app.config.settings import Settings
from app.engine.messages import AudioChunk, Synthesize


class FakeClient:
    """Answers each Synthesize at once with two chunks, and records how many clauses were outstanding."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.engine = self
        self.outstanding = 0
        self.max_outstanding = 0
        self.submitted = 0

    def submit(self, req: Synthesize) -> None:
        self.submitted += 1
        self.outstanding += 1
        self.max_outstanding = max(self.max_outstanding, self.outstanding)
        pcm = np.full(100, 0.1, np.float32)
        self.events.put(AudioChunk(req.turn_id, req.clause_id, pcm, 1000, last=False))
        self.events.put(AudioChunk(req.turn_id, req.clause_id, pcm, 1000, last=True))


def long_text(sentences: int = 200) -> str:
    return " ".join(f"This is sentence number {i} of a long text." for i in range(sentences))


def test_clauses_in_flight_are_bounded_and_no_audio_is_kept():
    client = FakeClient()
    seen = []

    def on_chunk(chunk):
        if chunk.last:
            client.outstanding -= 1
        seen.append(len(chunk.pcm))

    got = say.speak(client, long_text(), None, 1.0, on_chunk)
    assert got.error is None and client.submitted >= 200
    assert client.max_outstanding <= say.AHEAD
    assert got.samples == sum(seen) and not hasattr(got, "pcm")


def test_nothing_more_is_synthesised_while_the_speaker_is_behind():
    client = FakeClient()
    calls = {"n": 0}

    def ready():  # the speaker keeps up for two clauses, then stays behind
        calls["n"] += 1
        if calls["n"] > 50:
            raise KeyboardInterrupt  # end the test: speak() has waited long enough
        return calls["n"] <= 2

    def on_chunk(chunk):
        client.outstanding -= chunk.last

    try:
        say.speak(client, long_text(), None, 1.0, on_chunk, ready)
    except KeyboardInterrupt:
        pass
    assert client.submitted == 2 and calls["n"] > 50


def test_out_streams_to_a_valid_wav(tmp_path):
    client = FakeClient()
    out = tmp_path / "say.wav"
    assert say.write(client, long_text(20), None, 1.0, str(out)) == 0
    with wave.open(str(out)) as w:
        assert w.getnframes() == client.submitted * 200 and w.getframerate() == 1000


def test_voice_espeak_picks_the_espeak_model():
    args = argparse.Namespace(voice="espeak", model=None)
    assert say.pick_model_and_voice(args, Settings()) == ("espeak", Settings().voice.voice)
    args = argparse.Namespace(voice="en-gb", model=None)
    assert say.pick_model_and_voice(args, Settings()) == (Settings().models.tts, "en-gb")
    from models.tts_espeak import DEFAULT_VOICE, espeak_voice

    assert espeak_voice("espeak") == DEFAULT_VOICE

"""Voice activity and endpointing on espeak-ng speech with known silences (issue 4)."""

from __future__ import annotations

import numpy as np
import pytest

import audio_testdata as td
from audio.endpoint import EndpointConfig, VadEndpointer
from audio.pipeline import HearingPipeline, build_hearing
from audio.sources import ArraySource, WavFileSource
from audio.types import SpeechEnded, SpeechStarted, UnsupportedSampleRate, Utterance
from audio.vad import EnergyVad, SileroVad, make_vad
from audio.wav import write_wav

TOL = 0.100  # seconds


def endpoint(pcm: np.ndarray, vad, cfg: EndpointConfig | None = None, block: int = 320) -> list:
    ep = VadEndpointer(vad, cfg or EndpointConfig())
    events: list = []
    for i in range(0, len(pcm), block):
        events += ep.process(pcm[i : i + block])
    return events + ep.flush()


def utterances(events: list) -> list[Utterance]:
    return [e for e in events if isinstance(e, Utterance)]


@pytest.mark.parametrize("vad_cls", [SileroVad, EnergyVad])
def test_boundaries_within_100ms_and_split_only_at_real_pauses(turns, vad_cls):
    utts = utterances(endpoint(turns.pcm, vad_cls()))
    assert len(utts) == len(turns.turns) == 3  # the 300 ms pause inside turn 2 does not split it
    for u, (start, end) in zip(utts, turns.turns):
        assert abs(u.t_start - start) <= TOL, (u.t_start, start)
        assert abs(u.t_end - end) <= TOL, (u.t_end, end)
    inner_a, inner_b = turns.inner_pauses[0]
    assert utts[1].t_start < inner_a and utts[1].t_end > inner_b


def test_events_are_ordered_and_end_of_turn_waits_for_the_pause(turns):
    cfg = EndpointConfig(min_pause_ms=500)
    events = endpoint(turns.pcm, SileroVad(), cfg)
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStarted, SpeechEnded, Utterance] * 3
    for e in events:
        if isinstance(e, SpeechEnded):
            assert 0.45 <= e.t_detected - e.t <= 0.6  # decided one pause (+ at most a window) after the end


def test_preroll_keeps_the_first_syllable(turns):
    (start, _), cfg = turns.turns[0], EndpointConfig(pre_roll_ms=300)
    u = utterances(endpoint(turns.pcm, SileroVad(), cfg))[0]
    assert u.t_pcm_start <= start - 0.2  # audio from before the onset is included
    first = int(round((start - u.t_pcm_start) * td.RATE))
    onset = turns.pcm[int(start * td.RATE) : int(start * td.RATE) + 1600]
    assert np.allclose(u.pcm[first : first + 1600], onset, atol=1e-6)  # the very first samples of speech


def test_a_long_pause_setting_merges_turns_and_a_short_one_splits_the_thinking_pause(turns):
    merged = utterances(endpoint(turns.pcm, SileroVad(), EndpointConfig(min_pause_ms=1500)))
    assert len(merged) == 1
    split = utterances(endpoint(turns.pcm, SileroVad(), EndpointConfig(min_pause_ms=150)))
    assert len(split) >= 4


def test_silero_rejects_unsupported_rate_and_factory_falls_back():
    with pytest.raises(UnsupportedSampleRate, match="16000"):
        SileroVad(44100)
    vad, note = make_vad("silero")
    assert vad.name == "silero" and note == ""
    assert make_vad("energy")[0].name == "energy"


def test_pipeline_from_a_48k_wav_file(turns, tmp_path):
    from audio.resample import resample

    path = write_wav(tmp_path / "turns48.wav", resample(turns.pcm, td.RATE, 48000), 48000)
    pipe, notes = build_hearing(WavFileSource(path))
    assert notes == ()
    utts = [e for e in pipe.events() if isinstance(e, Utterance)]
    assert len(utts) == 3
    for u, (start, end) in zip(utts, turns.turns):
        assert abs(u.t_start - start) <= TOL and abs(u.t_end - end) <= TOL
        assert u.sample_rate == 16000
    assert pipe.counters.seconds == pytest.approx(len(turns.pcm) / td.RATE, abs=0.05)


def test_push_to_talk_pipeline(turns):
    pipe, _ = build_hearing(ArraySource(turns.pcm, td.RATE), push_to_talk=True)
    pipe.endpointer.press(at=4.0)
    pipe.endpointer.release(at=6.5)
    utts = [e for e in pipe.events() if isinstance(e, Utterance)]
    assert len(utts) == 1 and utts[0].t_start == 4.0 and utts[0].t_end == 6.5
    assert utts[0].duration == pytest.approx(2.5 + EndpointConfig().pre_roll_ms / 1000)


def test_pipeline_rejects_a_canceller_at_the_wrong_rate(turns):
    from audio.aec import PassthroughEchoCanceller

    with pytest.raises(UnsupportedSampleRate):
        HearingPipeline(ArraySource(turns.pcm, td.RATE), VadEndpointer(SileroVad()), PassthroughEchoCanceller(8000))

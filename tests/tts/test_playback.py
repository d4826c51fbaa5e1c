"""The speech player: no pre-buffer, barge-in flush within one block with an exact heard report, far-end tap,
underruns and device failures as typed events. Driven deterministically through the array backend."""

from __future__ import annotations

import builtins
import sys
import types

import numpy as np
import pytest

from audio.playback import (
    ArrayBackend,
    ClauseFinished,
    ClauseStarted,
    ClauseTag,
    DeviceFailed,
    DeviceUnderflow,
    Drained,
    FileBackend,
    Player,
    SoundDeviceBackend,
    Underrun,
)
from audio.types import AudioBackendUnavailable, AudioError

RATE = 24000
BLOCK = 240  # 10 ms


def ramp(n: int, start: float = 0.0) -> np.ndarray:
    """Distinct non-zero samples so that positions in the output can be checked exactly."""
    return (start + np.arange(1, n + 1, dtype=np.float32)) / 1e6


def make(**kw):
    events: list = []
    far: list[np.ndarray] = []
    player = Player(RATE, BLOCK, on_far_end=lambda pcm, sr: far.append((pcm.copy(), sr)), on_event=events.append, **kw)
    backend = ArrayBackend()
    backend.start(player)
    return player, backend, events, far


def test_first_sample_goes_out_in_the_very_next_block():
    player, backend, events, _ = make()
    player.enqueue(ramp(100), RATE, ClauseTag(1, 0))
    block = backend.pull()
    np.testing.assert_array_equal(block[:100], ramp(100))
    assert not block[100:].any()
    assert events[0] == ClauseStarted(ClauseTag(1, 0))


def test_clauses_play_back_to_back_and_report_finish_and_drain():
    player, backend, events, _ = make()
    a, b = ramp(300), ramp(200, 1000)
    player.enqueue(a, RATE, ClauseTag(1, 0))
    player.enqueue(b, RATE, ClauseTag(1, 1))
    out = backend.pull(3)
    np.testing.assert_array_equal(out[:500], np.concatenate([a, b]))
    assert [e for e in events if not isinstance(e, ClauseStarted)] == [
        ClauseFinished(ClauseTag(1, 0), 300), ClauseFinished(ClauseTag(1, 1), 200), Drained(ClauseTag(1, 1))]
    assert player.idle


def test_barge_in_flush_stops_within_one_block_and_reports_exactly_what_was_heard():
    player, backend, events, _ = make()
    player.enqueue(ramp(500), RATE, ClauseTag(7, 0))
    player.enqueue(ramp(2000, 10), RATE, ClauseTag(7, 1), last=False)
    player.enqueue(ramp(1000, 20), RATE, ClauseTag(7, 1))
    player.enqueue(ramp(900, 30), RATE, ClauseTag(7, 2))
    backend.pull(4)  # 960 samples: all of clause 0 and 460 of clause 1
    report = player.flush(7)
    heard = {c.tag.clause_id: (c.samples_played, c.samples_total) for c in report.clauses}
    assert heard == {0: (500, 500), 1: (460, 3000), 2: (0, 900)}
    assert report.heard_seconds(7) == pytest.approx({0: 500 / RATE, 1: 460 / RATE, 2: 0.0})
    assert report.clause_seconds(7) == pytest.approx({0: 500 / RATE, 1: 3000 / RATE, 2: 900 / RATE})
    assert report.clauses[0].complete and not report.clauses[1].complete
    after = backend.pull(5)
    assert not after.any()  # the next block is silence: the stop took less than one block
    assert not [e for e in events if isinstance(e, Underrun)]  # a flushed clause is not an underrun
    assert player.flush(7).clauses == ()


def test_flush_of_one_turn_keeps_another_turns_audio():
    player, backend, _, _ = make()
    player.enqueue(ramp(300), RATE, ClauseTag(1, 0))
    player.enqueue(ramp(300, 5), RATE, ClauseTag(2, 0))
    report = player.flush(1)
    assert [c.tag for c in report.clauses] == [ClauseTag(1, 0)]
    np.testing.assert_array_equal(backend.pull(2)[:300], ramp(300, 5))


def test_every_block_goes_to_the_far_end_reference_with_volume_applied():
    player, backend, _, far = make(volume=0.5)
    player.enqueue(ramp(300), RATE, ClauseTag(1, 0))
    out = backend.pull(3)
    assert len(far) == 3 and all(sr == RATE and len(pcm) == BLOCK for pcm, sr in far)
    np.testing.assert_array_equal(np.concatenate([p for p, _ in far]), out)
    np.testing.assert_allclose(out[:300], ramp(300) * 0.5)


def test_other_sample_rates_are_resampled_and_reported_at_the_output_rate():
    player, backend, _, _ = make()
    player.enqueue(np.ones(2205, dtype=np.float32) * 0.1, 22050, ClauseTag(1, 0))
    report = player.report(1)
    assert report.clauses[0].samples_total == 2400
    backend.pull(20)
    assert player.report(1).clauses[0].complete


def test_underrun_is_an_event_with_the_missing_samples_not_a_crash():
    player, backend, events, _ = make()
    player.enqueue(ramp(100), RATE, ClauseTag(3, 0), last=False)  # more of this clause is still being made
    backend.pull()
    assert Underrun(ClauseTag(3, 0), BLOCK - 100) in events
    player.enqueue(ramp(50), RATE, ClauseTag(3, 0))  # the rest arrives; playback resumes
    block = backend.pull()
    np.testing.assert_array_equal(block[:50], ramp(50))
    assert Drained(ClauseTag(3, 0)) in events
    assert player.report(3).clauses[0].samples_played == 150


def test_multichannel_output_buffer_gets_the_same_signal():
    player, _, _, _ = make()
    player.enqueue(ramp(BLOCK), RATE, ClauseTag(1, 0))
    out = np.zeros((BLOCK, 2), dtype=np.float32)
    player.fill(out)
    np.testing.assert_array_equal(out[:, 1], ramp(BLOCK))


def test_file_backend_renders_the_queue_to_wav(tmp_path):
    from audio.wav import read_wav

    player = Player(RATE, BLOCK)
    backend = FileBackend(tmp_path / "out.wav")
    backend.start(player)
    player.enqueue(np.full(1000, 0.25, dtype=np.float32), RATE, ClauseTag(1, 0))
    path = backend.drain()
    pcm, sr = read_wav(path)
    assert sr == RATE and len(pcm) == 5 * BLOCK
    assert np.allclose(pcm[:1000], 0.25, atol=1e-3)


# ------------------------------------------------------------------------------------------- device backend
class FakeStream:
    fail_on_start: Exception | None = None
    last: "FakeStream | None" = None

    def __init__(self, **kw):
        self.kw = kw
        FakeStream.last = self

    def start(self):
        if FakeStream.fail_on_start is not None:
            raise FakeStream.fail_on_start

    def stop(self):
        raise RuntimeError("device vanished")

    def close(self):
        pass


@pytest.fixture
def fake_sd(monkeypatch):
    mod = types.SimpleNamespace(OutputStream=FakeStream, PortAudioError=RuntimeError)
    monkeypatch.setitem(sys.modules, "sounddevice", mod)
    FakeStream.fail_on_start = None
    return mod


def test_device_callback_handles_underflow_and_errors_without_raising(fake_sd):
    events: list = []
    player = Player(RATE, BLOCK, on_event=events.append)
    backend = SoundDeviceBackend()
    backend.start(player)
    stream = FakeStream.last
    assert stream.kw["blocksize"] == BLOCK and stream.kw["samplerate"] == RATE
    player.enqueue(ramp(BLOCK), RATE, ClauseTag(1, 0))
    out = np.zeros((BLOCK, 1), dtype=np.float32)
    stream.kw["callback"](out, BLOCK, None, types.SimpleNamespace(output_underflow=True))
    np.testing.assert_array_equal(out[:, 0], ramp(BLOCK))
    assert DeviceUnderflow() in events
    bad = np.zeros((BLOCK, 1), dtype=np.float32)
    player.on_far_end = lambda pcm, sr: 1 / 0  # a failing consumer on the audio thread
    stream.kw["callback"](bad, BLOCK, None, None)
    assert not bad.any() and any(isinstance(e, DeviceFailed) for e in events)
    backend.stop()  # stop() raising inside the device is reported, not raised
    assert sum(isinstance(e, DeviceFailed) for e in events) == 2


def test_device_that_cannot_open_gives_a_typed_error_with_a_fix(fake_sd):
    FakeStream.fail_on_start = RuntimeError("Invalid device")
    events: list = []
    with pytest.raises(AudioError, match="Could not open the speaker"):
        SoundDeviceBackend().start(Player(RATE, BLOCK, on_event=events.append))
    assert isinstance(events[0], DeviceFailed)


def test_missing_portaudio_is_a_clear_error(monkeypatch):
    monkeypatch.delitem(sys.modules, "sounddevice", raising=False)
    real_import = builtins.__import__

    def no_portaudio(name, *a, **kw):
        if name == "sounddevice":
            raise OSError("PortAudio library not found")
        return real_import(name, *a, **kw)

    monkeypatch.setattr(builtins, "__import__", no_portaudio)
    with pytest.raises(AudioBackendUnavailable, match="PortAudio"):
        SoundDeviceBackend().start(Player(RATE, BLOCK))

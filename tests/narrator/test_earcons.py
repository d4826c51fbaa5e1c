"""Earcons: short, gentle, distinct from one another by ear (pitch, direction, length), and played through the real
player path (PlayerOut -> Player -> a backend)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from app.narrator.earcons import EARCON_TURN_ID, MAX_SECONDS, SAMPLE_RATE, EarconKind, all_earcons, earcon
from app.ports.live import PlayerOut
from audio.playback import ArrayBackend, ClauseTag, Drained, Player


def centroid(pcm: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(pcm))
    freqs = np.fft.rfftfreq(len(pcm), 1 / SAMPLE_RATE)
    return float((spectrum * freqs).sum() / spectrum.sum())


def pitch(pcm: np.ndarray) -> float:
    """The strongest frequency of a stretch of sound."""
    spectrum = np.abs(np.fft.rfft(pcm * np.hanning(len(pcm)), n=1 << 15))
    return float(np.fft.rfftfreq(1 << 15, 1 / SAMPLE_RATE)[spectrum.argmax()])


def contour(pcm: np.ndarray) -> float:
    """Pitch of the last sounding quarter over the first (> 1 rising, < 1 falling)."""
    loud = np.flatnonzero(np.abs(pcm) > 0.02)
    body = pcm[loud[0]: loud[-1]]
    q = len(body) // 4
    return pitch(body[-q:]) / pitch(body[:q])


def test_every_cue_is_short_mono_float32_at_24k_and_gentle():
    cues = all_earcons()
    assert set(cues) == set(EarconKind)
    for kind, cue in cues.items():
        assert cue.kind is kind and cue.sample_rate == SAMPLE_RATE == 24000
        assert cue.pcm.dtype == np.float32 and cue.pcm.ndim == 1
        assert 0.1 <= cue.duration_s <= MAX_SECONDS
        assert 0.1 < np.abs(cue.pcm).max() <= 0.3  # audible, quieter than speech
        assert abs(cue.pcm[0]) < 1e-3 and abs(cue.pcm[-1]) < 1e-3  # no click at either end
        assert np.abs(np.diff(cue.pcm)).max() < 0.1  # no sharp edges inside (soft attacks)
    assert earcon(EarconKind.ERROR) is earcon(EarconKind.ERROR)


def test_cues_are_distinct_by_pitch_direction_or_length():
    cues = all_earcons()
    features = {k: (c.duration_s, centroid(c.pcm), contour(c.pcm)) for k, c in cues.items()}
    for (a, fa), (b, fb) in itertools.combinations(features.items(), 2):
        apart = (abs(fa[0] - fb[0]) >= 0.02 or abs(np.log(fa[1] / fb[1])) >= 0.15
                 or (fa[2] > 1.1) != (fb[2] > 1.1) or (fa[2] < 0.9) != (fb[2] < 0.9))
        assert apart, (a, b, fa, fb)
    assert features[EarconKind.NARRATION_ON][2] > 1.3 and features[EarconKind.NARRATION_OFF][2] < 0.8
    assert features[EarconKind.LISTENING][2] > 1.3
    assert 0.95 < features[EarconKind.THINKING][2] < 1.05 and 0.95 < features[EarconKind.ERROR][2] < 1.05
    assert features[EarconKind.ERROR][1] < features[EarconKind.LISTENING][1]


def test_cues_play_through_the_real_player_path():
    player = Player(SAMPLE_RATE, 240)
    backend = ArrayBackend()
    out = PlayerOut(player, backend)
    posted: list = []
    out.start(posted.append)
    events: list = []
    player.on_event = lambda ev: (events.append(ev), PlayerOut._on_player_event(out, ev))
    on, off = earcon(EarconKind.NARRATION_ON), earcon(EarconKind.NARRATION_OFF)
    out.play(on.as_chunk(0))
    out.play(off.as_chunk(1))
    blocks = (len(on.pcm) + len(off.pcm)) // 240 + 2
    played = backend.pull(blocks)
    np.testing.assert_array_equal(played[: len(on.pcm)], on.pcm)
    np.testing.assert_array_equal(played[len(on.pcm): len(on.pcm) + len(off.pcm)], off.pcm)
    assert not played[len(on.pcm) + len(off.pcm):].any()
    assert any(isinstance(e, Drained) and e.tag.turn_id == EARCON_TURN_ID for e in events)
    assert posted == []  # a cue is not a turn: the session hears no PlaybackFinished for it
    assert player.idle


def test_a_reply_flush_leaves_a_queued_cue_alone():
    player = Player(SAMPLE_RATE, 240)
    backend = ArrayBackend()
    backend.start(player)
    cue = earcon(EarconKind.LISTENING)
    player.enqueue(np.full(2400, 0.1, np.float32), SAMPLE_RATE, ClauseTag(5, 0))
    chunk = cue.as_chunk()
    player.enqueue(chunk.pcm, chunk.sample_rate, ClauseTag(chunk.turn_id, 0))
    player.flush(5)  # barge-in on turn 5
    played = backend.pull(len(cue.pcm) // 240 + 1)
    np.testing.assert_array_equal(played[: len(cue.pcm)], cue.pcm)


@pytest.mark.parametrize("kind", list(EarconKind))
def test_cue_samples_cannot_be_changed_by_accident(kind):
    with pytest.raises(ValueError):
        earcon(kind).pcm[0] = 1.0

"""DualEndpointer: hands-free voice detection with a push-to-talk button on top, switchable while running."""

from __future__ import annotations

import numpy as np

from app.gui.gui_hearing import DualEndpointer
from audio.endpoint import EndpointConfig
from audio.types import Utterance
from audio.vad import make_vad

RATE = 16000


def tone(seconds: float, amp: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), np.float32)


def feed(ep: DualEndpointer, pcm: np.ndarray, block: int = 320) -> list:
    events = []
    for i in range(0, len(pcm), block):
        events += ep.process(pcm[i:i + block])
    return events


def utterances(events):
    return [e for e in events if isinstance(e, Utterance)]


def make(hands_free: bool) -> DualEndpointer:
    return DualEndpointer(make_vad("energy")[0], EndpointConfig(min_pause_ms=300), hands_free)


def test_hands_free_detects_speech_by_itself():
    ep = make(True)
    got = utterances(feed(ep, np.concatenate([silence(0.5), tone(1.0), silence(1.0)])))
    assert len(got) == 1 and 0.8 < got[0].t_end - got[0].t_start < 1.6


def test_holding_the_button_in_hands_free_makes_exactly_one_utterance():
    ep = make(True)
    feed(ep, silence(0.5))
    ep.press()
    during = feed(ep, tone(1.0))
    ep.release()
    after = feed(ep, silence(1.0))
    got = utterances(during + after)
    assert len(got) == 1 and abs((got[0].t_end - got[0].t_start) - 1.0) < 0.1
    assert abs(got[0].t_end - 1.5) < 0.05  # stream time stays right across both endpointers
    later = utterances(feed(ep, np.concatenate([tone(0.8), silence(1.0)])))
    assert len(later) == 1 and later[0].t_start > 1.9  # voice detection resumed, on the same clock


def test_switching_hands_free_off_and_on_while_running():
    ep = make(True)
    ep.set_hands_free(False)
    assert utterances(feed(ep, np.concatenate([tone(1.0), silence(1.0)]))) == []
    assert not ep.hands_free
    ep.set_hands_free(True)
    got = utterances(feed(ep, np.concatenate([tone(1.0), silence(1.0)])))
    assert ep.hands_free and len(got) == 1 and got[0].t_start > 1.9

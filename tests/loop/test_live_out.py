"""`hearth voice --out FILE.wav` with a live microphone: the speaker is a WAV file that finishes each reply at once
(a file has no clock to drain it), so turns end and every finished reply is on disk."""

from __future__ import annotations

import wave

import numpy as np
import pytest

from app.config.settings import Settings
from app.engine.messages import AudioChunk
from app.loop.vocabulary import PlaybackFinished
from app.ports.live import PlayerOut, live_speaker
from audio.types import AudioFileError


def test_live_out_is_a_wav_that_finishes_each_reply(tmp_path):
    out = tmp_path / "reply.wav"
    speaker = live_speaker(Settings(), out, far_end=None)
    assert not isinstance(speaker, PlayerOut)
    posted: list = []
    speaker.start(posted.append)
    speaker.play(AudioChunk(3, 0, np.full(2400, 0.2, np.float32), 24000))
    speaker.play(AudioChunk(3, 0, np.zeros(0, np.float32), 24000, last=True))
    speaker.finish(3)
    assert PlaybackFinished(3) in posted  # the turn can end
    with wave.open(str(out)) as w:
        assert w.getnframes() >= 2400


def test_live_out_into_a_missing_folder_is_refused_before_any_work(tmp_path):
    with pytest.raises(AudioFileError):
        live_speaker(Settings(), tmp_path / "nope" / "reply.wav", far_end=None)

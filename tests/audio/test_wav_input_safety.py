"""Damaged WAV input is read with a note or refused, never silently wrong; mixed rates are resampled; `listen`
counts the speech it detected even without speech-to-text."""

from __future__ import annotations

import io
import logging
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.io import wavfile

from audio.sources import WavFileSource
from audio.types import AudioFileError
from audio.wav import load_wav

sys.path.insert(0, str(Path(__file__).resolve().parent))
from audio_testdata import RATE, compose, have_espeak, speak  # noqa: E402


def tone(seconds: float, rate: int) -> np.ndarray:
    return (0.3 * np.sin(np.arange(int(seconds * rate)) * 2 * np.pi * 440 / rate)).astype(np.float32)


def test_half_truncated_wav_is_read_with_a_warning(tmp_path, caplog):
    path = tmp_path / "cut.wav"
    wavfile.write(str(path), 16000, (tone(1.0, 16000) * 32767).astype(np.int16))
    data = path.read_bytes()
    path.write_bytes(data[: 44 + (len(data) - 44) // 2])
    with caplog.at_level(logging.WARNING):
        source = WavFileSource(path)
    assert "cut short" in source.notes[0] and "50%" in source.notes[0]
    assert any("cut short" in r.getMessage() for r in caplog.records)
    whole = tmp_path / "whole.wav"
    whole.write_bytes(data)
    assert load_wav(whole).notes == ()


def test_nan_samples_are_replaced_by_silence_with_a_note(tmp_path):
    pcm = tone(1.0, 16000)
    pcm[100:400] = np.nan
    pcm[500] = np.inf
    wavfile.write(str(tmp_path / "nan.wav"), 16000, pcm)
    with np.errstate(all="raise"):  # no numpy warning leaks out of reading
        data = load_wav(tmp_path / "nan.wav")
    assert np.isfinite(data.pcm).all() and data.pcm[200] == 0.0
    assert "301 samples were not numbers" in data.notes[0]


def test_a_mostly_nan_wav_is_refused(tmp_path):
    wavfile.write(str(tmp_path / "nan.wav"), 16000, np.full(16000, np.nan, np.float32))
    with pytest.raises(AudioFileError, match="not numbers"):
        load_wav(tmp_path / "nan.wav")


def test_mixed_sample_rates_are_resampled_not_refused(tmp_path):
    from app.ports.files import ConcatSource

    wavfile.write(str(tmp_path / "a16k.wav"), 16000, tone(1.0, 16000))
    wavfile.write(str(tmp_path / "b48k.wav"), 48000, tone(0.5, 48000))
    source = ConcatSource([WavFileSource(tmp_path / "a16k.wav"), WavFileSource(tmp_path / "b48k.wav")], gap_s=1.0)
    assert source.format.sample_rate == 48000
    total = sum(len(b.pcm) for b in source.blocks())
    assert abs(total / 48000 - (1.0 + 1.0 + 0.5 + 1.0)) < 0.05


@pytest.mark.skipif(not have_espeak(), reason="needs espeak-ng")
def test_listen_counts_utterances_when_speech_to_text_is_unavailable(tmp_path, capsys):
    from app.commands.listen import listen
    from audio.pipeline import build_hearing

    pcm, _ = compose([0.8, speak("Hello Hearth what is the weather like today"), 1.5,
                      speak("Please set a timer for ten minutes"), 0.1])  # the file ends mid-turn: the
    # second utterance only comes out of the endpointer's flush, which is where the count used to be lost
    wav = tmp_path / "two.wav"
    wavfile.write(str(wav), RATE, pcm)
    pipe, _ = build_hearing(WavFileSource(wav), aec_backend="none")
    out = io.StringIO()
    assert listen(pipe, None, partials=False, out=out) == 0
    assert out.getvalue().count("speech started") == 2
    assert "2 utterance(s)" in capsys.readouterr().err

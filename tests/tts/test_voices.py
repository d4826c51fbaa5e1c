"""Each voice produces float32 audio at its own sample rate: real speech from eSpeak NG, and a random-weight
Kokoro built with mlx-audio's classes (runs end to end, offline G2P, 24 kHz)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

from models.base import ModelError, ModelFolder, Role, TextToSpeech
from models.registry import find_adapter
from models.tts_espeak import EspeakCommand, EspeakTTS, espeak_voice
from models.tts_kokoro import KokoroTTS, split_phonemes

ESPEAK = ModelFolder(Path("espeak"), {"model_type": "builtin:espeak"})


def speech(tts, text: str, voice=None, speed=1.0) -> np.ndarray:
    pieces = list(tts.synthesize(text, voice, speed))
    assert pieces and all(p.sample_rate == tts.sample_rate and p.pcm.dtype == np.float32 for p in pieces)
    return np.concatenate([p.pcm for p in pieces])


@pytest.fixture(scope="module")
def espeak() -> EspeakTTS:
    reg = find_adapter((Role.TTS,), ESPEAK)
    assert reg.name == "espeak"
    return reg.factory.load(ESPEAK, "espeak")


def test_espeak_speaks_real_audio_at_22050(espeak):
    assert isinstance(espeak, TextToSpeech)
    assert espeak.sample_rate == 22050
    pcm = speech(espeak, "Hello there, how are you today?")
    seconds = len(pcm) / espeak.sample_rate
    assert 1.0 < seconds < 4.0
    assert np.sqrt(np.mean(pcm**2)) > 0.02 and np.abs(pcm).max() <= 1.0
    assert "en-us" in espeak.voices() and len(espeak.voices()) > 20


def test_espeak_speed_and_voice(espeak):
    normal = speech(espeak, "This is a test of the speaking rate.")
    fast = speech(espeak, "This is a test of the speaking rate.", speed=2.0)
    assert len(fast) < 0.7 * len(normal)
    assert espeak_voice("bf_emma") == "en" and espeak_voice("af_heart") == "en-us" and espeak_voice(None) == "en-us"
    assert len(speech(espeak, "Bonjour tout le monde", voice="fr")) > 0
    with pytest.raises(ModelError, match="no voice"):
        list(espeak.synthesize("Hello", "klingon-xx", 1.0))
    assert list(espeak.synthesize("   ", None, 1.0)) == []


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng command not installed")
def test_espeak_command_fallback_speaks_too():
    tts = EspeakTTS(EspeakCommand(shutil.which("espeak-ng")))
    pcm = speech(tts, "Hello from the command line.")
    assert tts.sample_rate == 22050 and np.sqrt(np.mean(pcm**2)) > 0.02


def test_split_phonemes_respects_the_limit_at_breaks():
    ps = "ðɪs ɪz ə tˈɛst, wˈʌn. " * 60
    pieces = split_phonemes(ps, 510)
    assert all(len(p) <= 510 for p in pieces) and len(pieces) >= 3
    assert all(p.endswith(".") for p in pieces[:-1])
    assert "".join(pieces).replace(" ", "") == ps.replace(" ", "")


@pytest.fixture(scope="module")
def tiny_kokoro(tiny_model) -> KokoroTTS:
    path = tiny_model("kokoro")
    folder = ModelFolder(path, json.loads((path / "config.json").read_text()))
    reg = find_adapter((Role.TTS,), folder)
    assert reg.name == "kokoro"
    return reg.factory.load(folder, "tiny-kokoro")


@pytest.mark.slow
def test_tiny_kokoro_runs_and_returns_float32_at_24k(tiny_kokoro):
    assert isinstance(tiny_kokoro, TextToSpeech)
    assert tiny_kokoro.sample_rate == 24000 and tiny_kokoro.voices() == ("af_heart",)
    pcm = speech(tiny_kokoro, "Hi there.")
    assert len(pcm) >= 600 and np.all(np.isfinite(pcm)) and 0 < np.abs(pcm).max() <= 1.0
    with pytest.raises(ModelError, match="no voice"):
        list(tiny_kokoro.synthesize("Hi.", "af_nobody", 1.0))


def test_kokoro_english_g2p_is_offline_espeak_not_spacy(tiny_kokoro):
    ps = tiny_kokoro.phonemize("Hello there.", "af_heart")
    assert ps.startswith("həlˈO") and ps.endswith(".")
    assert tiny_kokoro.phonemize("Hello", "bf_emma").startswith("həlˈQ")  # British
    assert "spacy" not in sys.modules
    with pytest.raises(ModelError, match="phonemizers"):
        tiny_kokoro.phonemize("こんにちは", "jf_alpha")


def test_kokoro_without_voices_is_a_clear_error(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"model_type": "kokoro"}))
    folder = ModelFolder(tmp_path, {"model_type": "kokoro"})
    assert KokoroTTS.accepts(folder) and not EspeakTTS.accepts(folder)
    with pytest.raises(ModelError, match="no voices"):
        KokoroTTS.load(folder, "kokoro")

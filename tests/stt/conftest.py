"""Fixtures for speech-to-text tests: espeak speech (shared generator in tests/audio) and the tiny Whisper."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audio"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import audio_testdata as td  # noqa: E402
from models.base import ModelFolder  # noqa: E402


@pytest.fixture(scope="session")
def speech() -> "td.np.ndarray":
    if not td.have_espeak():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")
    return td.speak("Hello Hearth what is the weather like today")


@pytest.fixture(scope="session")
def whisper_folder(tiny_model) -> ModelFolder:
    path = tiny_model("whisper")
    return ModelFolder(path, json.loads((path / "config.json").read_text()))


@pytest.fixture(scope="session")
def whisper(whisper_folder):
    from models.stt_mlx_audio import MlxAudioSTT

    return MlxAudioSTT.load(whisper_folder, "tiny-whisper")

"""Fixtures for audio tests: espeak-ng speech with known silences, generated once per session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import audio_testdata as td  # noqa: E402


@pytest.fixture(scope="session")
def espeak() -> None:
    if not td.have_espeak():
        pytest.skip("espeak-ng is not installed (apt-get install espeak-ng)")


@pytest.fixture(scope="session")
def turns(espeak: None) -> td.Take:
    return td.turn_take()


@pytest.fixture(scope="session")
def phrases(espeak: None) -> list[td.Take]:
    return td.phrase_set()[:3]


@pytest.fixture(scope="session")
def far_near(espeak: None):
    """(far-end speech, near-end speech) from two different voices, 16 kHz."""
    far = td.speak("This is Hearth speaking. I am telling you a long story about the weather and the mountains", pitch=40)
    near = td.speak("Stop please I have a question about the river", voice="en-gb", pitch=75)
    return far, near

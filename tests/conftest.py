"""Shared fixtures: tiny random-weight models built once per test session with scripts/tiny builders."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")

SHARED_DATA = ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where tiny models are built; HEARTH_TINY_DIR reuses a folder across runs."""
    env = os.environ.get("HEARTH_TINY_DIR")
    return Path(env) if env else tmp_path_factory.mktemp("tiny-models")


def _tiny(name: str, tiny_dir: Path) -> Path:
    from tiny import build

    return build(name, tiny_dir)


@pytest.fixture(scope="session")
def tiny_llm(tiny_dir: Path) -> Path:
    return _tiny("llm", tiny_dir)


@pytest.fixture(scope="session")
def tiny_vlm(tiny_dir: Path) -> Path:
    return _tiny("vlm", tiny_dir)


@pytest.fixture(scope="session")
def tiny_model(tiny_dir: Path):
    """``tiny_model("whisper")`` builds (once) and returns any registered tiny model's folder."""
    return lambda name: _tiny(name, tiny_dir)

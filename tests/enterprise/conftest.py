"""Enterprise tests: each one leaves the socket module, the startup state and the environment as it found them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from app.policy import netguard, startup
from app.policy.load import ENV_VAR


@pytest.fixture(autouse=True)
def clean_enterprise(monkeypatch, tmp_path):
    saved_env = dict(os.environ)
    monkeypatch.setenv("HEARTH_HOME", str(tmp_path / "home"))
    monkeypatch.delenv(ENV_VAR, raising=False)
    startup.reset_for_tests()
    yield
    netguard.uninstall()
    netguard._listeners.clear()
    startup.reset_for_tests()
    os.environ.clear()
    os.environ.update(saved_env)


@pytest.fixture
def write_policy(tmp_path, monkeypatch):
    """``write_policy("network_allowed = false")`` writes a policy file and points HEARTH_POLICY at it."""

    def write(text: str, name: str = "policy.toml") -> Path:
        path = tmp_path / name
        path.write_text(text)
        monkeypatch.setenv(ENV_VAR, str(path))
        return path

    return write

"""The real app with the network off by policy: `hearth chat` and `hearth voice` run with the guard on, nothing they
do touches the network, and the guard refuses a connection in the same process."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.audit.verify import verify_audit

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import socket, sys
from app.cli import main
rc = main(sys.argv[1:])
from app.policy import netguard
assert netguard.installed(), "the guard is not installed"
try:
    socket.create_connection(("10.255.255.1", 80), timeout=30)
except netguard.ConnectionBlocked:
    print("GUARD-REFUSED", file=sys.stderr)
sys.exit(rc)
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def offline_env(tmp_path):
    policy = tmp_path / "policy.toml"
    policy.write_text(f'network_allowed = false\naudit_dir = "{tmp_path / "audit"}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    env.update(HEARTH_POLICY=str(policy), HEARTH_HOME=str(tmp_path / "home"))
    return env


def check_audit(audit: Path) -> None:
    """The app started under the guard, and the only refusal is the probe's: nothing the app did tried the network."""
    files = sorted(audit.glob("audit-*.jsonl"))
    records = [json.loads(line) for f in files for line in f.read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds[:2] == ["app_start", "policy_loaded"] and kinds[-1] == "app_stop", kinds
    assert records[1]["fields"]["guard"] is True
    refused = [r["fields"] for r in records if r["kind"] == "network_refused"]
    assert len(refused) == 1 and refused[0]["target"] == "10.255.255.1:80" and refused[0]["caller"].startswith("<string>")
    assert verify_audit(audit).ok


def test_chat_runs_with_the_guard_on(tiny_llm, offline_env, tmp_path):
    cmd = [sys.executable, "-c", PROBE, "chat", "--model", str(tiny_llm), "--prompt", "hello", "--max-tokens", "4"]
    done = subprocess.run(cmd, cwd=ROOT, env=offline_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "GUARD-REFUSED" in done.stderr and "tok/s" in done.stderr
    check_audit(tmp_path / "audit")


@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="needs espeak-ng")
def test_voice_runs_with_the_guard_on(tiny_llm, tiny_model, offline_env, tmp_path):
    question = tmp_path / "question.wav"
    subprocess.run(["espeak-ng", "-w", str(question), "What is the weather like today?"], check=True, timeout=60)
    out = tmp_path / "reply.wav"
    cmd = [sys.executable, "-c", PROBE, "voice", "--in", str(question), "--out", str(out), "--model", str(tiny_llm),
           "--stt", str(tiny_model("whisper")), "--tts", "espeak", "--max-tokens", "12"]
    done = subprocess.run(cmd, cwd=ROOT, env=offline_env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "GUARD-REFUSED" in done.stderr and "you: " in done.stdout and out.stat().st_size > 1000
    check_audit(tmp_path / "audit")

"""run_command: allow-list, timeout kills the process group, output capped with its tail fed back, cancel."""

from __future__ import annotations

import queue
import time
from dataclasses import replace
from pathlib import Path

from app.tools.base import ToolCall
from app.tools.procs import run_process
from app.tools.registry import all_tools
from app.tools.runner import ToolRunner

from tests.tools.conftest import PY

RUN = all_tools()["run_command"]


def test_command_not_on_the_allow_list_is_refused(ctx, repo: Path):
    for command in ("rm -rf calc", "sleepy 1", f"{PY}", "sh -c 'sleep 1'"):
        proposal = RUN.proposal({"command": command}, ctx)
        assert not proposal.ok and "allow-list" in proposal.error, command
        result = RUN.run({"command": command}, ctx)
        assert not result.ok and "allow-list" in result.error
    assert (repo / "calc" / "main.py").exists()


def test_allowed_command_shows_its_command_line_and_runs(ctx):
    proposal = RUN.proposal({"command": f"{PY} -c 'print(6 * 7)'"}, ctx)
    assert proposal.detail == f"$ {PY} -c 'print(6 * 7)'"
    result = RUN.run({"command": f"{PY} -c 'print(6 * 7)'"}, ctx)
    assert result.ok and "exit code 0" in result.content and "42" in result.content
    assert result.display.text.strip() == "42"


def test_failing_tests_are_reported_with_the_tail_of_the_output(ctx):
    result = RUN.run({"command": f"{PY} -m pytest -q -p no:cacheprovider tests"}, ctx)
    assert result.ok  # the tool worked; the tests failed
    assert "exit code 1" in result.content and "assert -1 == 5" in result.content


def test_hanging_command_is_killed_at_its_timeout(ctx):
    # the child forks a grandchild in the same process group: both must die
    code = "import subprocess, time; subprocess.Popen(['sleep', '300']); print('started', flush=True); time.sleep(300)"
    started = time.monotonic()
    result = RUN.run({"command": f"{PY} -c \"{code}\""}, replace(ctx, command_timeout_s=1.0))
    elapsed = time.monotonic() - started
    assert not result.ok and "timeout" in result.error
    assert "started" in result.content  # the output so far still comes back
    assert elapsed < 30


def test_timeout_kills_the_whole_group(tmp_path: Path):
    pidfile = tmp_path / "pid"
    code = (f"import subprocess, time; p = subprocess.Popen(['sleep', '300']); "
            f"open({str(pidfile)!r}, 'w').write(str(p.pid)); time.sleep(300)")
    out = run_process([PY, "-c", code], tmp_path, timeout_s=1.0)
    assert out.timed_out and out.exit_code is None
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except OSError:
        return "Z"


def test_huge_output_is_capped(ctx):
    code = "import sys; [sys.stdout.write(f'line {i}\\n') for i in range(200000)]"
    result = RUN.run({"command": f"{PY} -c \"{code}\""}, replace(ctx, max_output_chars=4000))
    assert result.ok
    assert len(result.display.text) < 5000 and "characters of output cut" in result.display.text
    assert "line 0\n" in result.display.text and "line 199999" in result.display.text
    assert "line 199999" in result.content and len(result.content) < 6000


def test_cancel_stops_a_running_command(ctx, repo: Path):
    marker = repo / "started"
    code = f"open({str(marker)!r}, 'w').close(); import time; time.sleep(300)"
    results: queue.Queue = queue.Queue()
    runner = ToolRunner(all_tools(), results.put)
    try:
        call = ToolCall("c1", "run_command", {"command": f"{PY} -c \"{code}\""})
        runner.submit(call, ctx, approved=RUN.proposal(call.arguments, ctx))
        deadline = time.monotonic() + 30
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert marker.exists()
        cancelled_at = time.monotonic()
        ctx.cancel.set()  # barge-in
        result = results.get(timeout=30)
    finally:
        runner.close()
    assert not result.ok and "cancelled" in result.error and result.call_id == "c1"
    assert time.monotonic() - cancelled_at < 10


def test_a_missing_program_is_an_error_value(ctx):
    result = RUN.run({"command": "sleep"}, replace(ctx, allowed_commands=("no-such-program-hearth",)))
    assert not result.ok
    result = RUN.run({"command": "no-such-program-hearth --x"}, replace(ctx, allowed_commands=("no-such-program-hearth",)))
    assert not result.ok and "could not start" in result.error


def test_children_left_behind_after_a_normal_exit_are_killed(tmp_path: Path):
    pidfile = tmp_path / "pid"
    code = (f"import subprocess; p = subprocess.Popen(['sleep', '300']); open({str(pidfile)!r}, 'w').write(str(p.pid)); "
            f"print('bye')")
    started = time.monotonic()
    out = run_process([PY, "-c", code], tmp_path, timeout_s=60.0)
    assert out.exit_code == 0 and "bye" in out.output and time.monotonic() - started < 10
    pid = int(pidfile.read_text())
    deadline = time.monotonic() + 10
    while Path(f"/proc/{pid}").exists() and "Z" not in _state(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not Path(f"/proc/{pid}").exists() or "Z" in _state(pid)

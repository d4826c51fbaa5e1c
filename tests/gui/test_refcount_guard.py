"""The PySide6 6.12.0 / Python < 3.12 None over-release cannot crash a GUI process that imports app.gui."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import sys
{prelude}
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
for i in range(30000):  # each void call over-releases None on the affected versions
    label.setText(str(i))
    label.setEnabled(i % 2 == 0)
print("done", sys.getrefcount(None) > 0)
"""


def run(prelude: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run([sys.executable, "-c", SCRIPT.format(prelude=prelude)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_many_void_qt_calls_and_a_clean_exit_with_the_gui_package():
    result = run("import app.gui")
    assert result.returncode == 0, result.stderr[-500:]
    assert "done True" in result.stdout


def test_guard_is_applied_exactly_when_the_binding_leaks():
    from app.gui import refcount_guard

    if refcount_guard.leaks_none():
        assert refcount_guard._applied and sys.getrefcount(None) > refcount_guard.HEADROOM
    else:
        assert not refcount_guard._applied

"""audio/ stays a bottom layer: no imports of models/, kvcache/, app/ or Qt (invariant 5)."""

from __future__ import annotations

import ast
from pathlib import Path

AUDIO = Path(__file__).resolve().parents[2] / "audio"
FORBIDDEN = ("models", "kvcache", "app", "PySide6", "PyQt5", "PyQt6", "mlx")


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_audio_imports_no_upper_layer():
    files = sorted(AUDIO.glob("*.py"))
    assert len(files) >= 10
    bad = {f.name: sorted(imported_roots(f) & set(FORBIDDEN)) for f in files}
    assert {k: v for k, v in bad.items() if v} == {}

"""Invariant 5: layers point one way. Parses every module's imports (no execution)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names)
WIRING_MODULES = {"kvcache/patch.py"}  # the one documented place that adapts kvcache to mlx-lm / mlx-vlm


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def modules(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def test_there_is_code_to_check():
    assert modules("app") and modules("models") and modules("kvcache") and modules("audio")


def test_kvcache_imports_only_mlx_and_numpy():
    for path in modules("kvcache"):
        rel = str(path.relative_to(ROOT))
        if rel in WIRING_MODULES:
            assert not imports_of(path) & {"app", "models", "audio", "PySide6"}, rel
            continue
        foreign = imports_of(path) - STDLIB - {"mlx", "numpy", "kvcache"}
        assert not foreign, f"{rel} imports {sorted(foreign)}"


def test_audio_never_imports_models_kvcache_app_or_qt():
    for path in modules("audio"):
        bad = imports_of(path) & {"models", "kvcache", "app", "PySide6", "mlx", "mlx_lm", "mlx_vlm", "mlx_audio"}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_only_app_imports_qt():
    for package in ("models", "kvcache", "audio"):
        for path in modules(package):
            assert "PySide6" not in imports_of(path), path.relative_to(ROOT)


def test_only_app_wires_layers():
    for path in modules("models"):
        assert not imports_of(path) & {"app", "audio"}, path.relative_to(ROOT)


def test_checker_sees_violations(tmp_path):
    bad = tmp_path / "x.py"
    bad.write_text("import os\nfrom PySide6.QtCore import QObject\nfrom models.base import Role\n")
    assert imports_of(bad) == {"os", "PySide6", "models"}

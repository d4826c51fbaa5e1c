"""Builders of tiny random-weight models, one file per model kind, registered by name.

Each builder writes a complete, loadable model folder (config.json, weights, tokenizer / processor files) made with the
real library's own model classes, in float32 (MLX's CPU backend is ~30x slower on float16). Nothing is downloaded.
Add a builder by adding a file here that decorates a function with ``@builder("name")``.
"""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Callable

Builder = Callable[[Path], None]
_BUILDERS: dict[str, Builder] = {}


def builder(name: str) -> Callable[[Builder], Builder]:
    def deco(fn: Builder) -> Builder:
        _BUILDERS[name] = fn
        return fn

    return deco


def builders() -> dict[str, Builder]:
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    return dict(sorted(_BUILDERS.items()))


def build(name: str, outdir: Path) -> Path:
    """Build model ``name`` into ``outdir/name`` (skipped when a finished build is already there)."""
    target = outdir / name
    done = target / ".complete"
    if done.exists():
        return target
    target.mkdir(parents=True, exist_ok=True)
    builders()[name](target)
    done.write_text("ok\n")
    return target

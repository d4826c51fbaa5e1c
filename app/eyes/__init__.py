"""Eyes: camera, screen and file/synthetic frame sources behind one interface, one file per backend.

``open_source("screen")`` / ``open_source("camera")`` / ``open_source("file", path=...)`` / ``"synthetic"``. Every
source's ``latest()`` returns the newest frame as an :class:`~models.base.ImageInput` (RGB uint8), downscaled to
what the model needs, or ``None`` when it has none (no camera, permission denied): the turn then goes without.
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, Callable, Protocol

import numpy as np

from models.base import ImageInput

MAX_SIDE = 768  # Qwen-VL models tile 32-pixel patches: a 768-pixel side keeps a frame to a few hundred tokens


class FrameError(Exception):
    """A frame source could not start; ``str()`` says why and what to do."""


class Eyes(Protocol):
    name: str

    def latest(self) -> ImageInput | None: ...

    def close(self) -> None: ...


_SOURCES: dict[str, Callable[..., Eyes]] = {}


def source(name: str) -> Callable[[type], type]:
    def deco(cls: type) -> type:
        _SOURCES[name] = cls
        return cls

    return deco


def sources() -> dict[str, Callable[..., Eyes]]:
    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")
    return dict(_SOURCES)


def open_source(name: str, **options: Any) -> Eyes:
    from app.policy.startup import current

    if not current().policy.frame_source_allowed(name):
        raise FrameError(f"The {name} is turned off by your organization's policy (`hearth policy show`).")
    factories = sources()
    if name not in factories:
        raise FrameError(f"No frame source named {name!r}; choose one of {', '.join(sorted(factories))}.")
    return factories[name](**options)


def downscale(rgb: np.ndarray, max_side: int = MAX_SIDE) -> np.ndarray:
    """RGB uint8 (H, W, 3) no larger than ``max_side`` on its long side (area-averaged, aspect kept)."""
    rgb = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = rgb.shape[:2]
    scale = max(h, w) / max_side
    if scale <= 1:
        return rgb
    from PIL import Image

    size = (max(1, round(w / scale)), max(1, round(h / scale)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.BOX))

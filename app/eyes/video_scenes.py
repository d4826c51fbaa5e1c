"""A generated video (tests, demos of the narrator): still scenes that switch at known times, with sensor noise and
a little camera shake on every frame, so that a change detector has to tell real changes from jitter.

``open_source("video_scenes", changes_at=(3.0, 8.0))`` plays scene 0 until 3 s, scene 1 until 8 s, then scene 2,
timed by ``clock`` from the source's creation (tests pass a fake clock).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable

import numpy as np

from app.eyes import downscale, source
from models.base import ImageInput

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Shape:
    box: tuple[float, float, float, float]  # x0, y0, x1, y1 as fractions of the frame
    colour: RGB
    round: bool = False  # an ellipse inside the box instead of the box


@dataclass(frozen=True)
class Scene:
    background: RGB
    shapes: tuple[Shape, ...]


SCENES = (  # four clearly different views
    Scene((120, 130, 150), (Shape((0.35, 0.15, 0.65, 1.0), (110, 70, 40)),)),  # a wall with a door
    Scene((60, 140, 70), (Shape((0.2, 0.2, 0.6, 0.75), (230, 210, 40), True),
                          Shape((0.7, 0.5, 0.9, 0.9), (200, 60, 50)))),
    Scene((30, 30, 40), (Shape((0.1, 0.3, 0.9, 0.4), (235, 235, 235)), Shape((0.1, 0.55, 0.7, 0.65), (235, 235, 235)))),
    Scene((200, 110, 50), (Shape((0.05, 0.05, 0.45, 0.5), (40, 60, 200)),
                           Shape((0.55, 0.45, 0.95, 0.95), (250, 250, 250), True))),
)


def render_scene(index: int, width: int, height: int) -> np.ndarray:
    """Scene ``index`` (cycling through four) without noise, RGB uint8."""
    scene = SCENES[index % len(SCENES)]
    rgb = np.empty((height, width, 3), np.uint8)
    rgb[:] = scene.background
    y, x = np.mgrid[0:height, 0:width]
    for shape in scene.shapes:
        fx0, fy0, fx1, fy1 = shape.box
        x0, x1, y0, y1 = fx0 * width, fx1 * width, fy0 * height, fy1 * height
        if shape.round:
            cx, cy, rx, ry = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0) / 2, (y1 - y0) / 2
            mask = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
        else:
            mask = (x >= x0) & (x < x1) & (y >= y0) & (y < y1)
        rgb[mask] = shape.colour
    return rgb


@source("video_scenes")
class VideoScenes:
    """Frames of scene k between ``changes_at[k-1]`` and ``changes_at[k]`` seconds after creation."""

    name = "video_scenes"

    def __init__(self, changes_at: tuple[float, ...] = (3.0, 8.0, 13.0), width: int = 768, height: int = 576,
                 noise: float = 6.0, shake_px: int = 2, seed: int = 0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if list(changes_at) != sorted(changes_at):
            raise ValueError("changes_at must be in increasing order")
        self.changes_at, self.noise, self.shake_px, self.clock = tuple(changes_at), noise, shake_px, clock
        self._rng = np.random.default_rng(seed)
        self._scenes = [render_scene(i, width, height) for i in range(len(changes_at) + 1)]
        self._t0 = clock()
        self.frames_served = 0

    def scene_at(self, t: float) -> int:
        """Which scene plays ``t`` seconds after creation."""
        return int(np.searchsorted(self.changes_at, t, side="right"))

    def latest(self) -> ImageInput:
        self.frames_served += 1
        rgb = self._scenes[self.scene_at(self.clock() - self._t0)]
        if self.shake_px:
            dy, dx = self._rng.integers(-self.shake_px, self.shake_px + 1, size=2)
            rgb = np.roll(rgb, (int(dy), int(dx)), axis=(0, 1))
        if self.noise:
            grain = self._rng.normal(0.0, self.noise, size=rgb.shape).astype(np.float32)
            rgb = np.clip(rgb + grain, 0, 255).astype(np.uint8)
        return ImageInput(rgb=downscale(rgb))

    def close(self) -> None:
        pass

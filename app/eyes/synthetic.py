"""A synthetic frame (tests, demos): a gradient with a coloured square that moves with each frame."""

from __future__ import annotations

import numpy as np

from app.eyes import downscale, source
from models.base import ImageInput


@source("synthetic")
class SyntheticEyes:
    name = "synthetic"

    def __init__(self, width: int = 320, height: int = 240) -> None:
        self.width, self.height, self.count = width, height, 0

    def latest(self) -> ImageInput:
        self.count += 1
        y, x = np.mgrid[0 : self.height, 0 : self.width]
        rgb = np.stack([x * 255 // self.width, y * 255 // self.height, np.full_like(x, 96)], -1).astype(np.uint8)
        s = self.count * 7 % max(1, self.width - 40)
        rgb[40:80, s : s + 40] = (230, 40, 40)
        return ImageInput(rgb=downscale(rgb))

    def close(self) -> None:
        pass

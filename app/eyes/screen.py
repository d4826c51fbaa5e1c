"""The screen, grabbed on demand with mss (~2 ms for 1080p). macOS asks for the Screen Recording permission."""

from __future__ import annotations

import numpy as np

from app.eyes import FrameError, downscale, source
from models.base import ImageInput


@source("screen")
class ScreenEyes:
    name = "screen"

    def __init__(self, monitor: int = 1) -> None:
        try:
            import mss

            self._grabber = mss.mss()
            self._monitor = self._grabber.monitors[min(monitor, len(self._grabber.monitors) - 1)]
        except Exception as exc:  # noqa: BLE001 - no display, no permission, ...
            raise FrameError(
                f"Screen capture is unavailable ({str(exc)[:100]}). On macOS allow Screen Recording for Hearth in "
                "System Settings > Privacy & Security."
            ) from None

    def latest(self) -> ImageInput | None:
        try:
            shot = self._grabber.grab(self._monitor)
        except Exception:  # noqa: BLE001 - a display can go away; the turn goes without a frame
            return None
        bgra = np.frombuffer(shot.bgra, np.uint8).reshape(shot.height, shot.width, 4)
        return ImageInput(rgb=downscale(bgra[..., 2::-1]))

    def close(self) -> None:
        self._grabber.close()

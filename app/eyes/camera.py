"""A camera through OpenCV, read continuously on its own thread so that ``latest()`` never waits."""

from __future__ import annotations

import threading

import numpy as np

from app.eyes import FrameError, downscale, source
from models.base import ImageInput


@source("camera")
class CameraEyes:
    name = "camera"

    def __init__(self, index: int = 0) -> None:
        import os

        os.environ.setdefault("OPENCV_LOG_LEVEL", "OFF")  # a missing camera is our message, not OpenCV's noise
        import cv2

        self._cap = cv2.VideoCapture(index)
        if not self._cap.isOpened():
            raise FrameError(
                f"No camera found (device {index}). Connect one, or on macOS allow Camera access for Hearth in "
                "System Settings > Privacy & Security; screen capture and image files still work."
            )
        self._frame: np.ndarray | None = None
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._read, name="hearth-camera", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while self._running:
            ok, bgr = self._cap.read()
            if not ok:
                break
            small = downscale(bgr[..., ::-1])
            with self._lock:
                self._frame = small

    def latest(self) -> ImageInput | None:
        with self._lock:
            frame = self._frame
        return ImageInput(rgb=frame) if frame is not None else None

    def close(self) -> None:
        self._running = False
        self._thread.join(1)
        self._cap.release()

"""Frames from an image file, or from a video file (the frame at the current read position, via OpenCV)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.eyes import FrameError, downscale, source
from models.base import ImageInput

VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".avi", ".mkv", ".webm"}


@source("file")
class FileEyes:
    name = "file"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise FrameError(f"No such image or video file: {self.path}")
        self._video = None
        self._image: np.ndarray | None = None
        if self.path.suffix.lower() in VIDEO_SUFFIXES:
            import cv2

            self._video = cv2.VideoCapture(str(self.path))
            if not self._video.isOpened():
                raise FrameError(f"Cannot open the video {self.path}; is it a supported format?")
        else:
            self._image = self._read_image()

    def _read_image(self) -> np.ndarray:
        from PIL import Image, UnidentifiedImageError

        try:
            with Image.open(self.path) as img:
                return downscale(np.asarray(img.convert("RGB")))
        except (UnidentifiedImageError, OSError) as exc:
            raise FrameError(f"Cannot read the image {self.path}: {exc}") from None

    def latest(self) -> ImageInput | None:
        if self._image is not None:
            return ImageInput(rgb=self._image)
        ok, bgr = self._video.read()  # type: ignore[union-attr]
        if not ok:
            self._video.set(1, 0)  # type: ignore[union-attr]  # CAP_PROP_POS_FRAMES: loop the clip
            ok, bgr = self._video.read()  # type: ignore[union-attr]
        return ImageInput(rgb=downscale(bgr[..., ::-1])) if ok else None

    def close(self) -> None:
        if self._video is not None:
            self._video.release()

"""ImageInput (a file or RGB pixels) to Qt images and thumbnails; GUI thread only."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

from models.base import ImageInput


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """An (H, W, 3) uint8 array as a QImage that owns its pixels."""
    arr = np.ascontiguousarray(rgb[..., :3], dtype=np.uint8)
    h, w = arr.shape[:2]
    return QImage(arr.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


def qimage_to_rgb(image: QImage) -> np.ndarray:
    img = image.convertToFormat(QImage.Format.Format_RGB888)
    h, w, stride = img.height(), img.width(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=h * stride).reshape(h, stride)
    return buf[:, : w * 3].reshape(h, w, 3).copy()


def to_qimage(image: ImageInput) -> QImage:
    if image.rgb is not None:
        return rgb_to_qimage(image.rgb)
    return QImage(str(image.path))


def thumbnail(image: ImageInput | QImage, max_side: int) -> QPixmap:
    img = image if isinstance(image, QImage) else to_qimage(image)
    if img.isNull():
        return QPixmap()
    pix = QPixmap.fromImage(img)
    if max(pix.width(), pix.height()) > max_side:
        pix = pix.scaled(max_side, max_side, Qt.AspectRatioMode.KeepAspectRatio,
                         Qt.TransformationMode.SmoothTransformation)
    return pix


def describe(image: ImageInput) -> str:
    if image.path is not None:
        return f"image {image.path.name}"
    h, w = image.rgb.shape[:2]  # type: ignore[union-attr]
    return f"captured frame {w}×{h}"

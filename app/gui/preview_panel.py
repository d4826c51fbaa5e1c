"""Camera-or-screen preview with "attach this frame": the chosen frame goes with the next message.

Frames arrive as RGB arrays (``show_frame``, e.g. from a frame source through the bridge), from a screen grab, or
from an image file; attaching emits an ``ImageInput`` on ``attach``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QImage, QPainter, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from app.gui.images import qimage_to_rgb, rgb_to_qimage
from models.base import ImageInput

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.webp *.bmp *.gif)"


class SharedFrame:
    """The preview's current frame for the session thread: a locked reference to an immutable ImageInput.
    It is the session's FrameSource, so "what is this?" turns see what the preview shows."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: ImageInput | None = None

    def set(self, frame: ImageInput | None) -> None:
        with self._lock:
            self._frame = frame

    def latest(self) -> ImageInput | None:
        with self._lock:
            return self._frame


class FrameView(QWidget):
    """The latest frame, scaled to fit with its aspect ratio kept (a placeholder text until there is one)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.image = QImage()
        self.placeholder = "No frame yet.\nCapture the screen or open an image."
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setMinimumSize(160, 120)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(300, 150)

    def set_image(self, image: QImage) -> None:
        self.image = image
        self.update()

    def set_placeholder(self, text: str) -> None:
        self.image, self.placeholder = QImage(), text
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        pal = self.palette()
        painter.fillRect(self.rect(), pal.color(QPalette.ColorRole.AlternateBase))
        if self.image.isNull():
            painter.setPen(pal.color(QPalette.ColorRole.PlaceholderText))
            painter.drawText(self.rect().adjusted(8, 4, -8, -4),
                             Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.placeholder)
            return
        size = self.image.size().scaled(self.size(), Qt.AspectRatioMode.KeepAspectRatio)
        x, y = (self.width() - size.width()) // 2, (self.height() - size.height()) // 2
        painter.drawImage(QRect(x, y, size.width(), size.height()), self.image)


LIVE_SOURCES = {"Off": "", "Camera": "camera", "Screen": "screen"}
POLL_MS = 250  # live preview refresh; sources return their newest frame without waiting


class PreviewPanel(QWidget):
    attach = Signal(object)  # ImageInput
    _opened = Signal(str, object, str)  # (name, frame source or None, error message): from the opening thread

    def __init__(self, shared: SharedFrame | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._frame: ImageInput | None = None
        self.shared = shared or SharedFrame()
        self.view = FrameView()
        self.view.setAccessibleName("Frame preview")
        self.screen_button = QPushButton("Capture screen")
        self.screen_button.setAccessibleName("Capture the screen into the preview")
        self.screen_button.clicked.connect(self.capture_screen)
        self.file_button = QPushButton("Open image…")
        self.file_button.setAccessibleName("Open an image file into the preview")
        self.file_button.clicked.connect(self._choose_file)
        self.attach_button = QPushButton("Attach this frame")
        self.attach_button.setAccessibleName("Attach this frame to the next message")
        self.attach_button.setEnabled(False)
        self.attach_button.clicked.connect(self._attach)
        self.live = QComboBox()
        self.live.setAccessibleName("Live preview source")
        for label in LIVE_SOURCES:
            self.live.addItem(label, LIVE_SOURCES[label])
        self.live.activated.connect(lambda _i: self.start_live(self.live.currentData()))
        self._eyes: object | None = None
        self._wanted = ""
        self.allowed = {"camera": True, "screen": True}
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._refresh)
        self._opened.connect(self._on_opened, Qt.ConnectionType.QueuedConnection)
        live_row = QHBoxLayout()
        live_label = QLabel("Live")
        live_label.setBuddy(self.live)
        live_row.addWidget(live_label)
        live_row.addWidget(self.live, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.screen_button)
        buttons.addWidget(self.file_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.view, 1)
        layout.addLayout(live_row)
        layout.addLayout(buttons)
        layout.addWidget(self.attach_button)

    def set_allowed(self, camera: bool, screen: bool) -> None:
        """The organization's policy may forbid the camera or screen capture: those choices are off and say why
        (opening an image file stays possible)."""
        self.allowed = {"camera": camera, "screen": screen}
        model = self.live.model()
        for i in range(self.live.count()):
            name = self.live.itemData(i)
            if name and not self.allowed.get(name, True):
                item = model.item(i)
                item.setEnabled(False)
                item.setText(f"{self.live.itemText(i).split(' (')[0]} (not allowed)")
                item.setToolTip(f"Your organization's policy does not allow the {name}.")
        forbidden = [n for n, ok in self.allowed.items() if not ok]
        self.live.setAccessibleDescription(" ".join(f"The {n} is not allowed by your organization's policy."
                                                    for n in forbidden))
        self.screen_button.setEnabled(screen)
        if not screen:
            why = "Screen capture is not allowed by your organization's policy."
            self.screen_button.setToolTip(why)
            self.screen_button.setAccessibleDescription(why)
        if self._wanted and not self.allowed.get(self._wanted, True):
            self.start_live("")
            self.live.setCurrentIndex(0)

    @property
    def frame(self) -> ImageInput | None:
        return self._frame

    def show_frame(self, rgb: np.ndarray) -> None:
        self._set(ImageInput(rgb=np.ascontiguousarray(rgb, dtype=np.uint8)), rgb_to_qimage(rgb))

    def show_file(self, path: Path) -> None:
        image = QImage(str(path))
        if image.isNull():
            self.view.set_placeholder(f"Cannot open {path.name} as an image.")
            return
        self._set(ImageInput(path=Path(path)), image)

    def capture_screen(self) -> None:
        if not self.allowed["screen"]:
            self.view.set_placeholder("Screen capture is not allowed by your organization's policy.")
            return
        self.start_live("")
        self.live.setCurrentIndex(0)
        screen = QGuiApplication.primaryScreen()
        image = screen.grabWindow(0).toImage() if screen is not None else QImage()
        if image.isNull():
            self.view.set_placeholder("The screen cannot be captured here.")
            return
        self._set(ImageInput(rgb=qimage_to_rgb(image)), image)

    # ------------------------------------------------------------------------------------------ live feed
    def start_live(self, name: str) -> None:
        """Show a live source ("camera", "screen", ...) or stop ("" ). Opening runs off the GUI thread (a camera
        can take a second); frames are then polled, which never waits."""
        self.stop_live()
        if name and not self.allowed.get(name, True):
            self.view.set_placeholder(f"The {name} is not allowed by your organization's policy.")
            name = ""
        self._wanted = name
        if not name:
            return
        self.view.set_placeholder(f"Starting {name}…")
        threading.Thread(target=self._open, args=(name,), name="hearth-eyes-open", daemon=True).start()

    def _open(self, name: str) -> None:
        from app.eyes import FrameError, open_source

        try:
            self._opened.emit(name, open_source(name), "")
        except (FrameError, ImportError, OSError) as exc:
            self._opened.emit(name, None, str(exc) or f"The {name} source is unavailable.")

    def _on_opened(self, name: str, eyes: object | None, error: str) -> None:
        if name != self._wanted:  # the user chose something else meanwhile
            if eyes is not None:
                eyes.close()
            return
        if eyes is None:
            self.view.set_placeholder(error)
            self.live.setCurrentIndex(0)
            return
        self.stop_live()
        self._eyes = eyes
        self._refresh()
        self._poll.start()

    def _refresh(self) -> None:
        frame = self._eyes.latest() if self._eyes is not None else None
        if frame is not None and frame.rgb is not None:
            self._set(frame, rgb_to_qimage(frame.rgb))

    def stop_live(self) -> None:
        self._poll.stop()
        eyes, self._eyes = self._eyes, None
        if eyes is not None:
            eyes.close()

    @property
    def live_running(self) -> bool:
        return self._poll.isActive()

    def _set(self, frame: ImageInput, image: QImage) -> None:
        self._frame = frame
        self.shared.set(frame)
        self.view.set_image(image)
        self.view.setAccessibleDescription(f"{image.width()}×{image.height()} frame")
        self.attach_button.setEnabled(True)

    def _choose_file(self) -> None:
        self.start_live("")
        self.live.setCurrentIndex(0)
        name, _ = QFileDialog.getOpenFileName(self, "Open an image", str(Path.home()), IMAGE_FILTER)
        if name:
            self.show_file(Path(name))

    def _attach(self) -> None:
        if self._frame is not None:
            self.attach.emit(self._frame)

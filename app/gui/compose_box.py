"""Typing: a text box, attached images (from the preview or a file), Send and Stop. Emits ``SendText`` and
``StopReply`` intents; a message the session could not take comes back into the box (nothing typed is lost)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.conversations.store import new_message_id
from app.gui.images import describe
from app.loop.events import SendText, StopReply
from models.base import ImageInput


class ComposeBox(QWidget):
    intent = Signal(object)
    sent = Signal(str, str, tuple)  # message id, text, images: the conversation view's pending bubble

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.images: tuple[ImageInput, ...] = ()
        self.text = QLineEdit()
        self.text.setPlaceholderText("Type a message, or hold Space to talk…")
        self.text.setAccessibleName("Message")
        self.text.setClearButtonEnabled(True)
        self.text.setMinimumHeight(36)
        self.text.returnPressed.connect(self.send)
        self.send_button = QPushButton("Send")
        self.send_button.setAccessibleName("Send message")
        self.send_button.clicked.connect(self.send)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setAccessibleName("Stop the reply")
        self.stop_button.setToolTip("Stop the reply (Esc)")
        self.stop_button.clicked.connect(lambda: self.intent.emit(StopReply()))
        self.attached = QLabel(objectName="hint")
        self.clear_button = QPushButton("Remove")
        self.clear_button.setAccessibleName("Remove attached images")
        self.clear_button.clicked.connect(self.clear_images)
        chips = QHBoxLayout()
        chips.setContentsMargins(0, 0, 0, 0)
        chips.addWidget(self.attached)
        chips.addWidget(self.clear_button)
        chips.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(8)
        row.addWidget(self.text, 1)
        row.addWidget(self.send_button)
        row.addWidget(self.stop_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 4)
        layout.setSpacing(4)
        layout.addLayout(chips)
        layout.addLayout(row)
        self._show_images()

    def set_can_hear(self, can_hear: bool) -> None:
        self.text.setPlaceholderText("Type a message, or hold Space to talk…" if can_hear else "Type a message…")

    def attach(self, image: ImageInput) -> None:
        self.images = self.images + (image,)
        self._show_images()

    def clear_images(self) -> None:
        self.images = ()
        self._show_images()

    def _show_images(self) -> None:
        names = ", ".join(describe(i) for i in self.images)
        self.attached.setText(f"Attached: {names}" if self.images else "")
        self.attached.setVisible(bool(self.images))
        self.clear_button.setVisible(bool(self.images))

    def send(self) -> None:
        text = self.text.text().strip()
        if not text:
            return
        images, message_id = self.images, new_message_id()  # the bubble and the session share this id
        self.text.clear()
        self.clear_images()
        self.sent.emit(message_id, text, images)
        self.intent.emit(SendText(text, images, message_id))

    def restore(self, text: str) -> None:
        """Put back a message that was not taken, unless the user already typed something new."""
        if text and not self.text.text().strip():
            self.text.setText(text)

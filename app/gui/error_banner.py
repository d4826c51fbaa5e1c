"""Non-blocking error banner above the conversation: the message says what happened and the fix. Several errors
queue up; dismissing one shows the next. Nothing is modal and nothing the user typed is touched."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

from app.gui.talk_panel import announce


class ErrorBanner(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.setAccessibleName("Problem")
        self.message = QLabel(wordWrap=True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.more = QLabel()
        self.dismiss = QPushButton("Dismiss")
        self.dismiss.setAccessibleName("Dismiss this message")
        self.dismiss.clicked.connect(self.next)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(14, 10, 10, 10)
        layout.setSpacing(10)
        icon = QLabel("⚠")
        icon.setAccessibleName("Warning")
        layout.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.message, 1)
        layout.addWidget(self.more)
        layout.addWidget(self.dismiss, 0, Qt.AlignmentFlag.AlignTop)
        self.queue: list[str] = []
        self.hide()

    def show_message(self, text: str) -> None:
        if text in self.queue:
            return
        self.queue.append(text)
        self._render()

    def next(self) -> None:
        if self.queue:
            self.queue.pop(0)
        self._render()

    @property
    def current(self) -> str:
        return self.queue[0] if self.queue else ""

    def _render(self) -> None:
        if not self.queue:
            self.hide()
            return
        self.message.setText(self.queue[0])
        extra = len(self.queue) - 1
        self.more.setText(f"+{extra} more" if extra else "")
        self.show()
        announce(self, self.queue[0])

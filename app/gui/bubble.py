"""One message of the conversation as a bubble: who, text (muted while partial), images, a status line."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.gui.images import describe, thumbnail
from models.base import ImageInput

LONG_RUN = re.compile(r"\S{30}")


class Who(enum.Enum):
    USER = "user"
    ASSISTANT = "assistant"
    PROBLEM = "problem"  # why a message got no answer, shown where the answer would be


NAMES = {Who.USER: "You", Who.ASSISTANT: "Hearth", Who.PROBLEM: "Hearth could not answer"}
SPOKEN = {Who.USER: "You said", Who.ASSISTANT: "Hearth said", Who.PROBLEM: "Hearth could not answer"}


@dataclass(frozen=True)
class ShownMessage:
    """What a bubble shows (for tests and accessibility)."""

    who: Who
    text: str
    partial: bool
    turn_id: int | None
    message_id: str = ""
    status: str = ""


def restyle(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class Bubble(QFrame):
    def __init__(self, who: Who, turn_id: int | None = None, message_id: str = "",
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.who, self.turn_id, self.message_id, self.partial = who, turn_id, message_id, False
        self.status = ""
        self._text = ""
        self.setObjectName("bubble")
        self.setProperty("speaker", who.value)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 10)
        layout.setSpacing(4)
        self.meta = QLabel(NAMES[who], objectName="bubbleMeta")
        self.label = QLabel(objectName="bubbleText", wordWrap=True)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                           | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.images = QHBoxLayout()
        self.images.setSpacing(6)
        layout.addWidget(self.meta)
        layout.addLayout(self.images)
        layout.addWidget(self.label)
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)

    @property
    def text(self) -> str:
        return self._text

    def shown(self) -> ShownMessage:
        return ShownMessage(self.who, self.text, self.partial, self.turn_id, self.message_id, self.status)

    def fit(self, max_width: int | None = None) -> None:
        """Width to content (one line if it fits), at most ``max_width``: short messages get small bubbles."""
        if max_width is not None:
            self.setMaximumWidth(max_width)
        inner = self.maximumWidth() - 30
        fm = QFontMetrics(self.label.font())
        longest = max((fm.horizontalAdvance(line) for line in self.text.splitlines() or [""]), default=0)
        meta = QFontMetrics(self.meta.font()).horizontalAdvance(self.meta.text())
        want = max(longest + 6, meta + 6, 200 * min(1, self.images.count()))
        self.label.setMinimumWidth(min(inner, want))

    def set_text(self, text: str, partial: bool = False) -> None:
        self._text = text
        self.label.setText(LONG_RUN.sub("\\g<0>\u200b", text))  # let very long words (URLs) wrap
        self.label.setVisible(bool(text) or not self.images.count())
        if partial != self.partial:
            self.partial = partial
            self.label.setProperty("partial", "true" if partial else "false")
            restyle(self.label)
        self._describe()
        self.fit()

    def set_status(self, status: str) -> None:
        self.status = status
        self.meta.setText(f"{NAMES[self.who]} · {status}" if status else NAMES[self.who])
        self._describe()
        self.fit()

    def _describe(self) -> None:
        still = " (still listening)" if self.partial else ""
        status = f" ({self.status})" if self.status and not self.partial else ""
        self.setAccessibleName(f"{SPOKEN[self.who]}{still}{status}: {self.text}")

    def add_images(self, images: tuple[ImageInput, ...]) -> None:
        for image in images:
            thumb = QLabel()
            thumb.setPixmap(thumbnail(image, 200))
            thumb.setAccessibleName(describe(image))
            self.images.addWidget(thumb)
        if images:
            self.images.addStretch(1)

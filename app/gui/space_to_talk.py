"""Hold Space (when the focus does not need it) or Ctrl+Space anywhere in the window to talk."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

if TYPE_CHECKING:
    from app.gui.talk_panel import TalkBar

TYPING_WIDGETS = (QLineEdit, QTextEdit, QPlainTextEdit, QComboBox, QAbstractSpinBox, QAbstractSlider,
                  QAbstractItemView, QAbstractButton)


class SpaceToTalk(QObject):
    """An application event filter for one window's push-to-talk keys."""

    def __init__(self, window: QWidget, talk: "TalkBar") -> None:
        super().__init__(window)
        self.window, self.talk = window, talk

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or event.key() != Qt.Key.Key_Space:
            return False
        if not isinstance(obj, QWidget) or obj.window() is not self.window:
            return False
        if event.isAutoRepeat():
            return self.talk.talking
        if kind == QEvent.Type.KeyPress:
            if not self.space_talks(obj, event):
                return False
            self.talk.set_talking(True)
            return True
        if self.talk.talking:
            self.talk.set_talking(False)
            return True
        return False

    def space_talks(self, focus: QWidget, event: QEvent) -> bool:
        """Space talks unless the focus needs it (typing, buttons, lists); Ctrl+Space always talks."""
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return True
        return focus is self.talk.talk or not isinstance(focus, TYPING_WIDGETS)

"""Spoken state changes for screen readers: every change of the assistant's state, a tool's progress, an approval
waiting, narration on/off, a new mode is said once (Qt's accessibility announcement), and kept in a short history
(what was said last, for tests and for a screen-reader user who missed it)."""

from __future__ import annotations

from collections import deque

from PySide6.QtGui import QAccessible, QAccessibleAnnouncementEvent
from PySide6.QtWidgets import QWidget


class Announcer:
    def __init__(self, widget: QWidget, keep: int = 50) -> None:
        self.widget = widget
        self.history: deque[str] = deque(maxlen=keep)

    def say(self, text: str, urgent: bool = False) -> None:
        """Announce ``text`` (politely, or interrupting the screen reader when ``urgent``)."""
        if not text:
            return
        self.history.append(text)
        event = QAccessibleAnnouncementEvent(self.widget, text)
        event.setPoliteness(QAccessible.AnnouncementPoliteness.Assertive if urgent
                            else QAccessible.AnnouncementPoliteness.Polite)
        QAccessible.updateAccessibility(event)

    @property
    def last(self) -> str:
        return self.history[-1] if self.history else ""

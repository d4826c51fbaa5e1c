"""The conversation: one bubble per message, replies streaming in, live partial transcripts in a muted style.

Bubbles are keyed by (speaker, turn id). A typed message is shown at once as pending and adopts its turn id when
the session confirms it (``UserSaid`` with the same text); a spoken one grows from partial transcripts and is
replaced by the final one.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from app.gui.images import describe, thumbnail
from models.base import ImageInput


LONG_RUN = re.compile(r"\S{30}")


class Who(enum.Enum):
    USER = "user"
    ASSISTANT = "assistant"


@dataclass(frozen=True)
class ShownMessage:
    """What a bubble shows (for tests and accessibility)."""

    who: Who
    text: str
    partial: bool
    turn_id: int | None


def _restyle(widget: QWidget) -> None:
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class Bubble(QFrame):
    def __init__(self, who: Who, turn_id: int | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.who, self.turn_id, self.partial = who, turn_id, False
        self._text = ""
        self.setObjectName("bubble")
        self.setProperty("speaker", who.value)
        self.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Maximum)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(14, 8, 14, 10)
        layout.setSpacing(4)
        self.meta = QLabel("You" if who is Who.USER else "Hearth", objectName="bubbleMeta")
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

    def fit(self, max_width: int | None = None) -> None:
        """Width to content (one line if it fits), at most ``max_width``: short messages get small bubbles."""
        if max_width is not None:
            self.setMaximumWidth(max_width)
        inner = self.maximumWidth() - 30
        fm = QFontMetrics(self.label.font())
        longest = max((fm.horizontalAdvance(line) for line in self.text.splitlines() or [""]), default=0)
        want = max(longest + 6, fm.horizontalAdvance(self.meta.text()) + 6, 200 * min(1, self.images.count()))
        self.label.setMinimumWidth(min(inner, want))

    def set_text(self, text: str, partial: bool = False) -> None:
        self._text = text
        self.label.setText(LONG_RUN.sub("\\g<0>\u200b", text))  # let very long words (URLs) wrap
        self.fit()
        self.label.setVisible(bool(text) or not self.images.count())
        if partial != self.partial:
            self.partial = partial
            self.label.setProperty("partial", "true" if partial else "false")
            _restyle(self.label)
        who = "You said" if self.who is Who.USER else "Hearth said"
        self.setAccessibleName(f"{who}{' (still listening)' if partial else ''}: {text}")

    def set_status(self, status: str) -> None:
        base = "You" if self.who is Who.USER else "Hearth"
        self.meta.setText(f"{base} · {status}" if status else base)

    def add_images(self, images: tuple[ImageInput, ...]) -> None:
        for image in images:
            thumb = QLabel()
            thumb.setPixmap(thumbnail(image, 200))
            thumb.setAccessibleName(describe(image))
            self.images.addWidget(thumb)
        if images:
            self.images.addStretch(1)


class ConversationView(QScrollArea):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setAccessibleName("Conversation")
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self.column = QVBoxLayout(inner)
        self.column.setContentsMargins(16, 12, 16, 12)
        self.column.setSpacing(10)
        self.column.addStretch(1)
        self.welcome = QLabel("Hold the talk button (or Space) and speak, or type a message below.\n"
                              "Everything stays on this computer.", objectName="hint", wordWrap=True)
        self.welcome.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(self.welcome)
        self.column.addStretch(1)
        self.setWidget(inner)
        self._bubbles: dict[tuple[Who, int], Bubble] = {}
        self._pending: list[Bubble] = []
        self._order: list[Bubble] = []
        self.verticalScrollBar().rangeChanged.connect(self._follow)
        self._at_bottom = True
        self.verticalScrollBar().valueChanged.connect(self._track)

    # ------------------------------------------------------------------------------------------ reading
    def messages(self) -> list[ShownMessage]:
        return [ShownMessage(b.who, b.text, b.partial, b.turn_id) for b in self._order]

    # ------------------------------------------------------------------------------------------ user side
    def add_pending_user(self, text: str, images: tuple[ImageInput, ...] = ()) -> None:
        bubble = self._new(Who.USER, None)
        bubble.add_images(images)
        bubble.set_text(text)
        bubble.set_status("sending…")
        self._pending.append(bubble)

    def user_partial(self, turn_id: int, text: str) -> None:
        self._get(Who.USER, turn_id).set_text(text, partial=True)

    def transcript_final(self, stt_turn: int, text: str) -> None:
        """The final transcript replaces the partial one; it awaits the session's ``UserSaid`` (whose turn id may
        differ from the transcription's). An empty transcript (no words) removes the bubble."""
        bubble = self._get(Who.USER, stt_turn)
        if not text.strip():
            self._remove(bubble)
            return
        bubble.set_text(text)
        bubble.set_status("")
        if bubble not in self._pending:
            self._pending.append(bubble)

    def user_said(self, turn_id: int, text: str, images: tuple[ImageInput, ...] = ()) -> None:
        """A user turn entered the history: confirm its typed or spoken bubble, or show a new one."""
        bubble = self._bubbles.get((Who.USER, turn_id)) or self._adopt_pending(turn_id, text) or self._get(
            Who.USER, turn_id)
        if bubble in self._pending:
            self._pending.remove(bubble)
        if images and not bubble.images.count():
            bubble.add_images(images)
        bubble.set_text(text)
        bubble.set_status("")

    def _adopt_pending(self, turn_id: int, text: str) -> Bubble | None:
        match = next((b for b in self._pending if b.text.strip() == text.strip()), None)
        if match is None:
            return None
        self._pending.remove(match)
        self._bubbles = {k: v for k, v in self._bubbles.items() if v is not match}
        match.turn_id = turn_id
        self._bubbles[(Who.USER, turn_id)] = match
        return match

    def _adopt_oldest(self, turn_id: int) -> None:
        if self._pending:
            self._adopt_pending(turn_id, self._pending[0].text)
            self._bubbles[(Who.USER, turn_id)].set_status("")

    def fail_pending(self) -> str:
        """A sent message the session refused: mark it and return its text, so it can go back in the text box."""
        if not self._pending:
            return ""
        bubble = self._pending.pop()
        bubble.set_status("not sent")
        return bubble.text

    # ------------------------------------------------------------------------------------------ reply side
    def reply_delta(self, turn_id: int, text: str) -> None:
        if (Who.ASSISTANT, turn_id) not in self._bubbles and (Who.USER, turn_id) not in self._bubbles:
            self._adopt_oldest(turn_id)  # a reply means the oldest typed message was taken
        bubble = self._get(Who.ASSISTANT, turn_id)
        bubble.set_text(bubble.text + text)
        bubble.set_status("answering…")

    def reply_done(self, turn_id: int, text: str, status: str = "") -> None:
        bubble = self._get(Who.ASSISTANT, turn_id)
        bubble.set_text(text or bubble.text)
        bubble.set_status(status)

    def reply_cut(self, turn_id: int, heard: str) -> None:
        bubble = self._get(Who.ASSISTANT, turn_id)
        bubble.set_text(heard)
        bubble.set_status("interrupted")

    def reply_stopped(self, turn_id: int) -> None:
        bubble = self._bubbles.get((Who.ASSISTANT, turn_id))
        if bubble is not None:
            bubble.set_status("stopped")

    def add_note(self, text: str) -> None:
        note = QLabel(text, objectName="hint", wordWrap=True)
        note.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.insertWidget(self.column.count(), note)

    # ------------------------------------------------------------------------------------------ internals
    def _get(self, who: Who, turn_id: int) -> Bubble:
        bubble = self._bubbles.get((who, turn_id))
        if bubble is None:
            bubble = self._new(who, turn_id)
            self._bubbles[(who, turn_id)] = bubble
        return bubble

    def _remove(self, bubble: Bubble) -> None:
        self._bubbles = {k: v for k, v in self._bubbles.items() if v is not bubble}
        self._order.remove(bubble)
        if bubble in self._pending:
            self._pending.remove(bubble)
        self.column.removeItem(bubble.row)
        bubble.deleteLater()

    def _new(self, who: Who, turn_id: int | None) -> Bubble:
        self.welcome.hide()
        bubble = Bubble(who, turn_id)
        row = bubble.row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        if who is Who.USER:
            row.addStretch(1)
        row.addWidget(bubble)
        bubble.fit(self._bubble_width())
        if who is Who.ASSISTANT:
            row.addStretch(1)
        self.column.addLayout(row)
        self._order.append(bubble)
        return bubble

    def _bubble_width(self) -> int:
        return max(240, int(self.viewport().width() * 0.78))

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self.refit()

    def refit(self) -> None:
        """Re-measure bubbles (after a resize or a font change)."""
        width = self._bubble_width()
        for bubble in self._order:
            bubble.fit(width)

    def _track(self, value: int) -> None:
        bar = self.verticalScrollBar()
        self._at_bottom = value >= bar.maximum() - 24

    def _follow(self, _lo: int, hi: int) -> None:
        if self._at_bottom:
            QTimer.singleShot(0, lambda: self.verticalScrollBar().setValue(self.verticalScrollBar().maximum()))

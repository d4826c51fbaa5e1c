"""The talk bar: a large push-to-talk button, a hands-free toggle, the loop's state and the microphone meter.

Widgets only render events (``StateChanged``, ``MicLevel``) and emit intents (``PushToTalk``, ``SetHandsFree``)
through the ``intent`` signal; the window forwards intents to the session.
"""

from __future__ import annotations

import enum
from typing import Callable

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QColor, QPainter, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from app.loop.events import LoopState, MicLevel, PushToTalk, SetHandsFree, SetNarration

STATE_TEXT = {
    LoopState.IDLE: ("Ready", "#8a8f98"),
    LoopState.LISTENING: ("Listening", "#2e9d57"),
    LoopState.TRANSCRIBING: ("Transcribing", "#c98a12"),
    LoopState.THINKING: ("Thinking", "#3b73d9"),
    LoopState.SPEAKING: ("Speaking", "#8b4fd6"),
}
HOLD, RELEASE = "Hold to talk", "Release to send"


class ChatStatus(enum.Enum):
    """Whether a typed or spoken message can be answered now."""

    LOADING = "loading"
    READY = "ready"
    MISSING = "missing"


WAITING = ("Waiting for your approval", "#c98a12")
CHAT_TEXT = {ChatStatus.LOADING: ("Loading the model…", "#c98a12"), ChatStatus.MISSING: ("No chat model", "#c0392b")}


def resting_text(state: LoopState, chat: ChatStatus, can_hear: bool, waiting: bool = False) -> tuple[str, str]:
    """What the state pill says: the loop's phase, except at rest, where it says what can really happen now."""
    if state not in (LoopState.IDLE, LoopState.LISTENING):
        return STATE_TEXT[state]
    if waiting:
        return WAITING
    if chat is not ChatStatus.READY:
        return CHAT_TEXT[chat]
    if not can_hear:
        return "Ready to type · no microphone", "#8a8f98"
    return STATE_TEXT[state]


def announce(widget: QWidget, text: str) -> None:
    """Tell assistive technology that ``widget`` now means ``text`` (no-op where accessibility is off)."""
    widget.setAccessibleDescription(text)
    QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.DescriptionChanged))


class StateIndicator(QWidget):
    """A coloured dot and a few words: ready / listening / transcribing / thinking / speaking, or why not."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = LoopState.IDLE
        self.chat, self.can_hear, self.waiting = ChatStatus.LOADING, True, False
        self.say: Callable[[str, bool], None] | None = None  # the window's announcer
        self.label = QLabel()
        self.label.setObjectName("sectionTitle")
        self.label.setWordWrap(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(22, 0, 0, 0)
        layout.addWidget(self.label)
        self.setAccessibleName("Assistant state")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.set_state(LoopState.IDLE)

    def set_state(self, state: LoopState) -> None:
        self.state = state
        self._render()

    def set_chat(self, chat: ChatStatus) -> None:
        self.chat = chat
        self._render()

    def set_hearing(self, can_hear: bool) -> None:
        self.can_hear = can_hear
        self._render()

    def set_waiting(self, waiting: bool) -> None:
        """A proposed change waits for the user's yes or no."""
        self.waiting = waiting
        self._render()

    @property
    def color(self) -> str:
        return resting_text(self.state, self.chat, self.can_hear, self.waiting)[1]

    def _render(self) -> None:
        text, _ = resting_text(self.state, self.chat, self.can_hear, self.waiting)
        if text == self.label.text():
            return
        self.label.setText(text)
        phase = text in {t for t, _ in STATE_TEXT.values()} or text == WAITING[0]
        words = f"Hearth is {text.lower()}" if phase else f"Hearth: {text}"
        announce(self, words)
        if self.say is not None:
            self.say(words, False)
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(self.color))
        d = 12
        painter.drawEllipse(QRectF(4, (self.height() - d) / 2, d, d))


class MicMeter(QWidget):
    """Microphone level as a horizontal bar from -60 dBFS to 0; green when voice is detected."""

    FLOOR_DB = -60.0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level = 0.0
        self.voice = False
        self.setAccessibleName("Microphone level")
        self.setMinimumSize(QSize(60, 14))
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(180, 14)

    def set_level(self, event: MicLevel) -> None:
        self.level = min(1.0, max(0.0, (event.dbfs - self.FLOOR_DB) / -self.FLOOR_DB))
        self.voice = event.voice
        self.setAccessibleDescription(f"{event.dbfs:.0f} dB{', voice' if event.voice else ''}")
        self.update()

    def paintEvent(self, _event) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        rect = QRectF(self.rect()).adjusted(0.5, 0.5, -0.5, -0.5)
        painter.setPen(pal.color(QPalette.ColorRole.Mid))
        painter.setBrush(pal.color(QPalette.ColorRole.Base))
        painter.drawRoundedRect(rect, 6, 6)
        if self.level > 0:
            # voice: a full-height bar (green); other sound: a thin one — the difference is not only colour
            inset = 2 if self.voice else max(2.0, rect.height() * 0.32)
            fill = QRectF(rect.left() + 2, rect.top() + inset, (rect.width() - 4) * self.level, rect.height() - 2 * inset)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#2e9d57") if self.voice else pal.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(fill, 4, 4)


class TalkBar(QWidget):
    """Push-to-talk (hold the button, or hold Space / Ctrl+Space), hands-free toggle, state and mic meter.

    Wide: one row. Narrow (small windows, large text): the state and the meter move to a second row, so the
    button is never clipped."""

    intent = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.talk = QPushButton(HOLD)
        self.talk.setObjectName("pushToTalk")
        self.talk.setAccessibleName("Push to talk")
        self.talk.setToolTip("Hold to speak; release to send. Shortcut: hold Space (or Ctrl+Space in the text box).")
        self.talk.setMinimumHeight(48)
        self.talk.setAutoRepeat(False)
        self.talk.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.talk.pressed.connect(lambda: self.set_talking(True))
        self.talk.released.connect(lambda: self.set_talking(False))
        self.hands_free = QCheckBox("Hands-free")
        self.hands_free.setAccessibleName("Hands-free listening")
        self.hands_free.setToolTip("Listen all the time and answer when you pause")
        self.hands_free.toggled.connect(self._hands_free_toggled)
        self.narrate = QCheckBox("Narrate changes")
        self.narrate.setAccessibleName("Narrate changes in view")
        self.narrate.setToolTip("Say what changes in front of the camera without being asked (Ctrl+Shift+N)")
        self.narrate.toggled.connect(lambda on: self.intent.emit(SetNarration(on)))
        self.narrate.hide()
        self.state = StateIndicator()
        self.meter = MicMeter()
        self.mic_label = QLabel("Mic", objectName="hint")
        self.can_hear = True
        self.talking = False
        self.narrator = False
        self.narrow = False
        self.row1, self.row2 = QHBoxLayout(), QHBoxLayout()
        for row in (self.row1, self.row2):
            row.setSpacing(14)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(16, 8, 16, 12)
        outer.setSpacing(6)
        outer.addLayout(self.row1)
        outer.addLayout(self.row2)
        self._arrange(narrow=False)
        self.fit_button()

    # ------------------------------------------------------------------------------------------------ layout
    def fit_button(self) -> None:
        """Wide enough for both of its texts in the current font (no jump, no clipping)."""
        widths = []
        for text in (HOLD, RELEASE):
            self.talk.setText(text)
            widths.append(self.talk.sizeHint().width())
        self.talk.setText(RELEASE if self.talking else HOLD)
        self.talk.setFixedWidth(max(widths))
        self._arrange(self.narrow, force=True)

    def _one_row_width(self) -> int:
        parts = (self.talk, self.hands_free, self.state, self.mic_label) + ((self.narrate,) if self.narrator else ())
        m = self.layout().contentsMargins()
        return (sum(w.sizeHint().width() for w in parts) + self.meter.minimumWidth() + 14 * 5
                + m.left() + m.right())

    def _arrange(self, narrow: bool, force: bool = False) -> None:
        if narrow == self.narrow and not force:
            return
        self.narrow = narrow
        for row in (self.row1, self.row2):
            while row.count():
                row.takeAt(0)
        self.row1.addWidget(self.talk)
        self.row1.addWidget(self.hands_free)
        self.row1.addWidget(self.narrate)
        second = self.row2 if narrow else self.row1
        second.addWidget(self.state, 1 if narrow else 0)
        second.addStretch(0 if narrow else 1)
        second.addWidget(self.mic_label)
        second.addWidget(self.meter, 1)
        if narrow:
            self.row1.addStretch(1)

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt override: the narrow (two-row) layout is the minimum
        m = self.layout().contentsMargins()
        first = self.talk.width() + self.hands_free.sizeHint().width() + 14
        if self.narrator:
            first += self.narrate.sizeHint().width() + 14
        second = 90 + self.mic_label.sizeHint().width() + self.meter.minimumWidth() + 28
        height = self.talk.minimumHeight() + self.state.sizeHint().height() + 6
        return QSize(max(first, second) + m.left() + m.right(), height + m.top() + m.bottom())

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._arrange(narrow=event.size().width() < self._one_row_width())

    # ------------------------------------------------------------------------------------------------ state
    def set_hearing(self, can_hear: bool, reason: str = "") -> None:
        """Without a microphone the talk controls cannot do anything: they are disabled and say why."""
        self.can_hear = can_hear
        why = reason or "No microphone is available; typing works."
        for widget in (self.talk, self.hands_free):
            widget.setEnabled(can_hear)
            widget.setAccessibleDescription("" if can_hear else why)
        self.talk.setToolTip(self.talk.toolTip() if can_hear else why)
        self.meter.setVisible(can_hear)
        self.mic_label.setVisible(can_hear)
        self.state.set_hearing(can_hear)

    def set_talking(self, pressed: bool) -> None:
        """Start or stop a push-to-talk utterance (button, Space or Ctrl+Space); repeats are ignored."""
        if pressed == self.talking or pressed and not self.can_hear:
            return
        self.talking = pressed
        self.talk.setText(RELEASE if pressed else HOLD)
        self.talk.setDown(pressed)
        self.intent.emit(PushToTalk(pressed))

    def set_narrator(self, narrator: bool) -> None:
        """The narration toggle is there in narrator mode only."""
        self.narrator = narrator
        self.narrate.setVisible(narrator)
        self._arrange(self.narrow, force=True)
        self.updateGeometry()

    def show_narration(self, on: bool) -> None:
        """Show the session's narration state without asking for it again."""
        self.narrate.blockSignals(True)
        self.narrate.setChecked(on)
        self.narrate.blockSignals(False)

    def _hands_free_toggled(self, on: bool) -> None:
        self.intent.emit(SetHandsFree(on))

"""The talk bar: a large push-to-talk button, a hands-free toggle, the loop's state and the microphone meter.

Widgets only render events (``StateChanged``, ``MicLevel``) and emit intents (``PushToTalk``, ``SetHandsFree``)
through the ``intent`` signal; the window forwards intents to the session.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QAccessible, QAccessibleEvent, QColor, QPainter, QPalette
from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from app.loop.events import LoopState, MicLevel, PushToTalk, SetHandsFree

STATE_TEXT = {
    LoopState.IDLE: ("Ready", "#8a8f98"),
    LoopState.LISTENING: ("Listening", "#2e9d57"),
    LoopState.TRANSCRIBING: ("Transcribing", "#c98a12"),
    LoopState.THINKING: ("Thinking", "#3b73d9"),
    LoopState.SPEAKING: ("Speaking", "#8b4fd6"),
}


def announce(widget: QWidget, text: str) -> None:
    """Tell assistive technology that ``widget`` now means ``text`` (no-op where accessibility is off)."""
    widget.setAccessibleDescription(text)
    QAccessible.updateAccessibility(QAccessibleEvent(widget, QAccessible.Event.DescriptionChanged))


class StateIndicator(QWidget):
    """A coloured dot and a word: ready / listening / transcribing / thinking / speaking."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = LoopState.IDLE
        self.label = QLabel()
        self.label.setObjectName("sectionTitle")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(22, 0, 0, 0)
        layout.addWidget(self.label)
        self.setAccessibleName("Assistant state")
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.set_state(LoopState.IDLE)

    def set_state(self, state: LoopState) -> None:
        self.state = state
        text, _ = STATE_TEXT[state]
        self.label.setText(text)
        announce(self, f"Hearth is {text.lower()}")
        self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().paintEvent(event)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(STATE_TEXT[self.state][1]))
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
        self.setMinimumSize(QSize(120, 14))
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
            fill = QRectF(rect.left() + 2, rect.top() + 2, (rect.width() - 4) * self.level, rect.height() - 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor("#2e9d57") if self.voice else pal.color(QPalette.ColorRole.Highlight))
            painter.drawRoundedRect(fill, 4, 4)


class TalkBar(QWidget):
    """Push-to-talk (hold the button, or hold Space / Ctrl+Space), hands-free toggle, state and mic meter."""

    intent = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.talk = QPushButton("Hold to talk")
        self.talk.setObjectName("pushToTalk")
        self.talk.setAccessibleName("Push to talk")
        self.talk.setToolTip("Hold to speak; release to send. Shortcut: hold Space (or Ctrl+Space in the text box).")
        self.talk.setMinimumHeight(48)
        self.talk.setAutoRepeat(False)
        self.talk.pressed.connect(lambda: self.set_talking(True))
        self.talk.released.connect(lambda: self.set_talking(False))
        self.hands_free = QCheckBox("Hands-free")
        self.hands_free.setAccessibleName("Hands-free listening")
        self.hands_free.setToolTip("Listen all the time and answer when you pause")
        self.hands_free.toggled.connect(self._hands_free_toggled)
        self.state = StateIndicator()
        self.meter = MicMeter()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 12)
        layout.setSpacing(14)
        layout.addWidget(self.talk)
        layout.addWidget(self.hands_free)
        layout.addWidget(self.state)
        layout.addStretch(1)
        mic = QLabel("Mic")
        mic.setObjectName("hint")
        layout.addWidget(mic)
        layout.addWidget(self.meter, 1)
        self.talking = False

    def set_talking(self, pressed: bool) -> None:
        """Start or stop a push-to-talk utterance (button, Space or Ctrl+Space); repeats are ignored."""
        if pressed == self.talking:
            return
        self.talking = pressed
        self.talk.setText("Listening… release to send" if pressed else "Hold to talk")
        self.talk.setDown(pressed)
        self.intent.emit(PushToTalk(pressed))

    def _hands_free_toggled(self, on: bool) -> None:
        self.intent.emit(SetHandsFree(on))

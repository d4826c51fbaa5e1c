"""The main window: conversation, typing, talk bar on the left; models, preview, memory and latency on the right.

Events reach the panels through the bridge's table (GUI thread only); panels emit intents, which go straight to
the session's thread-safe ``handle`` — the GUI never waits for a model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSlider,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QGroupBox,
    QLineEdit,
    QMainWindow,
    QPlainTextEdit,
    QScrollArea,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.engine import messages as ev
from app.loop import events as se
from app.gui.bridge import Bridge, SessionPort
from app.gui.compose_box import ComposeBox
from app.gui.conversation_view import ConversationView
from app.gui.error_banner import ErrorBanner
from app.gui.latency_chart import LatencyChart
from app.gui.memory_panel import MemoryPanel
from app.gui.model_picker import ModelPicker
from app.gui.preview_panel import PreviewPanel, SharedFrame
from app.gui.settings_dialog import SettingsDialog
from app.gui.talk_panel import TalkBar
from app.gui.theme import apply_theme
from app.config.settings import ListenMode, Settings
from models.base import Role

TYPING_WIDGETS = (QLineEdit, QTextEdit, QPlainTextEdit, QComboBox, QAbstractSpinBox, QAbstractSlider,
                  QAbstractItemView, QAbstractButton)


def _group(title: str, body: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(10, 8, 10, 10)
    layout.addWidget(body)
    return box


class MainWindow(QMainWindow):
    def __init__(self, session: SessionPort, bridge: Bridge, settings: Settings,
                 save_settings: Callable[[Settings], object] | None = None,
                 frames: SharedFrame | None = None) -> None:
        super().__init__()
        self.session, self.bridge, self.settings = session, bridge, settings
        self._save = save_settings
        self.setWindowTitle("Hearth")
        self.setAccessibleName("Hearth")
        self.banner = ErrorBanner()
        self.conversation = ConversationView()
        self.compose = ComposeBox()
        self.talk = TalkBar()
        self.picker = ModelPicker(settings.models.chat, settings.models.tts)
        self.preview = PreviewPanel(frames)
        self.memory = MemoryPanel()
        self.chart = LatencyChart()
        self._layout()
        self._connect()
        self._menus()
        wire_events(self, bridge)
        QApplication.instance().installEventFilter(self)
        self.resize(1180, 860)

    # ----------------------------------------------------------------------------------------------- layout
    def _layout(self) -> None:
        left = QWidget()
        col = QVBoxLayout(left)
        col.setContentsMargins(0, 8, 0, 0)
        col.setSpacing(0)
        banner_row = QVBoxLayout()
        banner_row.setContentsMargins(16, 0, 16, 6)
        banner_row.addWidget(self.banner)
        col.addLayout(banner_row)
        col.addWidget(self.conversation, 1)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        col.addWidget(self.compose)
        col.addWidget(line)
        col.addWidget(self.talk)
        side = QWidget()
        side_col = QVBoxLayout(side)
        side_col.setContentsMargins(8, 8, 12, 12)
        side_col.setSpacing(10)
        for title, body in (("Models", self.picker), ("Camera or screen", self.preview), ("Memory", self.memory),
                            ("Latency per turn", self.chart)):
            side_col.addWidget(_group(title, body))
        side_col.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(side)
        self.sidebar, self.side_scroll = side, scroll
        self._fit_sidebar()
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

    def _fit_sidebar(self) -> None:
        """The sidebar never clips its panels: at least as wide as they need (more with large text)."""
        bar = self.side_scroll.verticalScrollBar().sizeHint().width()
        self.side_scroll.setMinimumWidth(max(340, self.sidebar.minimumSizeHint().width() + bar + 4))

    def _connect(self) -> None:
        for panel in (self.compose, self.talk, self.picker):
            panel.intent.connect(self.send_intent)
        self.compose.sent.connect(self.conversation.add_pending_user)
        self.preview.attach.connect(self.compose.attach)
        self.talk.hands_free.blockSignals(True)  # the session reads the mode from settings itself
        self.talk.hands_free.setChecked(self.settings.audio.mode is ListenMode.HANDS_FREE)
        self.talk.hands_free.blockSignals(False)
        self.talk.hands_free.toggled.connect(self._hands_free_toggled)

    def _hands_free_toggled(self, on: bool) -> None:
        """The toggle applies at once (SetHandsFree) and is remembered as the listening mode."""
        mode = ListenMode.HANDS_FREE if on else ListenMode.PUSH_TO_TALK
        if mode is not self.settings.audio.mode:
            self.apply_settings(replace(self.settings, audio=replace(self.settings.audio, mode=mode)))

    def _menus(self) -> None:
        file_menu = self.menuBar().addMenu("&Hearth")
        self._action(file_menu, "&Settings…", QKeySequence.StandardKey.Preferences, self.open_settings, "Ctrl+,")
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.close, "Ctrl+Q")
        talk_menu = self.menuBar().addMenu("&Conversation")
        self._action(talk_menu, "&Stop reply", None, lambda: self.send_intent(se.StopReply()), "Esc")
        view = self.menuBar().addMenu("&View")
        self.large_action = self._action(view, "&Large text", None, None, "Ctrl++")
        self.contrast_action = self._action(view, "&High contrast", None, None, "Ctrl+Shift+H")
        for action, key in ((self.large_action, "large_text"), (self.contrast_action, "high_contrast")):
            action.setCheckable(True)
            action.setChecked(getattr(self.settings.ui, key))
            action.toggled.connect(lambda on, key=key: self.apply_settings(
                replace(self.settings, ui=replace(self.settings.ui, **{key: on}))))

    def _action(self, menu, text, standard, slot, fallback: str) -> QAction:
        action = QAction(text, self)
        keys = QKeySequence.keyBindings(standard) if standard is not None else []
        action.setShortcuts(keys or [QKeySequence(fallback)])
        if slot is not None:
            action.triggered.connect(slot)
        menu.addAction(action)
        return action

    # ----------------------------------------------------------------------------------------------- intents
    def send_intent(self, intent: object) -> None:
        """Forward a panel's intent to the session; ``handle`` only queues it, so this never waits."""
        self.session.handle(intent)

    # ----------------------------------------------------------------------------------------------- settings
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, parent=self)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(dialog.settings())

    def apply_settings(self, new: Settings) -> None:
        old, self.settings = self.settings, new
        if new == old:
            return
        if self._save is not None:
            self._save(new)
        if new.ui != old.ui:
            apply_theme(QApplication.instance(), new.ui)
            self._fit_sidebar()
            self.conversation.refit()
            self.large_action.setChecked(new.ui.large_text)
            self.contrast_action.setChecked(new.ui.high_contrast)
        self.picker.select(new.models.chat, new.models.tts)
        for role, key in ((Role.VLM, "chat"), (Role.STT, "stt"), (Role.TTS, "tts")):
            if getattr(new.models, key) != getattr(old.models, key):
                self.send_intent(se.SwapModel(role, getattr(new.models, key)))
        self.talk.hands_free.setChecked(new.audio.mode is ListenMode.HANDS_FREE)  # live: sends SetHandsFree
        later = (replace(new.audio, mode=old.audio.mode), new.voice, new.memory, new.models.offline)
        if later != (old.audio, old.voice, old.memory, old.models.offline):
            self.conversation.add_note("Audio, voice, memory and offline changes apply the next time Hearth starts.")

    # ----------------------------------------------------------------------------------------------- keys
    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt override
        """Hold Space (when the focus does not need it) or Ctrl+Space anywhere in this window to talk."""
        kind = event.type()
        if kind not in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease) or event.key() != Qt.Key.Key_Space:
            return False
        if not isinstance(obj, QWidget) or obj.window() is not self:
            return False
        if event.isAutoRepeat():
            return self.talk.talking
        if kind == QEvent.Type.KeyPress:
            if not self._space_talks(obj, event):
                return False
            self.talk.set_talking(True)
            return True
        if self.talk.talking:
            self.talk.set_talking(False)
            return True
        return False

    def _space_talks(self, focus: QWidget, event: QEvent) -> bool:
        """Space talks unless the focus needs it (typing, buttons, lists); Ctrl+Space always talks."""
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            return True
        return focus is self.talk.talk or not isinstance(focus, TYPING_WIDGETS)

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Losing focus while Space is held would never deliver the key release: end the utterance now."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow() and self.talk.talking:
            self.talk.set_talking(False)

    def closeEvent(self, event) -> None:  # noqa: N802
        QApplication.instance().removeEventFilter(self)
        self.preview.stop_live()
        self.session.stop()
        self.bridge.clear()
        super().closeEvent(event)


def wire_events(w: MainWindow, bridge: Bridge) -> None:
    """The dispatch table: event type → what the panels show. Runs on the GUI thread."""
    conv = w.conversation
    table = {
        se.StateChanged: lambda e: w.talk.state.set_state(e.state),
        se.MicLevel: w.talk.meter.set_level,
        ev.TranscriptEvent: lambda e: (conv.user_partial(e.turn_id, e.text) if e.partial
                                       else conv.transcript_final(e.turn_id, e.text)),
        se.UserSaid: lambda e: conv.user_said(e.turn_id, e.text, e.images),
        ev.TextDelta: lambda e: conv.reply_delta(e.turn_id, e.text),
        ev.GenerationDone: lambda e: (conv.reply_done(e.turn_id, e.text, f"{e.stats.tokens_per_second:.0f} tok/s"),
                                      w.memory.show_generation(e.stats)),
        se.ReplyHeard: lambda e: conv.reply_cut(e.turn_id, e.heard_text),
        ev.Cancelled: lambda e: conv.reply_stopped(e.turn_id),
        se.TurnTimeline: w.chart.add,
        se.Notice: lambda e: conv.add_note(e.message),
        se.MemoryStats: w.memory.show_stats,
        ev.ModelLoaded: w.picker.model_loaded,
        ev.ErrorEvent: lambda e: on_error(w, e),
    }
    for event_type, handler in table.items():
        bridge.on(event_type, handler)


def on_error(w: MainWindow, e: ev.ErrorEvent) -> None:
    """A banner with the fix; a typed message that was not taken goes back into the text box."""
    w.banner.show_message(e.message)
    w.compose.restore(w.conversation.fail_pending())
    w.picker.load_failed_if_switching()

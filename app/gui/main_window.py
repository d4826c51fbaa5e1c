"""The main window: conversation, typing, talk bar on the left; mode, models, preview, memory and latency on the
right (with "Managed by your organization" on top when a policy is installed).

Events reach the panels through the bridge's table (GUI thread only); panels emit intents, which go straight to
the session's thread-safe ``handle`` — the GUI never waits for a model.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFrame,
    QGroupBox,
    QMainWindow,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.loop import events as se
from app.gui.agent_feed import AgentFeed
from app.gui.announcer import Announcer
from app.gui.bridge import Bridge, SessionPort
from app.gui.compose_box import ComposeBox
from app.gui.conversation_list import ConversationPanel
from app.gui.conversation_view import ConversationView
from app.gui.error_banner import ErrorBanner
from app.gui.first_run import FirstRunDialog, MissingModel, StorePort
from app.gui.latency_chart import LatencyChart
from app.gui.managed import ManagedPanel, managed_view
from app.gui.memory_panel import MemoryPanel
from app.gui.menus import build_menus
from app.gui.mode_panel import ModePanel
from app.gui.model_picker import ModelChoice, ModelPicker, model_choices
from app.gui.preview_panel import PreviewPanel, SharedFrame
from app.gui.settings_dialog import SettingsDialog
from app.gui.talk_panel import ChatStatus, TalkBar
from app.gui.space_to_talk import SpaceToTalk
from app.gui.theme import apply_theme
from app.gui.wiring import wire_events
from app.config.saving import SaveFailed
from app.config.settings import ListenMode, Settings
from models.base import ModelError, Role

Saver = Callable[[Settings, Settings], object]  # (new, base) -> Saved | SaveFailed (app/config/saving.py)
NARRATOR = "narrator"


def _group(title: str, body: QWidget) -> QGroupBox:
    box = QGroupBox(title)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(10, 8, 10, 10)
    layout.addWidget(body)
    return box


class MainWindow(QMainWindow):
    def __init__(self, session: SessionPort, bridge: Bridge, settings: Settings,
                 save_settings: Saver | None = None,
                 frames: SharedFrame | None = None, store: StorePort | None = None,
                 missing: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.session, self.bridge, self.settings, self.store = session, bridge, settings, store
        self._save = save_settings
        self.setWindowTitle("Hearth")
        self.setAccessibleName("Hearth")
        self.managed = managed_view(settings)
        self.announcer = Announcer(self)
        self.banner = ErrorBanner()
        self.conversation = ConversationView()
        self.agent = AgentFeed(self.conversation, self.announcer.say, self)
        self.mode = ModePanel(settings.conversation.mode, settings.workspace.folder)
        self.compose = ComposeBox()
        self.talk = TalkBar()
        self.conversations = ConversationPanel()
        self.picker = ModelPicker(settings.models.chat, settings.models.tts, self.model_choices, self.offer_download)
        self.preview = PreviewPanel(frames)
        self.memory = MemoryPanel()
        self.chart = LatencyChart()
        self._layout()
        self._connect()
        build_menus(self)
        wire_events(self, bridge)
        self._readiness(settings, missing)
        self._policy()
        self._show_mode(settings.conversation.mode)
        self.space = SpaceToTalk(self, self.talk)
        QApplication.instance().installEventFilter(self.space)
        self.resize(1180, 860)
        self.send_intent(se.ListConversations())

    @property
    def running(self) -> bool:
        return bool(getattr(self.session, "running", True))

    def _readiness(self, settings: Settings, missing: tuple[str, ...]) -> None:
        """What the window can truthfully say before any event: microphone or not, model loading or missing."""
        can_hear = bool(getattr(self.session, "can_hear", True))
        self.talk.set_hearing(can_hear)
        self.conversation.set_can_hear(can_hear)
        self.compose.set_can_hear(can_hear)
        if not self.running:
            self.talk.state.set_chat(ChatStatus.MISSING)
            self.picker.status.setText("No models are loaded: the conversation engine is not running.")
        elif settings.models.chat in missing:
            self.talk.state.set_chat(ChatStatus.MISSING)
            self.picker.status.setText(f"{settings.models.chat} is not installed: pick an installed brain, or "
                                       "one marked “download…”.")
        else:
            self.picker.expect(Role.VLM, settings.models.chat)
            if can_hear:
                self.picker.expect(Role.STT, settings.models.stt)
                self.picker.expect(Role.TTS, settings.models.tts)

    def _policy(self) -> None:
        """What the organization's policy forbids is off here too, and says so."""
        self.preview.set_allowed(self.managed.camera_allowed, self.managed.screen_allowed)
        if self.managed.broken:
            self.banner.show_message(self.managed.explanation)

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
        if self.managed.managed:
            self.managed_panel = ManagedPanel(self.managed)
            side_col.addWidget(_group("Managed by your organization", self.managed_panel))
        for title, body in (("Mode", self.mode), ("Conversations", self.conversations), ("Models", self.picker),
                            ("Camera or screen", self.preview), ("Memory", self.memory),
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
        """The sidebar never clips its panels: at least as wide as they need (more with large text). Its combo
        boxes shrink to a few characters (long model names are elided), so small windows keep the chat wide."""
        for combo in self.sidebar.findChildren(QComboBox):
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
            combo.setMinimumContentsLength(10)
        for layout in [self.sidebar.layout()] + self.sidebar.findChildren(QVBoxLayout):
            layout.invalidate()
        self.sidebar.layout().activate()
        bar = self.side_scroll.verticalScrollBar().sizeHint().width()
        self.side_scroll.setMinimumWidth(max(280, self.sidebar.minimumSizeHint().width() + bar + 4))

    def _connect(self) -> None:
        for panel in (self.compose, self.talk, self.picker, self.conversations, self.agent, self.mode):
            panel.intent.connect(self.send_intent)
        self.talk.state.say = self.announcer.say
        self.agent.waiting_changed.connect(self.talk.state.set_waiting)
        self.talk.show_narration(self.settings.narrator.narrate_changes)
        self.talk.narrate.toggled.connect(self._narration_toggled)
        self.compose.sent.connect(self._sent)
        self.picker.chat_status.connect(self.talk.state.set_chat)
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

    def _narration_toggled(self, on: bool) -> None:
        """Said at once (the session confirms with NarrationChanged) and remembered for the next start."""
        self._narration_said = on
        self.announcer.say(f"Narration {'on' if on else 'off'}.", False)
        if on != self.settings.narrator.narrate_changes:
            self.apply_settings(replace(self.settings, narrator=replace(self.settings.narrator, narrate_changes=on)))

    def narration_changed(self, e: se.NarrationChanged) -> None:
        self.talk.show_narration(e.on)
        self.narrate_action.setChecked(e.on)
        if getattr(self, "_narration_said", None) != e.on:
            self.announcer.say(f"Narration {'on' if e.on else 'off'}.", False)
        self._narration_said = e.on

    def _show_mode(self, name: str) -> None:
        narrator = name == NARRATOR
        self.talk.set_narrator(narrator)
        self.narrate_action.setEnabled(narrator)

    def mode_changed(self, e: se.ModeChanged) -> None:
        """The session works in another mode: show it, say it, remember it (and its folder)."""
        self.announcer.say(self.mode.mode_changed(e), False)
        self._show_mode(e.mode)
        conv = replace(self.settings.conversation, mode=e.mode)
        work = replace(self.settings.workspace, folder=e.workspace) if e.workspace else self.settings.workspace
        self.apply_settings(replace(self.settings, conversation=conv, workspace=work))

    def repeat_announcement(self) -> None:
        self.announcer.say(self.announcer.last or "Nothing has been announced yet.", True)

    # ----------------------------------------------------------------------------------------------- intents
    def send_intent(self, intent: object) -> None:
        """Forward a panel's intent to the session; ``handle`` only queues it, so this never waits."""
        self.session.handle(intent)

    def _sent(self, message_id: str, text: str, images: tuple) -> None:
        """A typed message: shown at once as pending; when nothing can take it, it says why and comes back."""
        self.conversation.add_pending_user(message_id, text, images)
        if not self.running:
            reason = getattr(self.session, "reason", "Hearth's conversation engine is not running.")
            self.compose.restore(self.conversation.fail_unsent(message_id, reason))

    # ----------------------------------------------------------------------------------------------- models
    def model_choices(self, roles: tuple[Role, ...]) -> list[ModelChoice]:
        installed = getattr(self.store, "installed", None)
        return model_choices(roles, installed() if installed is not None else None)

    def is_installed(self, name: str) -> bool:
        if self.store is None:
            return True  # nothing known here: let the session try
        try:
            self.store.resolve(name)
        except ModelError:
            return False
        return True

    def offer_download(self, role: Role, choice: ModelChoice) -> bool:
        """Offer to install a model that is not here yet (the first-run dialog for it); True once installed."""
        if self.store is None:
            self.conversation.add_note(f"{choice.name} is not installed. Run `uv run hearth models pull "
                                       f"{choice.name}` in a terminal, then pick it again.")
            return False
        intro = (f"{choice.name} is not on this computer yet (about {choice.size_gb:g}\u00a0GB). Download it now, "
                 f"or import a folder copied from another machine. In a terminal: "
                 f"`uv run hearth models pull {choice.name}`.")
        dialog = FirstRunDialog(self.store, [MissingModel(role, choice.name, choice.size_gb)], self, intro=intro)
        return dialog.exec() == FirstRunDialog.DialogCode.Accepted

    # ----------------------------------------------------------------------------------------------- settings
    def open_settings(self) -> None:
        dialog = SettingsDialog(self.settings, parent=self, choices=self.model_choices, locked=self.managed.locked)
        if dialog.exec() == SettingsDialog.DialogCode.Accepted:
            self.apply_settings(self._installable(dialog.settings()))

    def _installable(self, new: Settings) -> Settings:
        """Models chosen in Settings that are not installed are offered for download; declined ones stay as
        they were (settings never name a model that is not here)."""
        models = new.models
        for role, key in ((Role.VLM, "chat"), (Role.STT, "stt"), (Role.TTS, "tts")):
            name = getattr(models, key)
            if name == getattr(self.settings.models, key) or self.is_installed(name):
                continue
            choice = self.picker.choice(role, name) or ModelChoice(name, name, False)
            if not self.offer_download(role, choice):
                models = replace(models, **{key: getattr(self.settings.models, key)})
        self.picker.refresh()
        return replace(new, models=models)

    def apply_settings(self, new: Settings) -> None:
        old, self.settings = self.settings, new
        if new == old:
            return
        if self._save is not None:
            result = self._save(new, old)
            if isinstance(result, SaveFailed):
                self.banner.show_message(result.message)
        if new.ui != old.ui:
            apply_theme(QApplication.instance(), new.ui)
            self.talk.fit_button()
            self.conversations.fit()
            self._fit_sidebar()
            self.conversation.refit()
            self.large_action.setChecked(new.ui.large_text)
            self.contrast_action.setChecked(new.ui.high_contrast)
        self.picker.select(new.models.chat, new.models.tts)
        for role, key in ((Role.VLM, "chat"), (Role.STT, "stt"), (Role.TTS, "tts")):
            if getattr(new.models, key) != getattr(old.models, key):
                self.picker.expect(role, getattr(new.models, key))
                self.send_intent(se.SwapModel(role, getattr(new.models, key)))
        self.talk.hands_free.setChecked(new.audio.mode is ListenMode.HANDS_FREE)  # live: sends SetHandsFree
        self.talk.narrate.setChecked(new.narrator.narrate_changes)  # live: sends SetNarration
        narrator = replace(new.narrator, narrate_changes=old.narrator.narrate_changes)
        later = (replace(new.audio, mode=old.audio.mode), new.voice, new.memory, new.models.offline, narrator)
        if later != (old.audio, old.voice, old.memory, old.models.offline, old.narrator):
            self.conversation.add_note("Audio, voice, narrator, memory and offline changes apply the next time "
                                       "Hearth starts.")

    # ----------------------------------------------------------------------------------------------- keys
    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        """Losing focus while Space is held would never deliver the key release: end the utterance now."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.ActivationChange and not self.isActiveWindow() and self.talk.talking:
            self.talk.set_talking(False)

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override: sizes are right once styles are applied
        super().showEvent(event)
        self._fit_sidebar()

    def closeEvent(self, event) -> None:  # noqa: N802
        QApplication.instance().removeEventFilter(self.space)
        self.preview.stop_live()
        self.hide()  # gone at once; stopping waits for the engine's current step and the conversation's snapshot
        self.session.stop()
        self.bridge.clear()
        super().closeEvent(event)

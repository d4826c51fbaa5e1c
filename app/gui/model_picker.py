"""Model and voice pickers: choosing one sends ``SwapModel``; the conversation stays (the session re-primes the new
model with it). The status line says what is loaded, or that a swap is under way."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from app.engine.messages import ModelLoaded
from app.gui.talk_panel import announce
from app.loop.events import SwapModel
from models import catalog
from models.base import Role

CHAT_ROLES = (Role.VLM, Role.LLM)


def catalog_choices(roles: tuple[Role, ...]) -> list[tuple[str, str]]:
    """(label, model id) for the catalog entries of these roles."""
    out = []
    for entry in catalog.CATALOG:
        if entry.role in roles:
            size = "built in" if entry.builtin else f"{entry.size_gb:g} GB"
            out.append((f"{entry.name}  ({size})", entry.name))
    return out


def fill_combo(combo: QComboBox, choices: list[tuple[str, str]], current: str) -> None:
    combo.blockSignals(True)
    combo.clear()
    for label, value in choices:
        combo.addItem(label, value)
    if current and combo.findData(current) < 0:
        combo.addItem(current, current)
    combo.setCurrentIndex(max(0, combo.findData(current)))
    combo.blockSignals(False)


class ModelPicker(QWidget):
    intent = Signal(object)  # SwapModel

    def __init__(self, chat: str, voice: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.chat = QComboBox()
        self.chat.setAccessibleName("Chat model")
        fill_combo(self.chat, catalog_choices(CHAT_ROLES), chat)
        self.voice = QComboBox()
        self.voice.setAccessibleName("Voice model")
        fill_combo(self.voice, catalog_choices((Role.TTS,)), voice)
        self.status = QLabel("Loading models…")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Model status")
        self.chat.activated.connect(lambda _i: self._swap(Role.VLM, self.chat))
        self.voice.activated.connect(lambda _i: self._swap(Role.TTS, self.voice))
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Brain", self.chat)
        form.addRow("Voice", self.voice)
        form.addRow(self.status)
        self._loaded: dict[Role, str] = {}
        self._ready: dict[Role, str] = {}
        self._switching = True  # the session's start loads the configured models

    def _swap(self, role: Role, combo: QComboBox) -> None:
        model_id = combo.currentData()
        if self._loaded.get(role) == model_id:
            return
        self._switching = True
        self._set_status(f"Switching to {model_id}… the conversation is kept.")
        self.intent.emit(SwapModel(role, model_id))

    def select(self, chat: str, voice: str) -> None:
        """Show these models as chosen (after the settings dialog) without sending intents."""
        fill_combo(self.chat, catalog_choices(CHAT_ROLES), chat)
        fill_combo(self.voice, catalog_choices((Role.TTS,)), voice)

    def model_loaded(self, event: ModelLoaded) -> None:
        role = Role.VLM if event.role in CHAT_ROLES else event.role
        self._switching = True  # the session's start loads the configured models
        self._loaded[role] = event.model_id
        combo = self.chat if role is Role.VLM else self.voice if role is Role.TTS else None
        if combo is not None and combo.findData(event.model_id) < 0:
            combo.addItem(event.model_id, event.model_id)
        if combo is not None:
            combo.setCurrentIndex(combo.findData(event.model_id))
        eyes = ", sees images" if event.supports_images else ""
        self._ready[role] = f"{event.model_id} ready ({event.load_seconds:.1f} s{eyes})"
        self._set_status("\n".join(self._ready.values()))

    def load_failed_if_switching(self) -> None:
        if self._switching:
            self._switching = True  # the session's start loads the configured models
            self._set_status("The model could not be loaded; see the message above the conversation.")

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        announce(self.status, text)

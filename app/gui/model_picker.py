"""Model and voice pickers: installed models first (marked), then the catalog's other models as "download…".

Choosing an installed one sends ``SwapModel`` (the conversation stays: the session re-primes the new model with it);
choosing one to download asks the window to offer the download first. The status line says what is loaded, what is
loading, or what failed; the picker also tells the window whether a chat model can answer (``chat_status``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QWidget

from app.engine.messages import ModelLoaded, ModelLoadFailed
from app.gui.talk_panel import ChatStatus, announce
from app.loop.events import SwapModel
from models import catalog
from models.base import Role

CHAT_ROLES = (Role.VLM, Role.LLM)
NBSP = "\u00a0"


@dataclass(frozen=True)
class ModelChoice:
    name: str  # what settings hold and SwapModel carries
    label: str
    installed: bool
    size_gb: float = 0.0


def size_text(gb: float) -> str:
    return f"{gb:g}{NBSP}GB"


def short_name(name: str) -> str:
    entry = catalog.lookup(name)
    return entry.name if entry is not None else name


def model_choices(roles: tuple[Role, ...], installed: Iterable[Any] | None) -> list[ModelChoice]:
    """Installed models of these roles (``ModelStore.installed()``; built-in voices count), then the catalog's
    others to download. ``installed=None`` (nothing known about this computer): the catalog, unmarked."""
    if installed is None:
        return [ModelChoice(e.name, f"{e.name}  ({'built in' if e.builtin else size_text(e.size_gb)})", True,
                            e.size_gb) for e in catalog.CATALOG if e.role in roles]
    out: list[ModelChoice] = []
    for model in installed:
        name = short_name(model.name)
        if model.role in roles and all(c.name != name for c in out):
            out.append(ModelChoice(name, f"{name} · installed", True, round(model.size_bytes / 1e9, 1)))
    for e in catalog.CATALOG:
        if e.role in roles and e.builtin and all(c.name != e.name for c in out):
            out.append(ModelChoice(e.name, f"{e.name} · built in", True))
    for e in catalog.CATALOG:
        if e.role in roles and all(c.name != e.name for c in out):
            out.append(ModelChoice(e.name, f"{e.name} — download… {size_text(e.size_gb)}", False, e.size_gb))
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


def fill_models(combo: QComboBox, choices: list[ModelChoice], current: str) -> None:
    fill_combo(combo, [(c.label, c.name) for c in choices], current)
    for i, c in enumerate(choices):
        state = "installed" if c.installed else "not installed: choose it to download"
        size = f", {size_text(c.size_gb)}" if c.size_gb else ""
        combo.setItemData(i, f"{c.name} ({state}{size})", Qt.ItemDataRole.ToolTipRole)


Choices = Callable[[tuple[Role, ...]], list[ModelChoice]]
OfferDownload = Callable[[Role, ModelChoice], bool]  # True when the model is installed now


class ModelPicker(QWidget):
    intent = Signal(object)  # SwapModel
    chat_status = Signal(object)  # ChatStatus

    def __init__(self, chat: str, voice: str, choices: Choices | None = None,
                 offer_download: OfferDownload | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices: Choices = choices or (lambda roles: model_choices(roles, None))
        self.offer_download: OfferDownload = offer_download or (lambda _role, _choice: False)
        self.chat = QComboBox()
        self.chat.setAccessibleName("Chat model")
        self.voice = QComboBox()
        self.voice.setAccessibleName("Voice model")
        self.wanted = {Role.VLM: chat, Role.TTS: voice}
        self.status = QLabel("Loading models…")
        self.status.setObjectName("hint")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Model status")
        self.chat.activated.connect(lambda _i: self._chosen(Role.VLM, self.chat))
        self.voice.activated.connect(lambda _i: self._chosen(Role.TTS, self.voice))
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Brain", self.chat)
        form.addRow("Voice", self.voice)
        form.addRow(self.status)
        self._loaded: dict[Role, str] = {}
        self._ready: dict[Role, str] = {}
        self._pending: dict[Role, str] = {}  # loads asked for and not answered yet
        self._explained = ""  # the message of the last ModelLoadFailed (its ErrorEvent follows)
        self.refresh()

    def _combo(self, role: Role) -> QComboBox | None:
        return {Role.VLM: self.chat, Role.TTS: self.voice}.get(role)

    def refresh(self) -> None:
        """Re-read what is installed (after a download or import)."""
        fill_models(self.chat, self.choices(CHAT_ROLES), self._loaded.get(Role.VLM, self.wanted[Role.VLM]))
        fill_models(self.voice, self.choices((Role.TTS,)), self._loaded.get(Role.TTS, self.wanted[Role.TTS]))

    def choice(self, role: Role, name: str) -> ModelChoice | None:
        roles = CHAT_ROLES if role in CHAT_ROLES else (role,)
        return next((c for c in self.choices(roles) if c.name == name), None)

    # -------------------------------------------------------------------------------------------- choosing
    def _chosen(self, role: Role, combo: QComboBox) -> None:
        name = str(combo.currentData())
        choice = self.choice(role, name)
        if choice is not None and not choice.installed:
            self.refresh()  # back to the model in use while the download is offered
            if not self.offer_download(role, choice):
                self._set_status(f"{name} is not installed yet; the current model stays.")
                return
            self.refresh()
        self.swap(role, name)

    def swap(self, role: Role, model_id: str) -> None:
        if self._loaded.get(role) == model_id:
            return
        self.expect(role, model_id)
        self._set_status(f"Switching to {model_id}… the conversation is kept.")
        self.intent.emit(SwapModel(role, model_id))

    def expect(self, role: Role, model_id: str) -> None:
        """A load of ``model_id`` was asked for (at start, or a swap)."""
        role = Role.VLM if role in CHAT_ROLES else role
        self._pending[role] = model_id
        self.wanted[role] = model_id
        if role is Role.VLM:
            self.chat_status.emit(ChatStatus.LOADING)

    def select(self, chat: str, voice: str) -> None:
        """Show these models as chosen (after the settings dialog) without sending intents."""
        self.wanted.update({Role.VLM: chat, Role.TTS: voice})
        fill_models(self.chat, self.choices(CHAT_ROLES), chat)
        fill_models(self.voice, self.choices((Role.TTS,)), voice)

    # -------------------------------------------------------------------------------------------- events
    def model_loaded(self, event: ModelLoaded) -> None:
        role = Role.VLM if event.role in CHAT_ROLES else event.role
        self._pending.pop(role, None)
        self._loaded[role] = event.model_id
        combo = self._combo(role)
        if combo is not None and combo.findData(event.model_id) < 0:
            combo.addItem(event.model_id, event.model_id)
        if combo is not None:
            combo.setCurrentIndex(combo.findData(event.model_id))
        eyes = ", sees images" if event.supports_images else ""
        self._ready[role] = f"{event.model_id} ready ({event.load_seconds:.1f} s{eyes})"
        self._set_status("\n".join(self._ready.values()))
        if role is Role.VLM:
            self.chat_status.emit(ChatStatus.READY)

    def load_failed(self, event: ModelLoadFailed) -> None:
        """The engine says which load failed (the ErrorEvent with its message follows: see ``load_error``)."""
        role = Role.VLM if event.role in CHAT_ROLES else event.role
        self._explained = event.message
        self._pending.pop(role, None)
        self._failed(role, event.model_id)

    def load_error(self, message: str) -> bool:
        """An error of no turn: True when it is a model load's failure (already shown by ``load_failed``, or —
        for a failure the engine did not name — the pending load the message names, or the only one pending)."""
        if self._explained and self._explained == message:
            self._explained = ""
            return True
        named = [r for r, m in self._pending.items() if m and m in message]
        role = named[0] if named else next(iter(self._pending)) if len(self._pending) == 1 else None
        if role is None:
            return False
        self._failed(role, self._pending.pop(role))
        return True

    def _failed(self, role: Role, model_id: str) -> None:
        still = self._loaded.get(role)  # a failed swap keeps the model that was loaded
        failed = f"{model_id} could not be loaded (see the message above)" + (f"; still using {still}." if still
                                                                              else ".")
        self._set_status("\n".join([v for r, v in self._ready.items() if r is not role or still] + [failed]))
        combo = self._combo(role)
        if combo is not None:
            fill_models(combo, self.choices(CHAT_ROLES if role is Role.VLM else (role,)), still or model_id)
        if role is Role.VLM:
            self.chat_status.emit(ChatStatus.READY if still else ChatStatus.MISSING)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        announce(self.status, text)

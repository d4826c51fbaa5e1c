"""Settings dialog: one tab per settings section; opens on a ``Settings`` and returns a new one
(``dataclasses.replace``), which the window saves through app/config/saving.py. Settings the organization's policy
locks are shown read-only with the policy's value and its reason; the user's own value is what is returned."""

from __future__ import annotations

from dataclasses import dataclass, replace

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSlider,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.gui.managed import keep_own_values, lock_reason
from app.gui.model_picker import CHAT_ROLES, Choices, fill_combo, fill_models, model_choices
from app.config.settings import ListenMode, MemoryPreset, Settings, Verbosity
from app.policy.apply import LockedSetting
from models.base import Role

DEFAULT_DEVICE = "System default"
PRESET_TEXT = {MemoryPreset.GB8: "8 GB Mac", MemoryPreset.GB16: "16 GB Mac", MemoryPreset.GB32: "32 GB or more"}
MODE_TEXT = {ListenMode.HANDS_FREE: "Hands-free (answer when I pause)", ListenMode.PUSH_TO_TALK: "Push to talk"}
VERBOSITY_TEXT = {Verbosity.BRIEF: "Brief (one short sentence)", Verbosity.DETAILED: "Detailed (a few sentences)"}
VOICES = ("af_heart", "af_bella", "af_nicole", "af_sky", "am_adam", "am_michael", "bf_emma", "bm_george")


@dataclass(frozen=True)
class DeviceLists:
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


def find_devices() -> DeviceLists | None:
    """Audio device names through sounddevice, or None when it (or PortAudio) is unavailable."""
    try:
        import sounddevice as sd

        devices = sd.query_devices()
    except Exception:  # noqa: BLE001 - OSError without PortAudio, PortAudioError without a sound system
        return None
    names = lambda key: tuple(str(d["name"]) for d in devices if int(d[key]) > 0)  # noqa: E731
    return DeviceLists(names("max_input_channels"), names("max_output_channels"))


def _named(widget: QWidget, name: str) -> QWidget:
    widget.setAccessibleName(name)
    return widget


def device_combo(names: tuple[str, ...] | None, current: str, accessible: str) -> QComboBox:
    """An editable combo: system default, the devices found, and the current value (typed freely if none found)."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.addItem(DEFAULT_DEVICE, "")
    for name in names or ():
        combo.addItem(name, name)
    fill_combo(combo, [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())], current)
    combo.setAccessibleName(accessible)
    if names is None:
        combo.setToolTip("No audio devices could be listed here; type a device name, or leave the default.")
    return combo


def combo_value(combo: QComboBox) -> str:
    text = combo.currentText().strip()
    if text == DEFAULT_DEVICE:
        return ""
    index = combo.findText(text)
    return str(combo.itemData(index)) if index >= 0 and combo.itemData(index) is not None else text


def enum_combo(options: dict, current, accessible: str) -> QComboBox:
    combo = QComboBox()
    for value, text in options.items():
        combo.addItem(text, value)
    combo.setCurrentIndex(combo.findData(current))
    combo.setAccessibleName(accessible)
    return combo


def model_combo(choices: Choices, roles: tuple[Role, ...], current: str, accessible: str) -> QComboBox:
    """Installed models first, then the catalog's others ("download…": offered when the dialog is accepted)."""
    combo = QComboBox()
    combo.setEditable(True)  # a Hugging Face id or a folder is fine too
    fill_models(combo, choices(roles), current)
    combo.setAccessibleName(accessible)
    return combo


class SettingsDialog(QDialog):
    def __init__(self, settings: Settings, devices: DeviceLists | None = None, parent: QWidget | None = None,
                 list_devices: bool = True, choices: Choices | None = None,
                 locked: tuple[LockedSetting, ...] = ()) -> None:
        super().__init__(parent)
        self.locked = locked
        self.choices: Choices = choices or (lambda roles: model_choices(roles, None))
        self.setWindowTitle("Hearth settings")
        self.setAccessibleName("Settings")
        self.original = settings
        self.devices = devices if devices is not None or not list_devices else find_devices()
        tabs = QTabWidget()
        tabs.setAccessibleName("Settings sections")
        tabs.addTab(self._audio_page(settings), "Listening")
        tabs.addTab(self._models_page(settings), "Models")
        tabs.addTab(self._voice_page(settings), "Voice")
        tabs.addTab(self._narrator_page(settings), "Narrator")
        tabs.addTab(self._access_page(settings), "Accessibility")
        self.tabs = tabs
        self._lock({"models.offline": self.offline})
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        for button in buttons.buttons():
            button.setAccessibleName(button.text().replace("&", ""))
        layout = QVBoxLayout(self)
        layout.addWidget(tabs)
        layout.addWidget(buttons)
        self.resize(520, 420)

    def _audio_page(self, s: Settings) -> QWidget:
        page, form = QWidget(), QFormLayout()
        page.setLayout(form)
        self.input = device_combo(self.devices.inputs if self.devices else None, s.audio.input_device, "Microphone")
        self.output = device_combo(self.devices.outputs if self.devices else None, s.audio.output_device, "Speaker")
        self.mode = enum_combo(MODE_TEXT, s.audio.mode, "Listening mode")
        self.vad = _named(QSlider(Qt.Orientation.Horizontal), "Voice detection sensitivity")
        self.vad.setRange(0, 100)
        self.vad.setValue(round(s.audio.vad_sensitivity * 100))
        self.vad.setToolTip("Higher hears quieter speech; lower ignores more background noise.")
        self.pause = _named(QSpinBox(), "Pause before answering, in milliseconds")
        self.pause.setRange(200, 3000)
        self.pause.setSingleStep(50)
        self.pause.setSuffix(" ms")
        self.pause.setValue(s.audio.end_pause_ms)
        self.echo = _named(QCheckBox("Cancel echo from the speaker"), "Echo cancellation")
        self.echo.setChecked(s.audio.echo_cancellation)
        for label, widget in (("Microphone", self.input), ("Speaker", self.output), ("Mode", self.mode),
                              ("Voice sensitivity", self.vad), ("Pause before answering", self.pause),
                              ("", self.echo)):
            form.addRow(label, widget)
        return page

    def _models_page(self, s: Settings) -> QWidget:
        page, form = QWidget(), QFormLayout()
        page.setLayout(form)
        self.chat = model_combo(self.choices, CHAT_ROLES, s.models.chat, "Chat model")
        self.stt = model_combo(self.choices, (Role.STT,), s.models.stt, "Speech recognition model")
        self.tts = model_combo(self.choices, (Role.TTS,), s.models.tts, "Voice model")
        self.preset = enum_combo(PRESET_TEXT, s.memory.preset, "Memory preset")
        self.offline = _named(QCheckBox("Offline: never use the network"), "Offline mode")
        self.offline.setChecked(s.models.offline)
        for label, widget in (("Chat model", self.chat), ("Speech recognition", self.stt), ("Voice model", self.tts),
                              ("Memory", self.preset), ("", self.offline)):
            form.addRow(label, widget)
        hint = QLabel("Model changes apply at once; the conversation is kept. A model marked “download…” is "
                      "offered for download when you press OK.", objectName="hint", wordWrap=True)
        form.addRow(hint)
        return page

    def _voice_page(self, s: Settings) -> QWidget:
        page, form = QWidget(), QFormLayout()
        page.setLayout(form)
        self.voice = _named(QComboBox(), "Voice")
        self.voice.setEditable(True)
        fill_combo(self.voice, [(v, v) for v in VOICES], s.voice.voice)
        self.speed = _named(QDoubleSpinBox(), "Speaking speed")
        self.speed.setRange(0.5, 2.0)
        self.speed.setSingleStep(0.1)
        self.speed.setSuffix("×")
        self.speed.setValue(s.voice.speed)
        self.volume = _named(QSlider(Qt.Orientation.Horizontal), "Volume")
        self.volume.setRange(0, 100)
        self.volume.setValue(round(s.voice.volume * 100))
        for label, widget in (("Voice", self.voice), ("Speaking rate", self.speed), ("Volume", self.volume)):
            form.addRow(label, widget)
        return page

    def _narrator_page(self, s: Settings) -> QWidget:
        page, form = QWidget(), QFormLayout()
        page.setLayout(form)
        self.verbosity = enum_combo(VERBOSITY_TEXT, s.narrator.verbosity, "Narration verbosity")
        self.narrate = _named(QCheckBox("Narrate changes in view without being asked"), "Narrate changes")
        self.narrate.setChecked(s.narrator.narrate_changes)
        self.earcons = _named(QCheckBox("Short sounds for listening, thinking, narration on or off, and errors"),
                              "Earcons")
        self.earcons.setChecked(s.narrator.earcons)
        self.narrator_speed = _named(QDoubleSpinBox(), "Speaking rate")
        self.narrator_speed.setRange(0.5, 2.0)
        self.narrator_speed.setSingleStep(0.1)
        self.narrator_speed.setSuffix("×")
        self.narrator_speed.setValue(s.voice.speed)
        self.narrator_speed.valueChanged.connect(self.speed.setValue)  # one setting (voice.speed), two places
        self.speed.valueChanged.connect(self.narrator_speed.setValue)
        for label, widget in (("Verbosity", self.verbosity), ("", self.narrate), ("", self.earcons),
                              ("Speaking rate", self.narrator_speed)):
            form.addRow(label, widget)
        hint = QLabel("Used in narrator mode. The speaking rate is the voice's (also under Voice).",
                      objectName="hint", wordWrap=True)
        form.addRow(hint)
        return page

    def _lock(self, controls: dict[str, QWidget]) -> None:
        """Locked settings: read-only, showing the policy's value, the reason as tooltip and description."""
        for item in self.locked:
            widget = controls.get(item.key)
            if widget is None:
                continue
            if isinstance(widget, QCheckBox) and isinstance(item.value, bool):
                widget.setChecked(item.value)
                widget.setText(f"{widget.text()} — managed by your organization")
            widget.setEnabled(False)
            widget.setToolTip(lock_reason(item))
            widget.setAccessibleDescription(lock_reason(item))
            widget.setProperty("locked", True)

    def _access_page(self, s: Settings) -> QWidget:
        page, form = QWidget(), QFormLayout()
        page.setLayout(form)
        self.large = _named(QCheckBox("Large text"), "Large text")
        self.large.setChecked(s.ui.large_text)
        self.contrast = _named(QCheckBox("High contrast"), "High contrast")
        self.contrast.setChecked(s.ui.high_contrast)
        form.addRow(self.large)
        form.addRow(self.contrast)
        return page

    def settings(self) -> Settings:
        """The settings as the dialog shows them (a new frozen value)."""
        s = self.original
        audio = replace(s.audio, input_device=combo_value(self.input), output_device=combo_value(self.output),
                        mode=self.mode.currentData(), vad_sensitivity=self.vad.value() / 100,
                        end_pause_ms=self.pause.value(), echo_cancellation=self.echo.isChecked())
        models = replace(s.models, chat=combo_value(self.chat), stt=combo_value(self.stt),
                         tts=combo_value(self.tts), offline=self.offline.isChecked())
        voice = replace(s.voice, voice=combo_value(self.voice), speed=round(self.speed.value(), 2),
                        volume=self.volume.value() / 100)
        memory = replace(s.memory, preset=self.preset.currentData())
        ui = replace(s.ui, large_text=self.large.isChecked(), high_contrast=self.contrast.isChecked())
        narrator = replace(s.narrator, verbosity=self.verbosity.currentData(), narrate_changes=self.narrate.isChecked(),
                           earcons=self.earcons.isChecked())
        new = replace(s, audio=audio, models=models, voice=voice, memory=memory, ui=ui, narrator=narrator)
        return keep_own_values(new, s, self.locked)

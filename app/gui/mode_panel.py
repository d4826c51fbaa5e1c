"""The mode picker (assistant, coding, narrator, … as the organization's policy allows) and, for modes that work on
a folder, the workspace picker. Choosing emits ``SetMode``; the panel shows what the session answers
(``ModeChanged``) and goes back to the mode in use when the session refuses (an ErrorEvent about the mode)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QWidget

from app.gui.talk_panel import announce
from app.loop.events import ModeChanged, SetMode


@dataclass(frozen=True)
class ModeOption:
    name: str
    title: str
    needs_workspace: bool


def allowed_modes() -> list[ModeOption]:
    """The registered modes the managed policy allows (all of them on an unmanaged desk)."""
    from app.modes.registry import all_modes
    from app.policy.startup import current

    policy = current().policy
    return [ModeOption(m.name, m.title, m.needs_workspace) for m in all_modes().values() if policy.mode_allowed(m.name)]


AskFolder = Callable[[QWidget, str], str]  # (parent, start folder) -> the folder chosen, "" when cancelled


def ask_folder(parent: QWidget, start: str) -> str:
    return QFileDialog.getExistingDirectory(parent, "Choose the folder Hearth works in", start or str(Path.home()))


def short_path(folder: str) -> str:
    home = str(Path.home())
    return "~" + folder[len(home):] if folder.startswith(home + "/") or folder == home else folder


class ModePanel(QWidget):
    intent = Signal(object)  # SetMode

    def __init__(self, mode: str, folder: str, options: list[ModeOption] | None = None,
                 pick_folder: AskFolder = ask_folder, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.options = {o.name: o for o in (allowed_modes() if options is None else options)}
        self.current, self.folder = mode, folder
        self.pending: SetMode | None = None
        self._pick = pick_folder
        self.combo = QComboBox()
        self.combo.setAccessibleName("Mode")
        for o in self.options.values():
            self.combo.addItem(o.title, o.name)
            self.combo.setItemData(self.combo.count() - 1, o.title, Qt.ItemDataRole.ToolTipRole)
        self.combo.activated.connect(lambda _i: self.choose(str(self.combo.currentData())))
        self.folder_label = QLabel(objectName="hint", wordWrap=True)
        self.folder_label.setAccessibleName("Workspace folder")
        self.folder_button = QPushButton("Choose folder…")
        self.folder_button.setAccessibleName("Choose the workspace folder")
        self.folder_button.clicked.connect(self.choose_folder)
        self.status = QLabel(objectName="hint", wordWrap=True)
        self.status.setAccessibleName("Mode status")
        self.folder_row = QWidget()  # hidden as one (a bare layout row would keep its spacing)
        folder_row = QHBoxLayout(self.folder_row)
        folder_row.setContentsMargins(0, 0, 0, 0)
        folder_row.addStretch(1)
        folder_row.addWidget(self.folder_button)
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Mode", self.combo)
        form.addRow(self.folder_label)
        form.addRow(self.folder_row)
        form.addRow(self.status)
        self.form = form
        self.form.setRowVisible(self.status, False)
        if not self.options:
            self.combo.setEnabled(False)
            self._set_status("Your organization's policy allows no mode here.")
        self._show()

    def needs_workspace(self, name: str) -> bool:
        option = self.options.get(name)
        return option is not None and option.needs_workspace

    def title(self, name: str) -> str:
        option = self.options.get(name)
        return option.title if option is not None else name

    # -------------------------------------------------------------------------------------------- choosing
    def choose(self, name: str, folder: str = "") -> None:
        """Ask for ``name`` (a folder is asked for first when the mode needs one and none is known)."""
        folder = folder or self.folder
        if self.needs_workspace(name) and not folder:
            folder = self._pick(self, "")
            if not folder:
                self._show()
                self._set_status(f"{self.title(name)} works on a folder: choose one to switch. Still in "
                                 f"{self.title(self.current)}.")
                return
        if name == self.current and (not self.needs_workspace(name) or folder == self.folder):
            self._show()
            return
        self.pending = SetMode(name, folder if self.needs_workspace(name) else "")
        self._set_status(f"Switching to {self.title(name)}…")
        self.intent.emit(self.pending)

    def choose_folder(self) -> None:
        folder = self._pick(self, self.folder)
        if not folder:
            return
        selected = str(self.combo.currentData() or self.current)
        if self.needs_workspace(selected):
            self.choose(selected, folder)
        else:
            self.folder = folder
            self._show()

    # -------------------------------------------------------------------------------------------- answers
    def mode_changed(self, e: ModeChanged) -> str:
        """The session works in ``e.mode`` now; returns the sentence to announce."""
        self.pending = None
        self.current = e.mode
        if e.workspace:
            self.folder = e.workspace
        self._show()
        where = f", working in {e.workspace}" if e.workspace else ""
        tools = f" with {len(e.tools)} tool{'s' if len(e.tools) != 1 else ''}" if e.tools else ""
        text = f"Mode: {e.title}{where}{tools}."
        self._set_status(text)
        return text

    def mode_failed(self, message: str) -> bool:
        """An error of no turn while a switch is pending: the switch's refusal when it is about the mode or the
        workspace (the session's SetupError words). True when it was taken as such."""
        lowered = message.lower()
        if self.pending is None or ("mode" not in lowered and "workspace" not in lowered):
            return False
        self.pending = None
        self._show()
        self._set_status(f"Still in {self.title(self.current)}: {message}")
        return True

    def _show(self) -> None:
        index = self.combo.findData(self.current)
        if index >= 0:
            self.combo.setCurrentIndex(index)
        needs = self.needs_workspace(str(self.combo.currentData() or self.current))
        for row in (self.folder_label, self.folder_row):  # only modes that work on a folder show it
            self.form.setRowVisible(row, needs)
        self.combo.setToolTip(self.combo.currentText())
        self.folder_label.setText(f"Folder: {short_path(self.folder)}" if self.folder
                                  else "Folder: none chosen" + (" (needed)" if needs else ""))
        self.folder_label.setToolTip(self.folder)

    def _set_status(self, text: str) -> None:
        self.status.setText(text)
        self.form.setRowVisible(self.status, bool(text))
        announce(self.status, text)

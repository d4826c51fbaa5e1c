"""First run: the default models that are missing, with sizes; download them (progress, cancel) or import a
copied folder (offline desks). Work runs on a background thread that reports through a bridge (invariant 3)."""

from __future__ import annotations

import io
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Protocol

from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from tqdm import tqdm

from app.gui.bridge import Bridge
from app.units import human_bytes
from app.config.saving import Saved
from app.config.settings import Settings
from models import catalog
from models.base import ModelError, Role

ROLE_TEXT = {Role.VLM: "Brain", Role.LLM: "Brain", Role.STT: "Hearing", Role.TTS: "Voice"}
NBSP = "\u00a0"


class StorePort(Protocol):
    offline: bool

    def resolve(self, model_id: str) -> Any: ...

    def pull(self, model_id: str, tqdm_class: Any = None) -> Any: ...

    def import_folder(self, src: Path, name: str | None = None) -> Any: ...


@dataclass(frozen=True)
class MissingModel:
    role: Role
    name: str
    size_gb: float  # 0 when unknown


@dataclass(frozen=True)
class Progress:
    name: str
    done: int
    total: int


@dataclass(frozen=True)
class Finished:
    name: str
    error: str = ""  # user-facing message; "" on success
    cancelled: bool = False


@dataclass(frozen=True)
class AllDone:
    """The worker has finished every model it was given (each one's result came as ``Finished`` before)."""


DISMISSED_FILE = "first-run-dismissed"  # where earlier versions remembered it; read once, then settings keep it
Save = Callable[[Settings, Settings], object]  # (new, base): app.config.saving.try_save_settings


def was_dismissed(settings: Settings) -> bool:
    """The user chose "Continue without" once: the dialog does not open by itself again (Settings offers the
    downloads). Kept in ``ui.first_run_done``; the marker file of earlier versions still counts."""
    return settings.ui.first_run_done or _marker().exists()


def _marker() -> Path:
    from app.config import paths

    return paths.data_dir() / DISMISSED_FILE


def remember_dismissed(settings: Settings, save: Save | None) -> Settings:
    new = replace(settings, ui=replace(settings.ui, first_run_done=True))
    if save is not None and new != settings:
        save(new, settings)
    return new


def adopt_marker(settings: Settings, save: Save | None) -> Settings:
    """An earlier version's marker file becomes ``ui.first_run_done`` (saved); the file goes once that is saved."""
    marker = _marker()
    if settings.ui.first_run_done or not marker.exists():
        return settings
    new = replace(settings, ui=replace(settings.ui, first_run_done=True))
    result = save(new, settings) if save is not None else None
    if isinstance(result, Saved):
        try:
            marker.unlink()
        except OSError:
            pass
    return new


def find_missing(store: StorePort, settings: Settings) -> list[MissingModel]:
    """The configured models that do not resolve to a local folder (built-in voices never miss)."""
    wanted = ((Role.VLM, settings.models.chat), (Role.STT, settings.models.stt), (Role.TTS, settings.models.tts))
    missing = []
    for role, name in wanted:
        try:
            store.resolve(name)
        except ModelError:
            entry = catalog.lookup(name)
            missing.append(MissingModel(role, name, entry.size_gb if entry else 0.0))
    return missing


class Cancelled(Exception):
    pass


def progress_class(name: str, report: Callable[[Progress], None], cancel: threading.Event) -> type:
    """A tqdm class for ModelStore.pull: byte bars report progress; every update checks for cancel."""

    class _Progress(tqdm):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.pop("name", None)
            kwargs.update(disable=False, file=io.StringIO())
            super().__init__(*args, **kwargs)

        def update(self, n: float | None = 1) -> bool | None:
            if cancel.is_set():
                raise Cancelled(f"download of {name} cancelled")
            out = super().update(n)
            if self.unit == "B" and not str(self.desc).startswith("Downloading bytes"):
                report(Progress(name, int(self.n), int(self.total or 0)))
            return out

    return _Progress


class Installer:
    """Runs pulls and imports one after another on a worker thread; results arrive as events on the bridge."""

    def __init__(self, store: StorePort, bridge: Bridge) -> None:
        self.store, self.bridge = store, bridge
        self.cancel = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def busy(self) -> bool:
        return self.thread is not None and self.thread.is_alive()

    def download(self, names: list[str]) -> None:
        self._start(lambda: [self._pull(n) for n in names if not self.cancel.is_set()])

    def import_folder(self, name: str, folder: Path) -> None:
        self._start(lambda: self._import(name, folder))

    def _start(self, work: Callable[[], Any]) -> None:
        self.cancel.clear()

        def run() -> None:
            work()
            self._post(AllDone())

        self.thread = threading.Thread(target=run, name="hearth-installer", daemon=True)
        self.thread.start()

    def _post(self, event: object) -> None:
        try:
            self.bridge.post(event)
        except RuntimeError:  # the dialog was closed meanwhile (its bridge is gone): nobody to tell
            self.cancel.set()

    def _pull(self, name: str) -> None:
        try:
            self.store.pull(name, tqdm_class=progress_class(name, self._post, self.cancel))
        except (ModelError, Cancelled) as exc:
            self._post(Finished(name, str(exc), cancelled=self.cancel.is_set()))
            return
        self._post(Finished(name))

    def _import(self, name: str, folder: Path) -> None:
        try:
            self.store.import_folder(folder, name)
        except (ModelError, OSError) as exc:
            self._post(Finished(name, str(exc)))
            return
        self._post(Finished(name))


class FirstRunDialog(QDialog):
    """Lists missing models; Download / Cancel / Import from folder / Continue without."""

    def __init__(self, store: StorePort, missing: list[MissingModel], parent: QWidget | None = None,
                 intro: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Welcome to Hearth" if not intro else "Install a model")
        self.setAccessibleName("First run: models to install" if not intro else "Install a model")
        self.store, self.missing = store, list(missing)
        self.failures: dict[str, str] = {}  # model → why it failed, for every model of the last run
        self.bridge = Bridge(self)
        self.bridge.on(Progress, self._on_progress)
        self.bridge.on(Finished, self._on_finished)
        self.bridge.on(AllDone, self._on_all_done)
        self.installer = Installer(store, self.bridge)
        self.table = self._build_table()
        self.progress = QProgressBar()
        self.progress.setAccessibleName("Download progress")
        self.progress.hide()
        self.status = QLabel(objectName="hint", wordWrap=True)
        self.status.setAccessibleName("Installation status")
        total = f"{sum(m.size_gb for m in self.missing):.1f}{NBSP}GB"  # never wrapped between number and unit
        self.intro = QLabel(intro or f"Hearth runs entirely on this computer. It needs these models (about "
                            f"{total}). Download them now, or import folders copied from another machine.",
                            wordWrap=True)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(self.intro)
        layout.addWidget(self.table)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(self._build_buttons())
        if store.offline:
            self.download_button.setEnabled(False)
            names = " ".join(m.name for m in self.missing)
            self.status.setText("Offline mode is on: import model folders instead of downloading (or, with the "
                                f"network, run `uv run hearth models pull {names}`).")
        self.resize(560, 340)

    def _build_table(self) -> QTreeWidget:
        table = QTreeWidget()
        table.setAccessibleName("Missing models")
        table.setHeaderLabels(["Model", "For", "Size", "Status"])
        table.setRootIsDecorated(False)
        for m in self.missing:
            size = f"{m.size_gb:g}{NBSP}GB" if m.size_gb else "unknown"
            item = QTreeWidgetItem([m.name, ROLE_TEXT[m.role], size, "missing"])
            table.addTopLevelItem(item)
        table.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        if self.missing:
            table.setCurrentItem(table.topLevelItem(0))
        return table

    def _build_buttons(self) -> QHBoxLayout:
        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel download")
        self.import_button = QPushButton("Import from folder…")
        self.skip_button = QPushButton("Continue without")
        for button, slot, name in (
            (self.download_button, self._download, "Download the missing models"),
            (self.cancel_button, self._cancel, "Cancel the download"),
            (self.import_button, self._choose_import, "Import the selected model from a folder"),
            (self.skip_button, self.reject, "Continue without these models"),
        ):
            button.clicked.connect(slot)
            button.setAccessibleName(name)
        self.cancel_button.hide()  # shown only while a download runs
        self.download_button.setDefault(True)
        row = QHBoxLayout()
        row.addWidget(self.import_button)
        row.addStretch(1)
        for button in (self.skip_button, self.cancel_button, self.download_button):
            row.addWidget(button)
        return row

    # ---------------------------------------------------------------------------------------------- actions
    def _download(self) -> None:
        names = self.remaining()
        if not names or self.installer.busy:
            return
        self.failures = {}
        self._set_busy(True, f"Downloading {names[0]}…")
        self.cancel_button.show()
        self.installer.download(names)

    def _cancel(self) -> None:
        self.installer.cancel.set()
        self.status.setText("Cancelling…")

    def _choose_import(self) -> None:
        item = self.table.currentItem()
        if item is None or self.installer.busy:
            return
        folder = QFileDialog.getExistingDirectory(self, f"Folder holding {item.text(0)}")
        if folder:
            self.import_from(item.text(0), Path(folder))

    def import_from(self, name: str, folder: Path) -> None:
        self.failures = {}
        self._set_busy(True, f"Importing {name} from {folder}…")
        self.cancel_button.hide()  # a copy cannot be cancelled half way
        self.installer.import_folder(name, folder)

    def remaining(self) -> list[str]:
        return [self.table.topLevelItem(i).text(0) for i in range(self.table.topLevelItemCount())
                if self.table.topLevelItem(i).text(3) != "installed"]

    # ---------------------------------------------------------------------------------------------- events
    def _item(self, name: str) -> QTreeWidgetItem | None:
        found = [self.table.topLevelItem(i) for i in range(self.table.topLevelItemCount())
                 if self.table.topLevelItem(i).text(0) == name]
        return found[0] if found else None

    def _on_progress(self, p: Progress) -> None:
        self.progress.show()
        self.progress.setRange(0, 1000)
        self.progress.setValue(round(1000 * p.done / p.total) if p.total else 0)
        item = self._item(p.name)
        if item is not None:
            item.setText(3, f"{human_bytes(p.done)} of {human_bytes(p.total)}" if p.total else "starting…")

    def _on_finished(self, f: Finished) -> None:
        """One model done (or failed): its row says so; the next one may be under way."""
        item = self._item(f.name)
        if item is not None:
            item.setText(3, "installed" if not f.error else "cancelled" if f.cancelled else "failed")
        if f.error and not f.cancelled:
            self.failures[f.name] = f.error
        if self.installer.cancel.is_set():
            return
        following = [n for n in self.remaining() if n not in self.failures and n != f.name]
        if following and not f.error:
            self.status.setText(f"{f.name} is installed. Downloading {following[0]}…")

    def _on_all_done(self, _e: AllDone) -> None:
        self._set_busy(False, None)
        self.cancel_button.hide()
        if self.installer.cancel.is_set():
            self.status.setText("Download cancelled; Download resumes where it stopped.")
        elif self.failures:
            lines = [f"{name}: {error}" for name, error in self.failures.items()]
            head = "One model could not be installed:" if len(lines) == 1 else \
                f"{len(lines)} models could not be installed:"
            self.status.setText("\n".join([head] + lines))
        elif not self.remaining():
            self.status.setText("All models are installed.")
            self.accept()
        else:
            self.status.setText("Installed. " + ", ".join(self.remaining()) + " still missing.")

    def _set_busy(self, busy: bool, message: str | None) -> None:
        self.download_button.setEnabled(not busy and not self.store.offline)
        self.import_button.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self.progress.setVisible(busy)
        if busy:
            self.progress.setRange(0, 0)  # indeterminate until the first byte count
        if message is not None:
            self.status.setText(message)

    def reject(self) -> None:
        self.installer.cancel.set()
        super().reject()

    def done(self, result: int) -> None:
        super().done(result)
        self.bridge.clear()

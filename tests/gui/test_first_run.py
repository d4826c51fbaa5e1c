"""First run: missing models open the dialog; download with progress and cancel; import from a folder."""

from __future__ import annotations

import threading

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.gui.first_run import FirstRunDialog, MissingModel, Progress, find_missing
from app.gui.launch import first_run
from app.config.settings import Settings
from models.base import Role
from tests.gui.fakes import FakeStore

ALL = {"qwen3.5-4b", "whisper-turbo", "kokoro"}


def test_find_missing_lists_the_configured_models_with_sizes():
    missing = find_missing(FakeStore(present={"kokoro"}), Settings())
    assert missing == [MissingModel(Role.VLM, "qwen3.5-4b", 3.0), MissingModel(Role.STT, "whisper-turbo", 1.6)]
    assert find_missing(FakeStore(present=ALL), Settings()) == []


def test_missing_models_open_the_first_run_dialog(qtbot):
    seen = {}

    def inspect():
        dialog = QApplication.activeModalWidget()
        seen["dialog"] = dialog
        seen["rows"] = [dialog.table.topLevelItem(i).text(0) for i in range(dialog.table.topLevelItemCount())]
        seen["sizes"] = [dialog.table.topLevelItem(i).text(2) for i in range(dialog.table.topLevelItemCount())]
        dialog.reject()  # "Continue without"

    QTimer.singleShot(0, inspect)
    still_missing, _ = first_run(FakeStore(present={"kokoro"}), Settings())
    assert isinstance(seen["dialog"], FirstRunDialog)
    assert seen["rows"] == ["qwen3.5-4b", "whisper-turbo"] and seen["sizes"] == ["3\u00a0GB", "1.6\u00a0GB"]
    assert still_missing == ["qwen3.5-4b", "whisper-turbo"]


def test_no_dialog_when_everything_is_installed(qtbot):
    opened = []
    QTimer.singleShot(0, lambda: opened.append(QApplication.activeModalWidget()))
    assert first_run(FakeStore(present=ALL), Settings()) == ([], Settings())
    qtbot.wait(10)
    assert opened == [None]


def dialog_for(qtbot, store, names=("qwen3.5-4b", "whisper-turbo")):
    missing = [m for m in find_missing(store, Settings()) if m.name in names]
    dialog = FirstRunDialog(store, missing)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_download_reports_progress_and_closes_when_done(qtbot):
    gate = threading.Event()
    store = FakeStore(present={"kokoro"}, gate=gate)
    dialog = dialog_for(qtbot, store)
    dialog.download_button.click()
    assert dialog.cancel_button.isEnabled() and not dialog.download_button.isEnabled()
    gate.set()
    qtbot.waitUntil(lambda: dialog.result() == FirstRunDialog.DialogCode.Accepted, timeout=10000)
    assert store.present == ALL
    assert [dialog.table.topLevelItem(i).text(3) for i in range(2)] == ["installed", "installed"]


def test_progress_is_shown_while_downloading(qtbot):
    gate = threading.Event()
    store = FakeStore(present={"kokoro"}, gate=gate, chunks=3)
    dialog = dialog_for(qtbot, store, names=("qwen3.5-4b",))
    dialog.download_button.click()
    seen = []
    dialog.bridge.on(Progress, lambda p: seen.append((p.done, p.total)))
    gate.set()
    qtbot.waitUntil(lambda: dialog.result() == FirstRunDialog.DialogCode.Accepted, timeout=10000)
    assert seen[-1] == (3000, 3000) and [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_cancel_stops_the_download_and_keeps_the_dialog_open(qtbot):
    gate = threading.Event()
    store = FakeStore(present={"kokoro"}, gate=gate, chunks=50, chunk_delay=0.01)
    dialog = dialog_for(qtbot, store)
    dialog.download_button.click()
    gate.set()
    qtbot.waitUntil(lambda: dialog.progress.value() > 0, timeout=10000)
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: not dialog.installer.busy and dialog.download_button.isEnabled(), timeout=10000)
    assert dialog.isVisible() and "cancelled" in dialog.status.text().lower()
    assert "qwen3.5-4b" not in store.present
    assert dialog.table.topLevelItem(0).text(3) == "cancelled"


def test_import_from_a_folder(qtbot, tmp_path):
    store = FakeStore(present={"kokoro", "whisper-turbo"})
    dialog = dialog_for(qtbot, store, names=("qwen3.5-4b",))
    dialog.import_from("qwen3.5-4b", tmp_path)
    qtbot.waitUntil(lambda: dialog.result() == FirstRunDialog.DialogCode.Accepted, timeout=10000)
    assert store.imported == [(tmp_path, "qwen3.5-4b")]


def test_a_failed_import_says_why_and_stays_open(qtbot, tmp_path):
    store = FakeStore(present={"kokoro", "whisper-turbo"})
    dialog = dialog_for(qtbot, store, names=("qwen3.5-4b",))
    dialog.import_from("qwen3.5-4b", tmp_path / "nope")
    qtbot.waitUntil(lambda: "not a folder" in dialog.status.text(), timeout=10000)
    assert dialog.isVisible() and dialog.table.topLevelItem(0).text(3) == "failed"


def test_offline_mode_disables_download(qtbot):
    dialog = dialog_for(qtbot, FakeStore(offline=True))
    assert not dialog.download_button.isEnabled() and dialog.import_button.isEnabled()
    assert "Offline" in dialog.status.text()


def test_closing_the_dialog_mid_download_stops_the_worker_quietly(qtbot):
    import shiboken6

    gate = threading.Event()
    store = FakeStore(present={"kokoro"}, gate=gate, chunks=50, chunk_delay=0.005)
    dialog = dialog_for(qtbot, store)
    dialog.download_button.click()
    installer = dialog.installer
    dialog.skip_button.click()  # "Continue without" while downloading
    shiboken6.delete(dialog)
    gate.set()
    installer.thread.join(10)
    assert not installer.thread.is_alive() and installer.cancel.is_set()
    assert "qwen3.5-4b" not in store.present

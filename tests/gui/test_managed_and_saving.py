"""The organization's policy in the window (each key's effect, with a policy file through HEARTH_POLICY), and
settings saved through app/config/saving.py (failures in the banner, the user's file kept, first_run_done)."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.config import paths
from app.config.saving import SaveFailed
from app.config.settings import Settings, load_settings
from app.gui.first_run import DISMISSED_FILE
from app.gui.launch import first_run, save_settings
from app.gui.settings_dialog import SettingsDialog
from tests.gui.fakes import FakeStore

ALL = {"qwen3.5-4b", "whisper-turbo", "kokoro"}


def combo_item(combo, data: str):
    return combo.model().item(combo.findData(data))


def test_an_unmanaged_desk_shows_no_policy(harness):
    w = harness.window
    assert not w.managed.managed and not hasattr(w, "managed_panel")
    assert combo_item(w.preview.live, "camera").isEnabled() and w.preview.screen_button.isEnabled()


def test_network_off_locks_offline_mode_and_keeps_the_users_value(write_policy, make_harness, qtbot):
    write_policy("network_allowed = false\n")
    h = make_harness()
    w = h.window
    panel = w.managed_panel
    assert panel.isVisibleTo(w) and [l.text() for l in panel.lines][0] == \
        "Locked: Offline mode: on (network access is off)"
    assert "Network: off" in panel.accessibleDescription()
    dialog = SettingsDialog(w.settings, list_devices=False, locked=w.managed.locked)
    qtbot.addWidget(dialog)
    assert dialog.offline.isChecked() and not dialog.offline.isEnabled()  # shows what is in force
    assert dialog.offline.toolTip() == "Managed by your organization: network access is off."
    assert dialog.offline.accessibleDescription() == dialog.offline.toolTip()
    dialog.large.setChecked(True)
    got = dialog.settings()
    assert got.models.offline is False and got.ui.large_text  # the user's own value is kept for the locked key

    def accept():
        QApplication.activeModalWidget().accept()

    QTimer.singleShot(0, accept)
    w.open_settings()  # the window's dialog gets the locks too: the forced value is never saved
    assert h.saved == [] and w.settings.models.offline is False


def test_the_camera_forbidden(write_policy, make_harness):
    write_policy("camera_allowed = false\n")
    w = make_harness().window
    item = combo_item(w.preview.live, "camera")
    assert not item.isEnabled() and item.text() == "Camera (not allowed)"
    assert "camera is not allowed" in w.preview.live.accessibleDescription()
    w.preview.start_live("camera")
    assert not w.preview.live_running and "not allowed" in w.preview.view.placeholder
    assert combo_item(w.preview.live, "screen").isEnabled() and w.preview.screen_button.isEnabled()
    assert "• Camera: off" in [l.text() for l in w.managed_panel.lines]


def test_the_screen_forbidden(write_policy, make_harness):
    write_policy("screen_allowed = false\n")
    w = make_harness().window
    assert not w.preview.screen_button.isEnabled()
    assert "not allowed" in w.preview.screen_button.accessibleDescription()
    assert not combo_item(w.preview.live, "screen").isEnabled()
    w.preview.capture_screen()
    assert w.preview.frame is None


def test_allowed_modes_and_tools(write_policy, make_harness):
    write_policy('allowed_modes = ["assistant", "narrator"]\nallowed_tools = ["read_file"]\n')
    w = make_harness().window
    combo = w.mode.combo
    assert [combo.itemData(i) for i in range(combo.count())] == ["assistant", "narrator"]
    lines = [l.text() for l in w.managed_panel.lines]
    assert "• Modes: assistant, narrator" in lines and "• Tools: read_file" in lines


def test_retention_and_audit_keys_are_listed(write_policy, make_harness):
    write_policy("retention_days = 30\naudit_conversation_text = true\n")
    lines = [l.text() for l in make_harness().window.managed_panel.lines]
    assert "• Retention: 30 days" in lines and "• Audit text: conversation text recorded" in lines


def test_model_allow_list_signatures_and_audit_folder_are_listed(write_policy, make_harness, tmp_path):
    key = "A" * 43 + "="  # 32 zero-ish bytes, canonical base64
    audit = tmp_path / "audit"
    write_policy(f'allowed_models = ["{"a" * 64}"]\nrequire_signed_models = true\ntrusted_keys = ["{key}"]\n'
                 f'audit_dir = "{audit}"\n')
    w = make_harness().window
    lines = [l.text() for l in w.managed_panel.lines]
    assert not w.managed.broken, w.managed.explanation
    assert "• Models: 1 allowed by manifest hash" in lines
    assert "• Signatures: required, 1 trusted key(s)" in lines and f"• Audit log: {audit}" in lines
    assert w.managed.locked == ()  # none of these locks a setting


def test_a_broken_policy_locks_down_and_says_so(write_policy, make_harness):
    path = write_policy("camera_allowd = false\n")  # a misspelt key
    w = make_harness().window
    assert w.managed.broken and str(path) in w.banner.current and "locked down" in w.banner.current
    assert not w.mode.combo.isEnabled() and "allows no mode" in w.mode.status.text()
    assert not combo_item(w.preview.live, "camera").isEnabled() and not w.preview.screen_button.isEnabled()
    assert w.managed_panel.explanation.text() == w.managed.explanation


# ---------------------------------------------------------------------------------------------- saving
def test_a_failed_save_is_shown_in_the_banner(make_harness, qtbot, tmp_path):
    failure = SaveFailed(tmp_path / "settings.toml", "Settings not saved: the disk is full.")
    w = make_harness(saver=lambda new, base: failure).window
    w.large_action.trigger()
    assert w.banner.current == "Settings not saved: the disk is full." and w.banner.isVisible()


def test_saving_writes_only_what_changed_into_the_users_file(make_harness):
    path = paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("# my settings\n[voice]\nspeed = 1.2  # a little faster\n")
    settings = load_settings(path).settings
    w = make_harness(settings, saver=save_settings).window
    w.large_action.trigger()
    text = path.read_text()
    assert text.startswith("# my settings\n[voice]\nspeed = 1.2  # a little faster\n")
    assert "large_text = true" in text and load_settings(path).settings == w.settings
    assert not w.banner.isVisible()


def test_a_settings_file_that_cannot_be_edited_is_left_alone_and_the_banner_says_so(make_harness):
    path = paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[voice\nspeed = ")
    w = make_harness(Settings(), saver=save_settings).window
    w.contrast_action.trigger()
    assert w.banner.current.startswith("Settings not saved") and path.read_text() == "[voice\nspeed = "


def test_the_old_first_run_marker_is_read_once_into_settings(tmp_path):
    marker = paths.data_dir() / DISMISSED_FILE
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text("dismissed\n")
    missing, settings = first_run(FakeStore(present={"kokoro"}), Settings(), save_settings)
    assert settings.ui.first_run_done and missing == ["qwen3.5-4b", "whisper-turbo"]  # no dialog opened
    assert load_settings().settings.ui.first_run_done and not marker.exists()
    assert replace(settings, ui=replace(settings.ui, first_run_done=False)) == Settings()

"""Saving settings keeps the user's file as written; restrictive settings fail closed; bad files give clear errors."""

from __future__ import annotations

import os
import time
from dataclasses import replace

import pytest

from app.config.paths import clean_stale_temp_files
from app.config.saving import Saved, SaveFailed, SettingsSaveError, try_save_settings
from app.config.settings import load_settings, parse_settings, save_settings

USER_FILE = """\
# my Hearth settings -- hand written
[models]
chat = "/home/me/models/my-brain"   # the custom one
offline = true

[audio]
mode = "hands_fre"        # a one-character typo: invalid, so the default is used for the run
end_pause_ms = 900
future_knob = 3           # a key this version does not know

[ui]
large_text = false

[colours]  # an unknown section
x = 1
"""


def toggle_large_text(path):
    """What the GUI does on View > Large text: load, change one field, save."""
    loaded = load_settings(path)
    new = replace(loaded.settings, ui=replace(loaded.settings.ui, large_text=True))
    return try_save_settings(new, path)


def test_gui_toggle_after_a_typo_changes_only_that_line(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(USER_FILE)
    result = toggle_large_text(path)
    assert isinstance(result, Saved) and result.changed == ("ui.large_text",)
    before, after = USER_FILE.splitlines(), path.read_text().splitlines()
    assert len(before) == len(after)
    diff = [(a, b) for a, b in zip(before, after) if a != b]
    assert diff == [("large_text = false", "large_text = true")]
    loaded = load_settings(path)
    assert loaded.settings.models.offline is True and loaded.settings.models.chat == "/home/me/models/my-brain"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_base_limits_the_write_to_what_the_user_changed(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(USER_FILE)
    loaded = load_settings(path)
    path.write_text(USER_FILE.replace("end_pause_ms = 900", "end_pause_ms = 1500"))  # edited meanwhile by hand
    new = replace(loaded.settings, voice=replace(loaded.settings.voice, speed=1.25))
    save_settings(new, path, base=loaded.settings)
    text = path.read_text()
    assert "end_pause_ms = 1500" in text and "[voice]\nspeed = 1.25" in text


def test_a_file_with_bad_syntax_is_never_overwritten(tmp_path):
    path = tmp_path / "settings.toml"
    broken = USER_FILE.replace("offline = true", "offline = ture")
    path.write_text(broken)
    result = toggle_large_text(path)
    assert isinstance(result, SaveFailed) and "not valid TOML" in result.message and "left as it is" in result.message
    assert path.read_text() == broken
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unreadable_offline_fails_closed_with_a_message(tmp_path):
    settings, problems = parse_settings('[models]\noffline = "yes"\n')
    assert settings.models.offline is True
    assert any("models.offline" in p.message and "safe value" in p.message for p in problems)
    settings, problems = parse_settings("[models\noffline = true\n")  # whole file unreadable
    assert settings.models.offline is True and "models.offline on" in problems[0].message
    settings, _ = parse_settings("models = 3\n")
    assert settings.models.offline is True


def test_deeply_nested_toml_is_a_clear_problem_not_a_recursion_error(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n")
    loaded = load_settings(path)
    assert "too deeply" in loaded.problems[0].message
    result = toggle_large_text(path)
    assert isinstance(result, SaveFailed) and "too deeply" in result.message


def test_fractional_whole_number_setting_says_whole_number():
    _, problems = parse_settings("[audio]\nend_pause_ms = 700.5\n")
    assert "a whole number from 200 to 3000" in problems[0].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into read-only folders")
def test_read_only_folder_is_a_failure_value(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    (folder / "settings.toml").write_text(USER_FILE)
    folder.chmod(0o500)
    try:
        result = toggle_large_text(folder / "settings.toml")
    finally:
        folder.chmod(0o700)
    assert isinstance(result, SaveFailed) and "cannot write" in result.message
    assert sorted(p.name for p in folder.iterdir()) == ["settings.toml"]


def test_failed_write_leaves_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "settings.toml"
    path.write_text(USER_FILE)

    def refuse(*_a):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    result = toggle_large_text(path)
    assert isinstance(result, SaveFailed) and "Permission denied" in result.message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.toml"] and path.read_text() == USER_FILE


def test_settings_path_that_is_a_folder(tmp_path):
    (tmp_path / "settings.toml").mkdir()
    result = toggle_large_text(tmp_path / "settings.toml")
    assert isinstance(result, SaveFailed) and "is a folder" in result.message
    settings = load_settings(tmp_path / "absent.toml").settings
    with pytest.raises(SettingsSaveError, match="is a folder"):
        save_settings(replace(settings, ui=replace(settings.ui, high_contrast=True)), tmp_path / "settings.toml")


def test_symlinked_settings_file_stays_a_link(tmp_path):
    real = tmp_path / "dotfiles" / "hearth.toml"
    real.parent.mkdir()
    real.write_text(USER_FILE)
    link = tmp_path / "settings.toml"
    link.symlink_to(real)
    assert isinstance(toggle_large_text(link), Saved)
    assert link.is_symlink() and "large_text = true" in real.read_text()


def test_new_file_gets_only_the_changed_keys(tmp_path):
    path = tmp_path / "new" / "settings.toml"
    loaded = load_settings(path)
    save_settings(replace(loaded.settings, ui=replace(loaded.settings.ui, large_text=True)), path)
    assert path.read_text().strip() == "[ui]\nlarge_text = true"


def test_stale_temp_files_are_removed_when_settings_load(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(USER_FILE)
    dead = tmp_path / ".settings.toml.99999999-abc.tmp"  # pid that does not run
    old = tmp_path / ".settings.k2j3h4.tmp"  # the old naming, from a save killed long ago
    live = tmp_path / f".settings.toml.{os.getpid()}-xyz.tmp"  # a save in progress in this process
    kv = tmp_path / ".p.safetensors.tmp-99999999.safetensors"
    fresh_unknown = tmp_path / ".other.tmp"
    for p in (dead, old, live, kv, fresh_unknown):
        p.write_bytes(b"x" * 100)
    long_ago = time.time() - 3600
    os.utime(old, (long_ago, long_ago))
    load_settings(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([path.name, live.name, fresh_unknown.name])
    assert clean_stale_temp_files(tmp_path / "missing") == []


def test_start_cleans_every_folder_hearth_saves_into(tmp_path, monkeypatch):
    from app.config import paths

    monkeypatch.setenv("HEARTH_HOME", str(tmp_path))
    stale = [paths.config_dir() / ".settings.toml.99999999-a.tmp", paths.data_dir() / "manifests" /
             ".org--m.json.99999999-b.tmp", paths.data_dir() / ".p.safetensors.tmp-99999999.safetensors"]
    for p in stale:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(b"x")
    load_settings()
    assert not any(p.exists() for p in stale)


def test_windows_line_endings_inline_tables_and_dotted_keys_are_kept(tmp_path):
    path = tmp_path / "settings.toml"
    cases = {
        "# mine\r\n[audio]\r\nend_pause_ms = 900\r\n": "# mine\r\n[audio]\r\nend_pause_ms = 900\r\n\r\n[ui]\r\n"
                                                       "large_text = true\r\n",
        "ui = {large_text = false}  # inline\n": "ui = {large_text = true}  # inline\n",
        "ui.large_text = false\nmodels.chat = 'x'\n": "ui.large_text = true\nmodels.chat = 'x'\n",
    }
    for before, after in cases.items():
        path.write_bytes(before.encode())
        assert isinstance(toggle_large_text(path), Saved)
        assert path.read_bytes().decode() == after

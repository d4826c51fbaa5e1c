"""The managed policy: reading each key, failing closed, who wins, and how it overrides the user's settings."""

from __future__ import annotations

import plistlib
from dataclasses import dataclass, field, fields
from pathlib import Path

import pytest

from app.cli import main
from app.config.settings import Settings
from app.policy import LOCKDOWN, UNMANAGED, apply_policy, describe_policy, is_locked, load_policy
from app.policy.load import Candidate, system_candidates
from app.policy.model import Policy, SourceKind
from app.policy.parse import _PARSERS, parse_policy, read_policy_file
from models.bundle import normalize_public_key

KEY_B64 = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="  # RFC 8032 test vector 1's public key
KEY_HEX = "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
HASH = "ab" * 32

FULL = f"""
network_allowed = false
allowed_models = ["sha256:{HASH.upper()}"]
require_signed_models = true
trusted_keys = ["{KEY_HEX}"]
allowed_modes = ["assistant"]
allowed_tools = ["read_file"]
camera_allowed = false
screen_allowed = true
retention_days = 30
audit_conversation_text = true
audit_dir = "/var/log/hearth"
"""


def test_every_policy_field_has_a_parser():
    assert set(_PARSERS) == {f.name for f in fields(Policy)}


def test_each_key_is_read(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(FULL)
    policy, problems = read_policy_file(path)
    assert problems == ()
    assert policy == Policy(
        network_allowed=False, allowed_models=frozenset({HASH}), require_signed_models=True,
        trusted_keys=(KEY_B64,), allowed_modes=frozenset({"assistant"}), allowed_tools=frozenset({"read_file"}),
        camera_allowed=False, screen_allowed=True, retention_days=30, audit_conversation_text=True,
        audit_dir=Path("/var/log/hearth"))


def test_hex_and_base64_keys_are_the_same_key():
    assert normalize_public_key(KEY_HEX) == normalize_public_key(KEY_B64) == KEY_B64
    with pytest.raises(ValueError):
        normalize_public_key("AAAA")


def test_the_same_keys_in_a_managed_preferences_plist(tmp_path):
    path = tmp_path / "com.hearth.app.plist"
    path.write_bytes(plistlib.dumps({"network_allowed": False, "allowed_tools": ["read_file"], "retention_days": 7,
                                     "PayloadUUID": "ignored MDM bookkeeping"}, fmt=plistlib.FMT_BINARY))
    policy, problems = read_policy_file(path)
    assert problems == ()
    assert (policy.network_allowed, policy.allowed_tools, policy.retention_days) == (False, {"read_file"}, 7)


@pytest.mark.parametrize("text, key", [
    ("network_allowed = false\nnetwrok_allowed = true", "netwrok_allowed"),  # a misspelt key
    ("network_allowed = \"no\"", "network_allowed"),  # wrong type
    ("allowed_models = [\"not-a-hash\"]", "allowed_models"),
    ("trusted_keys = [\"AAAA\"]", "trusted_keys"),
    ("retention_days = -1", "retention_days"),
    ("audit_dir = \"relative/path\"", "audit_dir"),
    ("network_allowed = [", ""),  # not TOML at all
])
def test_a_broken_policy_fails_closed(tmp_path, text, key):
    path = tmp_path / "policy.toml"
    path.write_text(text)
    policy, problems = read_policy_file(path)
    assert policy == LOCKDOWN
    assert problems and problems[0].key == key and problems[0].fatal


def test_lockdown_is_most_restrictive_but_never_deletes():
    p = LOCKDOWN
    assert not p.network_allowed and not p.camera_allowed and not p.screen_allowed
    assert not p.model_allowed(HASH) and not p.model_allowed(None) and p.require_signed_models
    assert not p.mode_allowed("assistant") and not p.tool_allowed("read_file")
    assert p.retention_days is None and not p.audit_conversation_text


def test_unreadable_or_missing_policy_file_fails_closed(tmp_path):
    loaded = load_policy(env={"HEARTH_POLICY": str(tmp_path / "missing.toml")}, candidates=())
    assert loaded.policy == LOCKDOWN and loaded.fail_closed and loaded.managed
    assert "missing.toml" in loaded.explain() and "locked down" in loaded.explain()


def test_no_policy_is_unmanaged():
    loaded = load_policy(env={}, candidates=(Candidate(SourceKind.FILE, Path("/nonexistent/policy.toml")),))
    assert loaded.policy == UNMANAGED and not loaded.managed and not loaded.fail_closed


def test_the_administrators_policy_wins_over_hearth_policy(tmp_path):
    admin = tmp_path / "admin.toml"
    admin.write_text("network_allowed = false")
    admin.chmod(0o666)  # anyone may edit it: a warning, and the policy still applies
    permissive = tmp_path / "mine.toml"
    permissive.write_text("network_allowed = true")
    loaded = load_policy(env={"HEARTH_POLICY": str(permissive)}, candidates=(Candidate(SourceKind.FILE, admin),))
    assert loaded.source.path == admin and not loaded.policy.network_allowed
    assert any("ignored" in p.message and not p.fatal for p in loaded.problems)
    assert any("non-administrator" in p.message and not p.fatal for p in loaded.problems)


def test_where_policies_are_looked_for():
    mac = [str(c.path) for c in system_candidates("darwin", user="ann")]
    assert mac == ["/Library/Managed Preferences/ann/com.hearth.app.plist",
                   "/Library/Managed Preferences/com.hearth.app.plist",
                   "/Library/Application Support/Hearth/policy.toml"]
    assert [str(c.path) for c in system_candidates("linux")] == ["/etc/hearth/policy.toml"]


def test_signatures_required_without_keys_is_a_warning():
    policy, problems = parse_policy({"require_signed_models": True})
    assert policy.require_signed_models and len(problems) == 1 and not problems[0].fatal


# ---------------------------------------------------------------------------------------------- enforcement checks
def test_model_mode_and_tool_checks():
    p = Policy(allowed_models=frozenset({HASH}), allowed_modes=frozenset({"assistant"}),
               allowed_tools=frozenset({"read_file"}))
    assert p.model_allowed(HASH) and p.model_allowed(HASH.upper()) and not p.model_allowed("cd" * 32)
    assert not p.model_allowed(None)  # a folder without a bundle manifest is not on any allow-list
    assert p.mode_allowed("assistant") and not p.mode_allowed("tutor")
    assert p.tool_allowed("read_file") and not p.tool_allowed("run_command")
    assert UNMANAGED.model_allowed(None) and UNMANAGED.mode_allowed("x") and UNMANAGED.tool_allowed("y")


def test_network_off_forces_offline_and_locks_it():
    user = Settings()
    assert user.models.offline is False
    settings, locked = apply_policy(user, Policy(network_allowed=False))
    assert settings.models.offline is True and settings.models.chat == user.models.chat
    assert is_locked(locked, "models.offline").value is True
    assert apply_policy(user, UNMANAGED) == (user, ())


@dataclass(frozen=True)
class _Eyes:
    camera: bool = True
    screen: bool = True


@dataclass(frozen=True)
class _FutureSettings:  # settings with camera / screen switches (Settings may grow them)
    eyes: _Eyes = field(default_factory=_Eyes)


def test_camera_and_screen_sources():
    p = Policy(camera_allowed=False)
    assert not p.frame_source_allowed("camera") and p.frame_source_allowed("screen")
    assert p.frame_source_allowed("file") and p.frame_source_allowed("synthetic")
    assert not LOCKDOWN.frame_source_allowed("screen")


def test_camera_and_screen_lock_their_settings_when_present():
    settings, locked = apply_policy(_FutureSettings(), Policy(camera_allowed=False))
    assert settings.eyes == _Eyes(camera=False, screen=True)
    assert [item.key for item in locked] == ["eyes.camera"]


def test_describe_marks_what_is_restricted():
    lines = {line.key: line for line in describe_policy(LOCKDOWN)}
    assert lines["network"].restricted and lines["models"].value == "none" and not lines["retention"].restricted
    assert not any(line.restricted for line in describe_policy(UNMANAGED))


def test_policy_show_and_check_commands(write_policy, tmp_path, capsys):
    path = write_policy("network_allowed = false\nallowed_tools = [\"read_file\"]")
    assert main(["policy", "show"]) == 0
    out = capsys.readouterr().out
    assert "Managed by your organization" in out and str(path) in out
    assert "read_file" in out and "locked       models.offline = True" in out
    bad = tmp_path / "bad.toml"
    bad.write_text("camera_allowed = 1")
    assert main(["policy", "check", str(bad)]) == 1
    assert "camera_allowed must be true or false" in capsys.readouterr().out

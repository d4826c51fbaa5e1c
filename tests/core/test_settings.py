from __future__ import annotations

from dataclasses import replace

from app.config.settings import (
    AudioSettings,
    ListenMode,
    Settings,
    load_settings,
    parse_settings,
    save_settings,
)


def test_missing_file_gives_defaults(tmp_path):
    loaded = load_settings(tmp_path / "nope.toml")
    assert loaded.settings == Settings() and loaded.problems == ()


def test_broken_toml_starts_on_defaults_and_keeps_the_file(tmp_path):
    path = tmp_path / "settings.toml"
    text = "[audio\nmode = 'hands_free'\n"
    path.write_text(text)
    loaded = load_settings(path)
    assert loaded.settings == replace(Settings(), models=replace(Settings().models, offline=True))  # fails closed
    assert len(loaded.problems) == 1 and "not valid TOML" in loaded.problems[0].message
    assert str(path) in loaded.problems[0].message
    assert path.read_text() == text  # never overwritten


def test_invalid_values_name_the_key_and_allowed_values_and_keep_the_rest():
    settings, problems = parse_settings(
        "[audio]\nmode = 'loud'\nvad_sensitivity = 3\nend_pause_ms = 900\n[voice]\nspeed = 'fast'\n"
    )
    assert settings.audio.end_pause_ms == 900  # valid neighbours kept
    assert settings.audio.mode is AudioSettings().mode and settings.audio.vad_sensitivity == 0.5
    by_key = {p.key: p.message for p in problems}
    assert "'push_to_talk'" in by_key["audio.mode"] and "'hands_free'" in by_key["audio.mode"]
    assert "0.0 to 1.0" in by_key["audio.vad_sensitivity"]
    assert "voice.speed" in by_key


def test_unknown_keys_and_sections_are_reported():
    _, problems = parse_settings("[audio]\nvolume_knob = 11\n[colours]\nx = 1\n")
    keys = {p.key for p in problems}
    assert keys == {"audio.volume_knob", "colours"}


def test_bool_is_not_a_number_and_number_is_not_a_bool():
    settings, problems = parse_settings("[audio]\nend_pause_ms = true\n[models]\noffline = 1\n")
    assert settings.audio == Settings().audio and len(problems) == 2
    assert settings.models.offline is True  # an unreadable restrictive setting takes its restrictive value


def test_round_trip(tmp_path):
    s = Settings()
    s = replace(s, audio=replace(s.audio, mode=ListenMode.PUSH_TO_TALK, end_pause_ms=1200),
                models=replace(s.models, offline=True, chat="/models/mine"))
    path = save_settings(s, tmp_path / "deep" / "settings.toml")
    loaded = load_settings(path)
    assert loaded.settings == s and loaded.problems == ()
    assert not list(path.parent.glob(".settings.*"))  # no temp file left behind

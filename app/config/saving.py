"""Saving settings without losing what the user wrote.

Only the keys whose value changed are written, into the user's own file as they wrote it (``tomlkit`` keeps comments,
unknown keys, order and formatting byte for byte). A key the user did not change is never written, so a default that
stood in for an invalid value never replaces it. A file that is not valid TOML is not touched at all: the save fails
with a message instead. Writes are atomic (temp file in the same folder, fsync, ``os.replace``) and a failed write
leaves no temp file. Front ends call :func:`try_save_settings` and show a :class:`SaveFailed`'s message.
"""

from __future__ import annotations

import enum
import os
import re
import stat
import tempfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from app.config import paths
from app.config.settings import Settings, SettingsFileError, parse_settings, read_toml


class SettingsSaveError(Exception):
    """Settings could not be saved; ``str()`` is the user-facing message (what happened, what to do)."""


@dataclass(frozen=True)
class Saved:
    path: Path
    changed: tuple[str, ...]  # "section.key" for each key written; empty when nothing needed writing


@dataclass(frozen=True)
class SaveFailed:
    path: Path
    message: str


SaveResult = Saved | SaveFailed


def changed_keys(old: Settings, new: Settings) -> dict[tuple[str, str], Any]:
    """(section, key) -> new plain TOML value, for every key whose value differs."""
    out: dict[tuple[str, str], Any] = {}
    for section in fields(Settings):
        before, after = getattr(old, section.name), getattr(new, section.name)
        for f in fields(after):
            value = getattr(after, f.name)
            if getattr(before, f.name) != value:
                out[(section.name, f.name)] = value.value if isinstance(value, enum.Enum) else value
    return out


def _read_existing(path: Path) -> str | None:
    try:
        with open(path, encoding="utf-8", newline="") as f:  # newline="": keep the file's own line endings
            return f.read()
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise SettingsSaveError(f"Settings not saved: {path} is a folder, not a file. Move it away and try "
                                "again.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsSaveError(f"Settings not saved: cannot read {path} ({_reason(exc)}).") from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc) or type(exc).__name__


def updated_text(text: str, changes: dict[tuple[str, str], Any]) -> str:
    """``text`` with only ``changes`` applied (SettingsFileError when ``text`` is not valid TOML)."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    read_toml(text)  # the same reader as loading: bad syntax, or nesting too deep, is refused
    try:
        doc = tomlkit.parse(text)
        for (section, key), value in changes.items():
            table = doc.get(section)
            if not isinstance(table, dict):
                if section in doc:
                    del doc[section]
                table = tomlkit.table()
                doc[section] = table
            table[key] = value
        out = tomlkit.dumps(doc)
    except (TOMLKitError, RecursionError, ValueError, TypeError) as exc:
        raise SettingsFileError(f"The settings file cannot be edited ({exc})") from None
    return re.sub(r"(?<!\r)\n", "\r\n", out) if "\r\n" in text else out  # new lines in the file's own style


def _write_atomic(path: Path, text: str, mode: int | None) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=paths.temp_prefix(path), suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _save(settings: Settings, path: Path, base: Settings | None) -> Saved:
    if path.is_symlink():
        path = path.resolve()  # keep the user's link (dotfiles): write where it points
    text = _read_existing(path)
    try:
        if base is None:
            base = parse_settings(text)[0] if text is not None else Settings()
        changes = changed_keys(base, settings)
        if not changes:
            return Saved(path, ())  # nothing to write: the file (or its absence) stays as it is
        new_text = updated_text(text or "", changes)
    except SettingsFileError as exc:
        raise SettingsSaveError(f"Settings not saved: {exc}. Your file was left as it is; fix it (or delete it) "
                                f"and change the setting again. File: {path}") from None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode) if text is not None else None
        _write_atomic(path, new_text, mode)
    except OSError as exc:
        raise SettingsSaveError(f"Settings not saved: cannot write {path} ({_reason(exc)}). Check that the folder "
                                "exists and is writable.") from None
    return Saved(path, tuple(f"{section}.{key}" for section, key in changes))


def save_settings(settings: Settings, path: Path | None = None, base: Settings | None = None) -> Path:
    """Write the keys where ``settings`` differs from ``base`` (default: what the file now says) into the file.
    Raises SettingsSaveError with a user-facing message; the file is then unchanged and no temp file is left."""
    return _save(settings, path or paths.settings_file(), base).path


def try_save_settings(settings: Settings, path: Path | None = None, base: Settings | None = None) -> SaveResult:
    """:func:`save_settings` as a value, for front ends: ``Saved`` or ``SaveFailed`` (never raises)."""
    target = path or paths.settings_file()
    try:
        return _save(settings, target, base)
    except SettingsSaveError as exc:
        return SaveFailed(target, str(exc))

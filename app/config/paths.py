"""Where Hearth keeps its files. ``HEARTH_HOME`` puts everything under one folder (tests, portable installs)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path


def _home() -> Path | None:
    value = os.environ.get("HEARTH_HOME")
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    if home:
        return home / "config"
    from platformdirs import user_config_dir

    return Path(user_config_dir("Hearth", appauthor=False))


def data_dir() -> Path:
    home = _home()
    if home:
        return home / "data"
    from platformdirs import user_data_dir

    return Path(user_data_dir("Hearth", appauthor=False))


def log_dir() -> Path:
    return data_dir() / "logs"


def settings_file() -> Path:
    return config_dir() / "settings.toml"


_PID_IN_NAME = (re.compile(r"\.(\d+)-[^./]*\.tmp$"), re.compile(r"\.tmp-(\d+)\.safetensors$"))
OLD_TEMP_S = 60.0  # a temp file without a process id in its name is stale once it is this old


def temp_prefix(target: Path) -> str:
    """The prefix of a temp file for an atomic write of ``target``; it names this process, so that a cleaner can
    tell a stale file (its writer is dead) from one being written right now."""
    return f".{target.name}.{os.getpid()}-"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def is_stale_temp(path: Path, now: float | None = None) -> bool:
    """A hidden ``*.tmp`` (or KV ``*.tmp-PID.safetensors``) file whose writer is gone."""
    name = path.name
    if not name.startswith(".") or not (name.endswith(".tmp") or _PID_IN_NAME[1].search(name)):
        return False
    for pattern in _PID_IN_NAME:
        match = pattern.search(name)
        if match:
            return not _pid_alive(int(match.group(1)))
    try:
        age = (now if now is not None else time.time()) - path.stat().st_mtime
    except OSError:
        return False
    return age > OLD_TEMP_S


def clean_stale_temp_files(folder: Path) -> list[Path]:
    """Delete temp files that killed saves left in ``folder`` (settings, KV snapshots, manifests); returns them.
    Files being written by a live process are left alone. Never raises."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        path = Path(entry.path)
        try:
            if entry.is_file(follow_symlinks=False) and is_stale_temp(path):
                path.unlink()
                removed.append(path)
        except OSError:
            continue
    return removed


def clean_at_start() -> list[Path]:
    """Stale temp files removed from every folder Hearth writes with atomic saves (settings, data, manifests)."""
    removed: list[Path] = []
    for folder in (config_dir(), data_dir(), data_dir() / "manifests"):
        removed += clean_stale_temp_files(folder)
    return removed

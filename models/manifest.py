"""sha256 manifests of model folders, and integrity checks against them and against the hub cache's own hashes."""

from __future__ import annotations

import enum
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

MANIFEST_NAME = "hearth-manifest.json"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def git_blob_sha1(path: Path) -> str:
    h = hashlib.sha1()
    h.update(f"blob {path.stat().st_size}\0".encode())
    with open(path, "rb") as f:
        while block := f.read(_CHUNK):
            h.update(block)
    return h.hexdigest()


def model_files(folder: Path) -> list[Path]:
    """Every file of a model folder (following hub-cache symlinks), except our manifest and hidden files."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and p.name != MANIFEST_NAME and not any(part.startswith(".") for part in rel.parts):
            out.append(p)
    return out


def build_manifest(folder: Path) -> dict[str, dict[str, int | str]]:
    return {
        str(p.relative_to(folder)): {"sha256": sha256_file(p), "size": p.stat().st_size} for p in model_files(folder)
    }


def write_json_atomic(path: Path, data: object) -> None:
    """Temp file (named after this process, so a cleaner can tell a dead writer's leftovers) + fsync + replace;
    on failure the temp file is removed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


class FileState(enum.Enum):
    OK = "ok"
    CORRUPT = "corrupt"
    MISSING = "missing"
    UNEXPECTED = "not in manifest"


@dataclass(frozen=True)
class FileCheck:
    relpath: str
    state: FileState


@dataclass(frozen=True)
class VerifyReport:
    model: str
    folder: Path
    checks: tuple[FileCheck, ...]

    @property
    def ok(self) -> bool:
        return all(c.state in (FileState.OK, FileState.UNEXPECTED) for c in self.checks)

    @property
    def problems(self) -> tuple[FileCheck, ...]:
        return tuple(c for c in self.checks if c.state is not FileState.OK)


def check_against_manifest(folder: Path, manifest: dict[str, dict[str, int | str]]) -> list[FileCheck]:
    checks = []
    for rel, want in sorted(manifest.items()):
        path = folder / rel
        if not path.is_file():
            checks.append(FileCheck(rel, FileState.MISSING))
        elif path.stat().st_size != want["size"] or sha256_file(path) != want["sha256"]:
            checks.append(FileCheck(rel, FileState.CORRUPT))
        else:
            checks.append(FileCheck(rel, FileState.OK))
    known = set(manifest)
    for p in model_files(folder):
        rel = str(p.relative_to(folder))
        if rel not in known:
            checks.append(FileCheck(rel, FileState.UNEXPECTED))
    return checks


_HEX = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def check_hub_blobs(snapshot: Path) -> list[FileCheck]:
    """Hub-cache files are symlinks to blobs named by their hash (sha256 for LFS files, git sha1 otherwise)."""
    checks = []
    for p in model_files(snapshot):
        rel = str(p.relative_to(snapshot))
        blob = p.resolve().name
        if not _HEX.match(blob):
            continue
        actual = sha256_file(p) if len(blob) == 64 else git_blob_sha1(p)
        checks.append(FileCheck(rel, FileState.OK if actual == blob else FileState.CORRUPT))
    return checks

"""The model store: what is installed, where, and how to get more — never a traceback, never a hang offline.

Downloads go to the Hugging Face hub's usual cache (``HF_HUB_CACHE``); folders copied by hand (USB stick, firewalled
desk) are imported into ``<root>/models/<name>`` with a sha256 manifest. Every model resolves to a
:class:`~models.base.ModelFolder`; a missing one raises :class:`~models.base.ModelError` naming the command to run.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models import catalog
from models.base import ModelError, ModelFolder, Role
from models.manifest import (
    MANIFEST_NAME,
    VerifyReport,
    build_manifest,
    check_against_manifest,
    check_hub_blobs,
    model_files,
    write_json_atomic,
)

BUILTIN_PREFIX = "builtin:"


@dataclass(frozen=True)
class InstalledModel:
    name: str  # what to type: catalog name, hub id or imported name
    folder: Path
    size_bytes: int
    role: Role | None
    source: str  # "hub" | "import"


def env_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def _safe(name: str) -> str:
    return name.replace("/", "--")


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in model_files(folder))


def _read_config(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / "config.json").read_text())
    except (OSError, json.JSONDecodeError):
        return {}


def guess_role(name: str, config: dict[str, Any]) -> Role | None:
    entry = catalog.lookup(name)
    if entry is not None:
        return entry.role
    mtype = str(config.get("model_type", "")).lower()
    if "vision_config" in config:
        return Role.VLM
    if any(k in mtype for k in ("whisper", "parakeet", "moonshine", "asr")):
        return Role.STT
    if any(k in mtype for k in ("kokoro", "kitten", "tts")):
        return Role.TTS
    return Role.LLM if mtype else None


class ModelStore:
    def __init__(self, root: Path, offline: bool = False, hub_cache: Path | None = None) -> None:
        self.root = Path(root)
        self.offline = offline or env_offline()
        self.hub_cache = hub_cache

    @property
    def imported_dir(self) -> Path:
        return self.root / "models"

    # ------------------------------------------------------------------------------------------- resolving
    def resolve(self, model_id: str) -> ModelFolder:
        """The local folder of a model: a path, a built-in voice, an imported model or a hub download."""
        entry = catalog.lookup(model_id)
        if entry is not None and entry.builtin:
            return ModelFolder(Path(entry.name), {"model_type": BUILTIN_PREFIX + entry.name})
        path = Path(model_id).expanduser()
        if path.is_dir():
            return ModelFolder(path.resolve(), _read_config(path))
        for name in self._names(model_id):
            folder = self.imported_dir / _safe(name)
            if folder.is_dir():
                return ModelFolder(folder, _read_config(folder))
            snapshot = self._hub_snapshot(name)
            if snapshot is not None:
                return ModelFolder(snapshot, _read_config(snapshot))
        raise ModelError(self._missing_message(model_id))

    def _names(self, model_id: str) -> list[str]:
        entry = catalog.lookup(model_id)
        return [entry.repo_id, entry.name] if entry is not None else [model_id]

    def _hub_snapshot(self, repo_id: str) -> Path | None:
        if repo_id.count("/") != 1:
            return None
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import LocalEntryNotFoundError

        try:
            path = Path(snapshot_download(repo_id, local_files_only=True, cache_dir=self.hub_cache))
        except (LocalEntryNotFoundError, ValueError, OSError):
            return None
        return path if (path / "config.json").exists() or any(path.iterdir()) else None

    def _missing_message(self, model_id: str) -> str:
        entry = catalog.lookup(model_id)
        if entry is None and "/" not in model_id:
            known = ", ".join(e.name for e in catalog.CATALOG)
            return f"Unknown model {model_id!r}: not a folder, a Hugging Face id or a catalog name ({known})."
        name = entry.name if entry else model_id
        size = f" (about {entry.size_gb:g} GB)" if entry else ""
        pull = f"`hearth models pull {name}`{size}"
        copy = f"`hearth models import DIR --as {name}`"
        if self.offline:
            return f"Model {name} is not installed and offline mode is on. Copy its folder here and run {copy}."
        return f"Model {name} is not installed. Run {pull}, or on an offline machine copy its folder and run {copy}."

    # ------------------------------------------------------------------------------------------ installing
    def pull(self, model_id: str, tqdm_class: Any = None) -> InstalledModel:
        entry = catalog.lookup(model_id)
        if entry is not None and entry.builtin:
            return InstalledModel(entry.name, Path(entry.name), 0, entry.role, "builtin")
        repo_id = entry.repo_id if entry else model_id
        if repo_id.count("/") != 1:
            raise ModelError(f"{model_id!r} is not a catalog name or a Hugging Face id like 'org/name'.")
        if self.offline:
            raise ModelError(
                f"Cannot download {model_id}: offline mode is on (setting `offline = true` or HF_HUB_OFFLINE=1). "
                f"On a connected machine run `hearth models pull {model_id}`, copy the folder it prints, then run "
                f"`hearth models import DIR --as {model_id}` here."
            )
        snapshot = self._download(repo_id, tqdm_class)
        write_json_atomic(self.root / "manifests" / f"{_safe(repo_id)}.json", build_manifest(snapshot))
        return InstalledModel(repo_id, snapshot, _folder_size(snapshot), guess_role(repo_id, _read_config(snapshot)),
                              "hub")

    def _download(self, repo_id: str, tqdm_class: Any) -> Path:
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(repo_id, cache_dir=self.hub_cache, tqdm_class=tqdm_class, etag_timeout=10))
        except KeyboardInterrupt:
            raise ModelError(f"Download of {repo_id} cancelled; run the same command again to resume.") from None
        except Exception as exc:  # noqa: BLE001 - network, auth, disk: all become one clear message
            reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise ModelError(
                f"Could not download {repo_id}: {reason}. Check the network connection (or the id), or copy the "
                f"model folder from another machine and run `hearth models import DIR --as {repo_id}`."
            ) from None

    def import_folder(self, src: Path, name: str | None = None) -> InstalledModel:
        src = Path(src).expanduser()
        if not src.is_dir():
            raise ModelError(f"Cannot import {src}: it is not a folder.")
        if not (src / "config.json").is_file() and not model_files(src):
            raise ModelError(f"Cannot import {src}: the folder is empty or has no config.json.")
        entry = catalog.lookup(name or "")
        name = entry.repo_id if entry and not entry.builtin else (name or src.name)
        dest = self.imported_dir / _safe(name)
        tmp = self.imported_dir / f".{_safe(name)}.importing"
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.copytree(src, tmp, symlinks=False, ignore=shutil.ignore_patterns(".*", MANIFEST_NAME))
        write_json_atomic(tmp / MANIFEST_NAME, build_manifest(tmp))
        shutil.rmtree(dest, ignore_errors=True)
        os.replace(tmp, dest)
        return InstalledModel(name, dest, _folder_size(dest), guess_role(name, _read_config(dest)), "import")

    # ------------------------------------------------------------------------------------------- inspecting
    def installed(self) -> list[InstalledModel]:
        out: list[InstalledModel] = []
        if self.imported_dir.is_dir():
            for folder in sorted(p for p in self.imported_dir.iterdir() if p.is_dir() and not p.name.startswith(".")):
                name = folder.name.replace("--", "/")
                out.append(InstalledModel(name, folder, _folder_size(folder),
                                          guess_role(name, _read_config(folder)), "import"))
        out.extend(self._hub_models())
        return out

    def _hub_models(self) -> list[InstalledModel]:
        from huggingface_hub import scan_cache_dir
        from huggingface_hub.errors import CacheNotFound

        try:
            info = scan_cache_dir(self.hub_cache)
        except (CacheNotFound, OSError):
            return []
        out = []
        for repo in sorted(info.repos, key=lambda r: r.repo_id):
            if repo.repo_type != "model" or not repo.revisions:
                continue
            rev = max(repo.revisions, key=lambda r: r.last_modified)
            config = _read_config(rev.snapshot_path)
            if config or catalog.lookup(repo.repo_id):
                out.append(InstalledModel(repo.repo_id, rev.snapshot_path, repo.size_on_disk,
                                          guess_role(repo.repo_id, config), "hub"))
        return out

    def verify(self, model_id: str) -> VerifyReport:
        folder = self.resolve(model_id).path
        if not folder.is_dir():
            raise ModelError(f"{model_id} is built in; there are no files to verify.")
        manifest_path = folder / MANIFEST_NAME
        if not manifest_path.exists():
            manifest_path = self.root / "manifests" / f"{_safe(self._names(model_id)[0])}.json"
        if manifest_path.exists():
            checks = check_against_manifest(folder, json.loads(manifest_path.read_text()))
        else:
            checks = check_hub_blobs(folder)
        return VerifyReport(model_id, folder, tuple(checks))

    def remove(self, model_id: str) -> Path:
        folder = self.resolve(model_id).path
        if folder.parent == self.imported_dir:
            shutil.rmtree(folder)
            return folder
        repo_dir = next((p for p in folder.parents if p.name.startswith("models--")), None)
        if repo_dir is None:
            raise ModelError(f"{model_id} resolves to {folder}, which Hearth did not install; delete it by hand.")
        shutil.rmtree(repo_dir)
        return repo_dir


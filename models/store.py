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

from models import catalog, folder_checks, importer
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


def download_failure(exc: BaseException, repo_id: str) -> str:
    """What went wrong with a download, in words, and what to do (never the library's raw text alone)."""
    from huggingface_hub.errors import GatedRepoError, RepositoryNotFoundError

    chain, cause = [], exc
    while cause is not None and len(chain) < 8:
        chain.append(cause)
        cause = cause.__cause__ or cause.__context__
    names = {type(e).__name__ for e in chain}
    if any(isinstance(e, GatedRepoError) for e in chain):
        return (f"the Hugging Face hub needs you to accept the terms of {repo_id} (log in with `hf auth login`, "
                "then accept them on the model's page).")
    if any(isinstance(e, RepositoryNotFoundError) for e in chain):
        return f"the Hugging Face hub has no model {repo_id!r}. Check the spelling of the name."
    if any(isinstance(e, OSError) and e.errno == 28 for e in chain):
        return "the disk is full. Free some space and run the same command again (it resumes)."
    network = {"ConnectError", "ConnectTimeout", "ConnectionError", "ReadTimeout", "Timeout", "TimeoutException",
               "ProxyError", "SSLError", "gaierror", "LocalEntryNotFoundError", "NetworkError", "RemoteProtocolError"}
    if names & network or any(isinstance(e, (ConnectionError, TimeoutError)) for e in chain):
        return ("can't reach the Hugging Face hub (no network connection, or it is blocked here). Check the "
                "connection and run the same command again (it resumes).")
    first = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
    return f"the download failed ({first}). Run the same command again (it resumes)."


class ModelStore:
    def __init__(self, root: Path, offline: bool = False, hub_cache: Path | None = None) -> None:
        self.root = Path(root)
        self.offline = offline or env_offline()
        self.hub_cache = hub_cache

    @property
    def imported_dir(self) -> Path:
        return self.root / "models"

    def clean_leftovers(self) -> None:
        """At start: delete half-made imports and put back a model whose replacement was interrupted."""
        importer.recover_leftovers(self.imported_dir)

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
        shown = self.display_name(repo_id)
        if self.offline:
            raise ModelError(
                f"Cannot download {shown}: offline mode is on (setting `offline = true` or HF_HUB_OFFLINE=1). "
                f"On a connected machine run `hearth models pull {shown}`, copy the folder it prints, then run "
                f"`hearth models import DIR --as {shown}` here."
            )
        snapshot = self._download(repo_id, shown, tqdm_class)
        write_json_atomic(self.root / "manifests" / f"{_safe(repo_id)}.json", build_manifest(snapshot))
        return InstalledModel(shown, snapshot, _folder_size(snapshot), guess_role(repo_id, _read_config(snapshot)),
                              "hub")

    def _download(self, repo_id: str, shown: str, tqdm_class: Any) -> Path:
        from huggingface_hub import snapshot_download

        try:
            return Path(snapshot_download(repo_id, cache_dir=self.hub_cache, tqdm_class=tqdm_class, etag_timeout=10))
        except KeyboardInterrupt:
            raise ModelError(f"Download of {shown} cancelled; run the same command again to resume.") from None
        except Exception as exc:  # noqa: BLE001 - network, auth, disk: all become one clear message
            raise ModelError(f"Could not download {shown}: {download_failure(exc, repo_id)} Or copy the model "
                             f"folder from another machine and run `hearth models import DIR --as {shown}`.") from None

    def _import_name(self, src: Path, name: str | None) -> str:
        real = importer.check_source(src, self.root)
        entry = catalog.lookup(name) if name else None
        if entry is not None and entry.builtin:
            raise ModelError(f"{entry.name} is built into Hearth; import the folder under another name with --as.")
        return entry.repo_id if entry else (name if name is not None else real.name)

    def existing_import(self, src: Path, name: str | None = None) -> str | None:
        """The display name of the installed model an import of ``src`` as ``name`` would replace, if any."""
        src = Path(src).expanduser()
        if not src.is_dir():
            return None
        name = self._import_name(src, name)
        return self.display_name(name) if importer.destination(self.imported_dir, name).exists() else None

    def import_folder(self, src: Path, name: str | None = None, replace: bool = False) -> InstalledModel:
        """Copy a model folder into ``<root>/models/<name>``. An installed model of that name is replaced only when
        ``replace`` is true, and only after the new copy is complete and checked; nothing else is ever removed."""
        src = Path(src).expanduser()
        if not src.is_dir():
            raise ModelError(f"Cannot import {src}: it is not a folder.")
        name = self._import_name(src, name)
        real = src.resolve()
        dest = importer.destination(self.imported_dir, name)
        shown = self.display_name(name)
        if dest.exists() and not replace:
            raise ModelError(f"A model named {shown} is already installed (at {dest}). Run the import again with "
                             "--force to replace it, or give the new one another name with --as NAME.")
        plan = importer.plan_copy(real)
        if not plan.files:
            raise ModelError(f"Cannot import {src}: the folder is empty.")
        config = folder_checks.read_config_strict(real)  # cheap checks before a byte is copied
        folder_checks.check_weights(real)
        self._check_adapter(ModelFolder(real, config), src)
        try:
            self.imported_dir.mkdir(parents=True, exist_ok=True)
            importer.recover_leftovers(self.imported_dir)
        except OSError as exc:
            raise ModelError(f"Cannot write into {self.imported_dir} ({exc.strerror or exc}); nothing was changed.") \
                from None
        tmp = importer.temp_folder(dest)
        importer.copy_into(plan, tmp)
        try:
            write_json_atomic(tmp / MANIFEST_NAME, build_manifest(tmp))
            importer.put_in_place(tmp, dest, replace)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            raise ModelError(f"Installing {shown} failed ({exc.strerror or exc}); the installed models are as they "
                             "were.") from None
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return InstalledModel(name, dest, _folder_size(dest), guess_role(name, config), "import")

    @staticmethod
    def _check_adapter(folder: ModelFolder, src: Path) -> None:
        from models import registry

        try:
            registry.find_adapter(tuple(Role), folder)
        except ModelError:
            mtype = folder.config.get("model_type", "not set")
            raise ModelError(f"Cannot import {src}: no Hearth adapter loads this kind of model (model_type "
                             f"{mtype!r} in config.json). Check that it is an MLX model folder.") from None

    @staticmethod
    def display_name(name: str) -> str:
        """The one name a model goes by in messages: its catalog short name when it has one."""
        entry = catalog.lookup(name)
        return entry.name if entry is not None else name

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

    def _manifest(self, folder: Path, model_id: str) -> dict[str, Any] | None:
        path = folder / MANIFEST_NAME
        if not path.exists():
            path = self.root / "manifests" / f"{_safe(self._names(model_id)[0])}.json"
        if not path.exists():
            return None
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise ModelError(f"The checksum list {path} of {self.display_name(model_id)} is damaged. Reinstall the "
                             f"model (`hearth models rm {self.display_name(model_id)}`, then pull or import it).") \
                from None
        return data if isinstance(data, dict) else None

    def verify(self, model_id: str) -> VerifyReport:
        folder = self.resolve(model_id).path
        if not folder.is_dir():
            raise ModelError(f"{model_id} is built in; there are no files to verify.")
        manifest = self._manifest(folder, model_id)
        checks = check_against_manifest(folder, manifest) if manifest is not None else check_hub_blobs(folder)
        return VerifyReport(model_id, folder, tuple(checks))

    def check_intact(self, folder: ModelFolder, model_id: str) -> None:
        """Before a load: ModelError when files are missing or changed size since install, or weights are truncated.
        Costs a stat per file and a read of each safetensors header (no hashing; `verify` does that)."""
        if not folder.path.is_dir():
            return  # built in
        manifest = self._manifest(folder.path, model_id)
        if manifest is not None:
            folder_checks.check_sizes(folder.path, manifest, self.display_name(model_id))
        folder_checks.check_weights(folder.path)

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


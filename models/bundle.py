"""Signed model bundles: a model folder plus a manifest of every file's sha256 and size, signed with Ed25519.

A bundle folder holds the model's files, ``hearth-bundle.json`` (the manifest) and ``hearth-bundle.sig`` (the
signer's public key and the Ed25519 signature of the manifest file's exact bytes). A model's identity for an
organization's allow-list is the **manifest hash**: the sha256 of the manifest file's bytes. Signing uses the
``cryptography`` package; nothing here is hand-rolled crypto.

Hidden files (``.DS_Store``, ``._*`` left by Finder on a USB stick) and the store's own ``hearth-manifest.json`` are
not part of a bundle: the model store never imports them and no loader reads them. Every other file must be in the
manifest, unchanged.
"""

from __future__ import annotations

import base64
import binascii
import enum
import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from models.base import ModelError
from models.manifest import model_files, sha256_file

BUNDLE_MANIFEST = "hearth-bundle.json"
BUNDLE_SIGNATURE = "hearth-bundle.sig"
BUNDLE_FORMAT = "hearth-bundle/1"
_BUNDLE_FILES = {BUNDLE_MANIFEST, BUNDLE_SIGNATURE}


class BundleError(ModelError):
    """A bundle cannot be made, or a key cannot be read or written: the message says what to do."""


# ------------------------------------------------------------------------------------------------------------ keys
def encode_public_key(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def normalize_public_key(text: str) -> str:
    """The canonical base64 form of an Ed25519 public key given as base64 or hex (32 raw bytes); ValueError if not."""
    text = text.strip()
    try:
        raw = bytes.fromhex(text) if len(text) == 64 else base64.b64decode(text, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError(f"{text[:20]!r}... is not base64 or hex") from None
    if len(raw) != 32:
        raise ValueError(f"an Ed25519 public key is 32 bytes, this one is {len(raw)}")
    return base64.b64encode(raw).decode("ascii")


def _public_key(b64: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.b64decode(normalize_public_key(b64)))


def generate_keypair(private_path: Path, password: bytes | None = None) -> str:
    """Writes a new private key (PEM, owner-only, optionally encrypted) and ``<private>.pub`` with the public key in
    base64 (what goes into the policy's ``trusted_keys``). Never overwrites a key. Returns the public key."""
    private_path = Path(private_path).expanduser()
    key = Ed25519PrivateKey.generate()
    crypt = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, crypt)
    public = encode_public_key(key.public_key())
    private_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BundleError(f"{private_path} already exists; keys are never overwritten. Pick another path.") from None
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    _write_bytes(private_path.with_name(private_path.name + ".pub"), (public + "\n").encode())
    return public


def load_private_key(path: Path, password: bytes | None = None) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).expanduser().read_bytes(), password=password)
    except OSError as exc:
        raise BundleError(f"Cannot read the signing key {path}: {exc.strerror or exc}.") from None
    except (ValueError, TypeError) as exc:
        raise BundleError(f"{path} is not a usable private key ({exc}); a passphrase may be needed.") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BundleError(f"{path} is not an Ed25519 key; make one with `hearth models keygen`.")
    return key


# ---------------------------------------------------------------------------------------------------------- making
@dataclass(frozen=True)
class BundleResult:
    folder: Path
    manifest_hash: str
    files: int
    size_bytes: int
    public_key: str


def _write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _bundle_files(folder: Path) -> list[Path]:
    return [p for p in model_files(folder) if str(p.relative_to(folder)) not in _BUNDLE_FILES]


def manifest_bytes(name: str, files: dict[str, dict[str, int | str]], created_at: str) -> bytes:
    doc = {"format": BUNDLE_FORMAT, "name": name, "created_at": created_at, "files": files}
    return (json.dumps(doc, indent=1, sort_keys=True) + "\n").encode("utf-8")


def make_bundle(src: Path, out: Path, name: str, key: Ed25519PrivateKey) -> BundleResult:
    """Copies the model folder ``src`` to the new folder ``out`` (following hub-cache symlinks), hashes the copies,
    writes the manifest and its signature. ``out`` appears whole or not at all."""
    src, out = Path(src), Path(out).expanduser()
    if out.exists():
        raise BundleError(f"{out} already exists; choose a new folder for the bundle.")
    sources = _bundle_files(src)
    if not sources:
        raise BundleError(f"{src} has no model files to bundle.")
    tmp = out.with_name(f".{out.name}.partial")
    shutil.rmtree(tmp, ignore_errors=True)
    files: dict[str, dict[str, int | str]] = {}
    for path in sources:
        rel = path.relative_to(src)
        dest = tmp / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
        files[rel.as_posix()] = {"sha256": sha256_file(dest), "size": dest.stat().st_size}
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    data = manifest_bytes(name, files, created)
    _write_bytes(tmp / BUNDLE_MANIFEST, data)
    public = encode_public_key(key.public_key())
    sig = {"algorithm": "ed25519", "public_key": public, "signature": base64.b64encode(key.sign(data)).decode()}
    _write_bytes(tmp / BUNDLE_SIGNATURE, (json.dumps(sig, indent=1, sort_keys=True) + "\n").encode())
    os.replace(tmp, out)
    size = sum(int(f["size"]) for f in files.values())
    return BundleResult(out, hashlib.sha256(data).hexdigest(), len(files), size, public)


# -------------------------------------------------------------------------------------------------------- checking
class BundleIssue(enum.Enum):
    NO_MANIFEST = "no bundle manifest"
    BAD_MANIFEST = "manifest unreadable"
    UNSIGNED = "unsigned"
    BAD_SIGNATURE = "signature does not match"
    UNTRUSTED_KEY = "signed by an untrusted key"
    CHANGED_FILE = "changed"
    MISSING_FILE = "missing"
    ADDED_FILE = "not in the manifest"


@dataclass(frozen=True)
class BundleProblem:
    issue: BundleIssue
    path: str  # the file concerned, relative to the bundle ("" for the bundle as a whole)
    detail: str = ""

    def describe(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{where}{self.issue.value}{f' ({self.detail})' if self.detail else ''}"


@dataclass(frozen=True)
class BundleReport:
    folder: Path
    manifest_hash: str | None  # sha256 of the manifest file; None without one
    signed_by: str | None  # the public key whose valid signature the manifest carries
    files_checked: int
    problems: tuple[BundleProblem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


def _read_manifest(folder: Path) -> tuple[bytes | None, dict[str, dict[str, object]], list[BundleProblem]]:
    try:
        data = (folder / BUNDLE_MANIFEST).read_bytes()
    except FileNotFoundError:
        return None, {}, [BundleProblem(BundleIssue.NO_MANIFEST, BUNDLE_MANIFEST)]
    except OSError as exc:
        return None, {}, [BundleProblem(BundleIssue.BAD_MANIFEST, BUNDLE_MANIFEST, str(exc))]
    try:
        doc = json.loads(data)
        files = doc["files"]
        if doc.get("format") != BUNDLE_FORMAT or not isinstance(files, dict):
            raise ValueError(f"format {doc.get('format')!r} is not {BUNDLE_FORMAT}")
        for rel, entry in files.items():
            parts = PurePosixPath(rel).parts
            if rel.startswith("/") or ".." in parts or not isinstance(entry, dict):
                raise ValueError(f"bad entry {rel!r}")
            if not isinstance(entry.get("sha256"), str) or not isinstance(entry.get("size"), int):
                raise ValueError(f"entry {rel!r} needs sha256 and size")
    except (ValueError, KeyError, TypeError) as exc:
        return data, {}, [BundleProblem(BundleIssue.BAD_MANIFEST, BUNDLE_MANIFEST, str(exc))]
    return data, files, []


def bundle_name(folder: Path) -> str | None:
    """The model name the bundle was made from (the default name to import it as), or None."""
    _, files, problems = _read_manifest(Path(folder))
    if problems:
        return None
    try:
        return str(json.loads((Path(folder) / BUNDLE_MANIFEST).read_bytes())["name"]) or None
    except (OSError, ValueError, KeyError):
        return None


def _check_signature(folder: Path, data: bytes, trusted: set[str],
                     require: bool) -> tuple[str | None, list[BundleProblem]]:
    try:
        sig = json.loads((folder / BUNDLE_SIGNATURE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None, [BundleProblem(BundleIssue.UNSIGNED, BUNDLE_SIGNATURE)] if require else []
    except (OSError, ValueError) as exc:
        return None, [BundleProblem(BundleIssue.BAD_SIGNATURE, BUNDLE_SIGNATURE, f"unreadable: {exc}")]
    try:
        public = normalize_public_key(str(sig["public_key"]))
        _public_key(public).verify(base64.b64decode(str(sig["signature"]), validate=True), data)
    except (KeyError, ValueError, binascii.Error, InvalidSignature):
        return None, [BundleProblem(BundleIssue.BAD_SIGNATURE, BUNDLE_MANIFEST, "the manifest or signature changed")]
    if (require or trusted) and public not in trusted:
        return None, [BundleProblem(BundleIssue.UNTRUSTED_KEY, BUNDLE_SIGNATURE, f"key {public[:12]}...")]
    return public, []


def _check_files(folder: Path, files: dict[str, dict[str, object]], check_hashes: bool) -> list[BundleProblem]:
    problems = []
    for rel, want in sorted(files.items()):
        path = folder / rel
        if not path.is_file():
            problems.append(BundleProblem(BundleIssue.MISSING_FILE, rel))
        elif path.stat().st_size != want["size"]:
            problems.append(BundleProblem(BundleIssue.CHANGED_FILE, rel, f"size {path.stat().st_size}, "
                                                                         f"manifest says {want['size']}"))
        elif check_hashes and sha256_file(path) != want["sha256"]:
            problems.append(BundleProblem(BundleIssue.CHANGED_FILE, rel, "sha256 differs"))
    for path in _bundle_files(folder):
        rel = path.relative_to(folder).as_posix()
        if rel not in files:
            problems.append(BundleProblem(BundleIssue.ADDED_FILE, rel))
    return problems


def verify_bundle(folder: Path, trusted_keys: tuple[str, ...] | frozenset[str] = (), require_signature: bool = False,
                  check_hashes: bool = True) -> BundleReport:
    """Checks the manifest's signature (against ``trusted_keys`` when any are given or a signature is required) and
    every file against the manifest. Each problem names its file. ``check_hashes=False`` checks sizes only."""
    folder = Path(folder)
    trusted = set()
    for k in trusted_keys:
        try:
            trusted.add(normalize_public_key(k))
        except ValueError:
            continue  # a malformed trusted key trusts nothing (the policy loader reports it)
    data, files, problems = _read_manifest(folder)
    if data is None or problems:
        return BundleReport(folder, hashlib.sha256(data).hexdigest() if data else None, None, 0, tuple(problems))
    signed_by, sig_problems = _check_signature(folder, data, trusted, require_signature)
    problems = sig_problems + _check_files(folder, files, check_hashes)
    return BundleReport(folder, hashlib.sha256(data).hexdigest(), signed_by, len(files), tuple(problems))


# ----------------------------------------------------------------------------------------------- the policy at load
class ModelRules(Protocol):
    """What the loader needs of an organization's policy (app.policy.Policy has these attributes)."""

    @property
    def allowed_models(self) -> frozenset[str] | None: ...

    @property
    def require_signed_models(self) -> bool: ...

    @property
    def trusted_keys(self) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class ModelDecision:
    allowed: bool
    manifest_hash: str | None
    message: str  # user-facing reason when refused; "" when allowed
    report: BundleReport | None = None  # None when the policy asks for no check (unmanaged)


def check_model_allowed(folder: Path, rules: ModelRules, check_hashes: bool = True) -> ModelDecision:
    """Call before loading (and importing) a model folder. With no allow-list and no signature requirement this
    reads nothing. Otherwise the folder must be an intact bundle (every file hashed, unless ``check_hashes`` is
    False), signed by a trusted key when signatures are required, and its manifest hash on the allow-list."""
    if rules.allowed_models is None and not rules.require_signed_models:
        return ModelDecision(True, None, "")
    report = verify_bundle(folder, rules.trusted_keys, rules.require_signed_models, check_hashes)
    refuse = f"Your organization's policy does not allow the model at {folder}: "
    if not report.ok:
        listed = "; ".join(p.describe() for p in report.problems[:5])
        more = f" (and {len(report.problems) - 5} more)" if len(report.problems) > 5 else ""
        return ModelDecision(False, report.manifest_hash, f"{refuse}{listed}{more}. Import a signed bundle from your "
                                                          f"administrator (`hearth models import DIR`).", report)
    allowed = rules.allowed_models
    if allowed is not None and (report.manifest_hash or "") not in allowed:
        return ModelDecision(False, report.manifest_hash, f"{refuse}its manifest hash {report.manifest_hash} is not "
                                                          f"on the allow-list. Ask your administrator.", report)
    return ModelDecision(True, report.manifest_hash, "", report)


def check_import(folder: Path, rules: ModelRules) -> ModelDecision:
    """At import: the policy's decision, and, even where the policy asks for no check, a folder that carries a bundle
    manifest must match it (a bundle damaged on its way over is refused whatever the policy)."""
    decision = check_model_allowed(folder, rules)
    if decision.report is not None or not (Path(folder) / BUNDLE_MANIFEST).exists():
        return decision
    report = verify_bundle(folder, rules.trusted_keys, require_signature=False)
    if report.ok:
        return ModelDecision(True, report.manifest_hash, "", report)
    listed = "; ".join(p.describe() for p in report.problems[:5])
    return ModelDecision(False, report.manifest_hash, f"The bundle at {folder} does not match its manifest: {listed}. "
                                                      f"Copy it again from the machine that made it.", report)

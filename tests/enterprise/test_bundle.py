"""Signed model bundles: sign → import → verify, and each way a bundle can be wrong."""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import stat
from pathlib import Path

import pytest

from app.audit.log import AuditLog
from app.commands.bundle import do_bundle, do_check_bundle, do_keygen
from app.commands.models import ACTIONS
from app.policy import startup
from app.policy.model import Policy
from models.bundle import (
    BUNDLE_MANIFEST,
    BUNDLE_SIGNATURE,
    BundleError,
    BundleIssue,
    check_import,
    check_model_allowed,
    generate_keypair,
    load_private_key,
    make_bundle,
    verify_bundle,
)
import numpy as np
from safetensors.numpy import save_file

from models.store import ModelStore


@pytest.fixture
def model(tmp_path) -> Path:
    folder = tmp_path / "tiny-model"
    (folder / "sub").mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": "llama"}))
    save_file({"w": np.arange(4096, dtype=np.float32)}, str(folder / "model.safetensors"))
    (folder / "sub" / "tokenizer.json").write_text("{}")
    return folder


@pytest.fixture
def key(tmp_path):
    path = tmp_path / "keys" / "signing.pem"
    public = generate_keypair(path)
    return path, public


@pytest.fixture
def bundle(model, key, tmp_path):
    return make_bundle(model, tmp_path / "bundle", "tiny-model", load_private_key(key[0]))


def issues(report):
    return [(p.issue, p.path) for p in report.problems]


def test_sign_then_verify(bundle, key):
    report = verify_bundle(bundle.folder, (key[1],), require_signature=True)
    assert report.ok and report.signed_by == key[1] and report.files_checked == 3
    assert report.manifest_hash == hashlib.sha256((bundle.folder / BUNDLE_MANIFEST).read_bytes()).hexdigest()
    assert report.manifest_hash == bundle.manifest_hash


def test_sign_import_verify_through_the_store(bundle, key, tmp_path):
    store = ModelStore(tmp_path / "store", offline=True)
    imported = store.import_folder(bundle.folder, "tiny-model")
    assert verify_bundle(imported.folder, (key[1],), require_signature=True).ok  # the store keeps the bundle files
    policy = Policy(allowed_models=frozenset({bundle.manifest_hash}), require_signed_models=True,
                    trusted_keys=(key[1],))
    assert check_model_allowed(imported.folder, policy).allowed  # checked again at load, on the imported copy


def test_a_changed_byte_is_named(bundle, key):
    weights = bundle.folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0x01
    weights.write_bytes(bytes(data))
    report = verify_bundle(bundle.folder, (key[1],), require_signature=True)
    assert issues(report) == [(BundleIssue.CHANGED_FILE, "model.safetensors")]
    assert verify_bundle(bundle.folder, (key[1],), check_hashes=False).ok  # sizes alone cannot see it


def test_an_added_file_is_named(bundle, key):
    (bundle.folder / "sub" / "extra.py").write_text("import os")
    (bundle.folder / ".DS_Store").write_bytes(b"finder")  # hidden files are never imported nor loaded
    assert issues(verify_bundle(bundle.folder, (key[1],), True)) == [(BundleIssue.ADDED_FILE, "sub/extra.py")]


def test_a_missing_file_is_named(bundle, key):
    (bundle.folder / "sub" / "tokenizer.json").unlink()
    assert issues(verify_bundle(bundle.folder, (key[1],), True)) == [(BundleIssue.MISSING_FILE, "sub/tokenizer.json")]


def test_a_wrong_key_is_refused(bundle, tmp_path):
    other = generate_keypair(tmp_path / "other.pem")
    report = verify_bundle(bundle.folder, (other,), require_signature=True)
    assert issues(report) == [(BundleIssue.UNTRUSTED_KEY, BUNDLE_SIGNATURE)] and report.signed_by is None


def test_a_re_signed_manifest_is_refused(bundle, key, tmp_path):
    """Tampering with the files and signing a fresh manifest with one's own key still fails: wrong key."""
    (bundle.folder / "model.safetensors").write_bytes(b"other weights")
    evil = tmp_path / "evil.pem"
    generate_keypair(evil)
    src = bundle.folder
    for name in (BUNDLE_MANIFEST, BUNDLE_SIGNATURE):
        (src / name).unlink()
    remade = make_bundle(src, tmp_path / "evil-bundle", "tiny-model", load_private_key(evil))
    assert issues(verify_bundle(remade.folder, (key[1],), True)) == [(BundleIssue.UNTRUSTED_KEY, BUNDLE_SIGNATURE)]


def test_an_edited_manifest_breaks_the_signature(bundle, key):
    path = bundle.folder / BUNDLE_MANIFEST
    doc = json.loads(path.read_text())
    doc["files"]["model.safetensors"]["sha256"] = "0" * 64
    path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n")
    report = verify_bundle(bundle.folder, (key[1],), True)
    assert report.problems[0].issue is BundleIssue.BAD_SIGNATURE


def test_unsigned_is_refused_only_when_signatures_are_required(bundle, key):
    (bundle.folder / BUNDLE_SIGNATURE).unlink()
    assert issues(verify_bundle(bundle.folder, (key[1],), True)) == [(BundleIssue.UNSIGNED, BUNDLE_SIGNATURE)]
    assert verify_bundle(bundle.folder, (), require_signature=False).ok


def test_a_plain_folder_has_no_manifest(model):
    assert issues(verify_bundle(model)) == [(BundleIssue.NO_MANIFEST, BUNDLE_MANIFEST)]


def test_the_allow_list_at_load(bundle, key, model):
    allowed = Policy(allowed_models=frozenset({bundle.manifest_hash}))
    other = Policy(allowed_models=frozenset({"cd" * 32}))
    signed = Policy(require_signed_models=True, trusted_keys=(key[1],))
    assert check_model_allowed(bundle.folder, allowed).allowed
    refused = check_model_allowed(bundle.folder, other)
    assert not refused.allowed and "allow-list" in refused.message and bundle.manifest_hash in refused.message
    assert check_model_allowed(bundle.folder, signed).allowed
    plain = check_model_allowed(model, signed)
    assert not plain.allowed and "no bundle manifest" in plain.message
    unmanaged = check_model_allowed(model, Policy())
    assert unmanaged.allowed and unmanaged.report is None  # nothing is read for unmanaged installs


def test_import_checks_a_bundle_even_when_unmanaged(bundle):
    (bundle.folder / "config.json").write_text("{}")
    decision = check_import(bundle.folder, Policy())
    assert not decision.allowed and "config.json: changed" in decision.message


def test_keys_are_private_and_never_overwritten(key):
    path, public = key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.with_name("signing.pem.pub").read_text().strip() == public
    with pytest.raises(BundleError):
        generate_keypair(path)


def test_an_encrypted_key_needs_its_passphrase(tmp_path):
    path = tmp_path / "enc.pem"
    generate_keypair(path, password=b"correct horse")
    assert load_private_key(path, b"correct horse")
    with pytest.raises(BundleError):
        load_private_key(path)


def test_a_bundle_never_overwrites_and_appears_whole(model, key, bundle):
    with pytest.raises(BundleError):
        make_bundle(model, bundle.folder, "x", load_private_key(key[0]))
    assert not list(bundle.folder.parent.glob(".*partial"))


# --------------------------------------------------------------------------------------------------- the commands
def test_keygen_bundle_check_and_import_commands(model, tmp_path, write_policy, capsys):
    keyfile = tmp_path / "k.pem"
    assert do_keygen(None, argparse.Namespace(keyfile=str(keyfile))) == 0
    public = keyfile.with_name("k.pem.pub").read_text().strip()
    assert f'trusted_keys = ["{public}"]' in capsys.readouterr().out
    store = ModelStore(tmp_path / "store", offline=True)
    out = tmp_path / "out"
    assert do_bundle(store, argparse.Namespace(model=str(model), out=str(out), key=str(keyfile))) == 0
    manifest_hash = hashlib.sha256((out / BUNDLE_MANIFEST).read_bytes()).hexdigest()
    assert f'allowed_models = ["{manifest_hash}"]' in capsys.readouterr().out

    write_policy(f'require_signed_models = true\ntrusted_keys = ["{public}"]\naudit_dir = "{tmp_path / "audit"}"')
    startup.reset_for_tests()
    assert do_check_bundle(None, argparse.Namespace(folder=str(out))) == 0
    tampered = tmp_path / "tampered"
    shutil.copytree(out, tampered)
    (tampered / "sub" / "tokenizer.json").write_text('{"x": 1}')
    assert do_check_bundle(None, argparse.Namespace(folder=str(tampered))) == 1
    assert ACTIONS["import"](store, argparse.Namespace(folder=str(tampered), as_name=None, force=False)) == 2
    assert ACTIONS["import"](store, argparse.Namespace(folder=str(out), as_name=None, force=False)) == 0
    assert (store.imported_dir / model.name / BUNDLE_MANIFEST).is_file()  # named after the bundle's model
    from app.audit.verify import verify_audit

    records = [json.loads(line) for line in (tmp_path / "audit" / "audit-000001.jsonl").read_text().splitlines()]
    imports = [r["fields"] for r in records if r["kind"] == "import"]
    assert [f["allowed"] for f in imports] == [False, True] and imports[1]["manifest_hash"] == manifest_hash
    assert verify_audit(tmp_path / "audit").ok
    assert isinstance(startup.current().audit.inner, AuditLog)


def test_the_parsers_the_models_command_adds():
    from app.commands.bundle import BUNDLE_ACTIONS, add_bundle_parsers

    parser = argparse.ArgumentParser()
    add_bundle_parsers(parser.add_subparsers(dest="action", required=True))
    args = parser.parse_args(["bundle", "qwen3.5-4b", "/media/usb/qwen", "--key", "k.pem"])
    assert (BUNDLE_ACTIONS[args.action], args.model, args.out, args.key) == (do_bundle, "qwen3.5-4b",
                                                                             "/media/usb/qwen", "k.pem")
    assert BUNDLE_ACTIONS[parser.parse_args(["keygen", "k.pem"]).action] is do_keygen
    assert BUNDLE_ACTIONS[parser.parse_args(["check-bundle", "dir"]).action] is do_check_bundle

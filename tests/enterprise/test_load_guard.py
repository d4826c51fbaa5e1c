"""The policy at model load (allow-list, signatures; audited) and doctor's "Managed by your organization" lines."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pytest

from app.audit.log import AuditLog
from app.config.settings import Settings
from app.policy.doctor_check import policy_checks
from app.policy.loader import guarded_loader
from app.policy.model import LOCKDOWN, LoadedPolicy, Policy, PolicyProblem, PolicySource, SourceKind
from app.policy.startup import Enterprise, SafeAudit
from models.base import ModelError, Role
from models.bundle import generate_keypair, load_private_key, make_bundle
from models.loader import load_adapter
import numpy as np
from safetensors.numpy import save_file

from models.store import ModelStore


@pytest.fixture
def signed(tmp_path):
    src = tmp_path / "m"
    src.mkdir()
    (src / "config.json").write_text(json.dumps({"model_type": "llama"}))
    save_file({"w": np.ones(1000, dtype=np.float32)}, str(src / "weights.safetensors"))
    public = generate_keypair(tmp_path / "k.pem")
    bundle = make_bundle(src, tmp_path / "bundle", "m", load_private_key(tmp_path / "k.pem"))
    store = ModelStore(tmp_path / "store", offline=True)
    store.import_folder(bundle.folder, "m")
    return store, bundle.manifest_hash, public


def context(tmp_path: Path, policy: Policy, problems=()) -> Enterprise:
    loaded = LoadedPolicy(policy, PolicySource(SourceKind.FILE, tmp_path / "policy.toml"), problems)
    return Enterprise(loaded, SafeAudit(AuditLog(tmp_path / "audit")), False)


def audited(tmp_path: Path) -> list[dict]:
    path = tmp_path / "audit" / "audit-000001.jsonl"
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def test_an_allowed_model_loads_and_is_audited(signed, tmp_path):
    store, manifest_hash, public = signed
    calls = []
    policy = Policy(allowed_models=frozenset({manifest_hash}), require_signed_models=True, trusted_keys=(public,))
    load = guarded_loader(lambda roles, name: calls.append(name) or "adapter", store, lambda: context(tmp_path, policy))
    assert load((Role.LLM,), "m") == "adapter" and calls == ["m"]
    rec = audited(tmp_path)[-1]
    assert rec["kind"] == "model_load" and rec["fields"]["manifest_hash"] == manifest_hash


def test_a_model_off_the_allow_list_never_reaches_the_loader(signed, tmp_path):
    store, _, _ = signed
    policy = Policy(allowed_models=frozenset({"cd" * 32}))
    load = guarded_loader(lambda roles, name: pytest.fail("loaded"), store, lambda: context(tmp_path, policy))
    with pytest.raises(ModelError, match="allow-list"):
        load((Role.LLM,), "m")
    assert audited(tmp_path)[-1]["kind"] == "model_refused"


def test_a_file_changed_after_import_is_refused_at_load(signed, tmp_path):
    store, manifest_hash, _ = signed
    (store.imported_dir / "m" / "weights.safetensors").write_bytes(b"x" * 4096)  # same size, other weights
    policy = Policy(allowed_models=frozenset({manifest_hash}))
    load = guarded_loader(lambda roles, name: pytest.fail("loaded"), store, lambda: context(tmp_path, policy))
    with pytest.raises(ModelError, match="weights.safetensors: changed"):
        load((Role.LLM,), "m")


def test_locked_down_refuses_models_and_says_why(signed, tmp_path):
    store, _, _ = signed
    ctx = context(tmp_path, LOCKDOWN, (PolicyProblem("", "bad syntax"),))
    load = guarded_loader(lambda roles, name: pytest.fail("loaded"), store, lambda: ctx)
    with pytest.raises(ModelError, match="locked down"):
        load((Role.LLM,), "m")


def test_builtin_voices_have_no_weights_to_check(signed, tmp_path):
    store, _, _ = signed
    load = guarded_loader(lambda roles, name: "espeak adapter", store, lambda: context(tmp_path, LOCKDOWN))
    assert load((Role.TTS,), "espeak") == "espeak adapter"
    assert audited(tmp_path)[-1]["fields"]["builtin"] is True


@pytest.mark.slow
def test_a_real_tiny_model_loads_through_the_guard(tiny_llm, tmp_path):
    public = generate_keypair(tmp_path / "k.pem")
    bundle = make_bundle(tiny_llm, tmp_path / "tiny-bundle", "tiny", load_private_key(tmp_path / "k.pem"))
    store = ModelStore(tmp_path / "store", offline=True)
    store.import_folder(bundle.folder, "tiny")
    policy = Policy(allowed_models=frozenset({bundle.manifest_hash}), require_signed_models=True,
                    trusted_keys=(public,))
    load = guarded_loader(functools.partial(load_adapter, store=store), store, lambda: context(tmp_path, policy))
    adapter = load((Role.LLM,), "tiny")
    assert adapter.info.model_id == "tiny"
    with pytest.raises(ModelError):  # the same model straight from its unsigned source folder is refused
        load((Role.LLM,), str(tiny_llm))


def test_doctor_lines(write_policy):
    write_policy("network_allowed = false\ncamera_allowed = false")
    checks = policy_checks(Settings())
    assert checks[0].status.value == "OK" and "Managed by your organization" in checks[0].detail
    details = [c.detail for c in checks]
    assert "camera: off" in details and any(d.startswith("models.offline = True") for d in details)


def test_doctor_lines_for_a_broken_policy(write_policy):
    write_policy("retention_days = \"forever\"")
    checks = policy_checks(Settings())
    assert checks[0].status.value == "FAIL" and "locked down" in checks[0].detail and "retention_days" in checks[0].fix


def test_switching_back_skips_the_hashing_until_a_file_changes(signed, tmp_path, monkeypatch):
    import models.bundle as bundle_module

    store, manifest_hash, _ = signed
    hashed: list[str] = []
    real = bundle_module.sha256_file
    monkeypatch.setattr(bundle_module, "sha256_file", lambda p: hashed.append(Path(p).name) or real(p))
    policy = Policy(allowed_models=frozenset({manifest_hash}))
    load = guarded_loader(lambda roles, name: "adapter", store, lambda: context(tmp_path, policy))
    load((Role.LLM,), "m")
    first = len(hashed)
    load((Role.LLM,), "m")
    assert first >= 2 and len(hashed) == first  # the second load hashed nothing
    (store.imported_dir / "m" / "weights.safetensors").write_bytes(b"x" * 4096)  # same size: mtime and ctime tell
    with pytest.raises(ModelError, match="changed"):
        load((Role.LLM,), "m")

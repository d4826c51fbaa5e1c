"""`hearth models import` never loses an installed model, refuses broken folders up front, and `load` refuses a
model that `verify` would call damaged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from safetensors.numpy import save_file

from models.base import ModelError, Role
from models.folder_checks import safetensors_problem
from models.importer import validate_name
from models.loader import load_adapter
from models.store import ModelStore, download_failure

ROOT = Path(__file__).resolve().parents[2]


def model_dir(folder: Path, model_type: str = "qwen2") -> Path:
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    save_file({"w": np.arange(1024, dtype=np.float32)}, str(folder / "model.safetensors"))
    (folder / "tokenizer.json").write_text("{}")
    return folder


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def data(tmp_path, monkeypatch):
    """A data folder with two models installed, and a store over it."""
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    store = ModelStore(tmp_path / "data", hub_cache=tmp_path / "hub")
    store.import_folder(model_dir(tmp_path / "usb" / "alpha"))
    store.import_folder(model_dir(tmp_path / "usb" / "beta"))
    (tmp_path / "data" / "settings-like.txt").write_text("keep me")
    return store


@pytest.mark.parametrize("where", [".", "..", "models", "models/alpha"])
def test_import_of_the_data_folder_or_its_models_removes_nothing(data, where, monkeypatch):
    before = snapshot(data.root)
    monkeypatch.chdir(data.root if where == ".." else data.imported_dir if where == "." else data.root)
    src = Path(where) if where not in ("models", "models/alpha") else data.root / where
    with pytest.raises(ModelError, match="data folder"):
        data.import_folder(src)
    assert snapshot(data.root) == before


def test_import_dot_names_the_model_after_the_folder(data, tmp_path, monkeypatch):
    monkeypatch.chdir(model_dir(tmp_path / "elsewhere" / "gamma"))
    m = data.import_folder(Path("."))
    assert m.folder == data.imported_dir.resolve() / "gamma"
    assert sorted(x.name for x in data.installed()) == ["alpha", "beta", "gamma"]


@pytest.mark.parametrize("bad", ["", ".", "..", "a/../b", "../x", "a\\b", "/abs", "a/b/c", ".hidden", "x y"])
def test_bad_names_are_refused_before_anything_is_touched(data, tmp_path, bad):
    before = snapshot(data.root)
    with pytest.raises(ModelError, match="cannot be a model name"):
        data.import_folder(model_dir(tmp_path / "src"), bad)
    assert snapshot(data.root) == before


def test_empty_name_is_refused():
    with pytest.raises(ModelError, match="cannot be a model name"):
        validate_name("")
    assert validate_name("org/model-1.5") == "org/model-1.5"


def test_symlink_loop_is_refused_cleanly_and_other_models_stay(data, tmp_path):
    src = model_dir(tmp_path / "looped")
    (src / "sub").mkdir()
    os.symlink("..", src / "sub" / "up")
    before = snapshot(data.root)
    with pytest.raises(ModelError, match="symlink loop"):
        data.import_folder(src)
    assert snapshot(data.root) == before
    assert not [p for p in data.imported_dir.iterdir() if p.name.startswith(".")]  # no junk folder


def test_broken_link_is_refused(data, tmp_path):
    src = model_dir(tmp_path / "linked")
    os.symlink(tmp_path / "nowhere", src / "weights.bin")
    with pytest.raises(ModelError, match="broken or looping link"):
        data.import_folder(src)


def test_file_links_are_followed(data, tmp_path):
    blob = tmp_path / "blob"
    blob.write_text("{}")
    src = model_dir(tmp_path / "hubstyle")
    (src / "tokenizer.json").unlink()
    os.symlink(blob, src / "tokenizer.json")
    m = data.import_folder(src)
    assert (m.folder / "tokenizer.json").read_text() == "{}" and not (m.folder / "tokenizer.json").is_symlink()


def test_existing_name_needs_replace_and_then_is_replaced_whole(data, tmp_path):
    new = model_dir(tmp_path / "v2" / "alpha")
    (new / "extra.txt").write_text("v2")
    before = snapshot(data.root)
    with pytest.raises(ModelError, match="already installed.*--force"):
        data.import_folder(new)
    assert snapshot(data.root) == before
    assert data.existing_import(new) == "alpha"
    m = data.import_folder(new, replace=True)
    assert (m.folder / "extra.txt").read_text() == "v2"
    assert sorted(p.name for p in data.imported_dir.iterdir()) == ["alpha", "beta"]


def test_a_failed_replacement_keeps_the_old_model(data, tmp_path):
    broken = tmp_path / "v2" / "alpha"
    broken.mkdir(parents=True)
    (broken / "config.json").write_text("{not json")
    before = snapshot(data.root)
    with pytest.raises(ModelError, match="not valid JSON"):
        data.import_folder(broken, replace=True)
    assert snapshot(data.root) == before


def test_interrupted_replacement_is_put_back(data):
    alpha = data.imported_dir / "alpha"
    os.replace(alpha, data.imported_dir / ".alpha.replaced")  # killed between setting aside and moving in
    (data.imported_dir / ".beta.99999999.importing").mkdir()  # a half copy of a dead process
    from models.importer import recover_leftovers

    recover_leftovers(data.imported_dir)
    assert sorted(p.name for p in data.imported_dir.iterdir()) == ["alpha", "beta"]


@pytest.mark.parametrize("damage, message", [
    ("no-config", "no config.json"),
    ("bad-json", "not valid JSON"),
    ("truncated", "damaged: .*truncated"),
    ("unknown-type", "no Hearth adapter"),
    ("missing-shard", "incomplete"),
])
def test_broken_folders_are_refused_at_import(data, tmp_path, damage, message):
    src = model_dir(tmp_path / "broken", "nosucharch" if damage == "unknown-type" else "qwen2")
    weights = src / "model.safetensors"
    if damage == "no-config":
        (src / "config.json").unlink()
    elif damage == "bad-json":
        (src / "config.json").write_text('{"model_type": ')
    elif damage == "truncated":
        weights.write_bytes(weights.read_bytes()[:-100])
    elif damage == "missing-shard":
        (src / "model.safetensors.index.json").write_text(json.dumps({"weight_map": {"w": "model-2.safetensors"}}))
    before = snapshot(data.root)
    with pytest.raises(ModelError, match=message):
        data.import_folder(src)
    assert snapshot(data.root) == before


def test_safetensors_checks_catch_appended_and_short_files(tmp_path):
    path = tmp_path / "w.safetensors"
    save_file({"a": np.zeros((3, 5), np.float32), "b": np.ones(7, np.int8)}, str(path))
    assert safetensors_problem(path) is None
    good = path.read_bytes()
    path.write_bytes(good + b"\0" * 8)
    assert "longer" in safetensors_problem(path)
    path.write_bytes(good[:5])
    assert "shorter" in safetensors_problem(path)


def test_a_model_verify_calls_damaged_is_refused_at_load(data):
    weights = data.imported_dir / "alpha" / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-4])
    with pytest.raises(ModelError, match="Model alpha is damaged: model.safetensors has changed size.*verify alpha"):
        load_adapter((Role.LLM,), "alpha", data)  # the check runs before any adapter is looked for


def test_network_failure_is_said_in_words():
    from huggingface_hub.errors import LocalEntryNotFoundError

    class ConnectError(Exception):
        pass

    try:
        try:
            raise ConnectError("[Errno -2] Name or service not known")
        except ConnectError as inner:
            raise LocalEntryNotFoundError("An error happened while trying to locate the file") from inner
    except LocalEntryNotFoundError as exc:
        text = download_failure(exc, "org/x")
    assert text.startswith("can't reach the Hugging Face hub") and "Errno" not in text


def test_pull_failure_suggests_the_name_the_user_typed(tmp_path, monkeypatch):
    import huggingface_hub

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)

    def boom(*a, **k):
        raise TimeoutError("timed out")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", boom)
    with pytest.raises(ModelError) as info:
        ModelStore(tmp_path, hub_cache=tmp_path / "hub").pull("qwen3.5-4b")
    assert "--as qwen3.5-4b`" in str(info.value) and "mlx-community" not in str(info.value)


def test_cli_import_over_an_existing_name_without_a_terminal_asks_for_force(tmp_path):
    env = {**os.environ, "HEARTH_HOME": str(tmp_path / "home")}
    src = model_dir(tmp_path / "m")
    run = [sys.executable, "-m", "app.cli", "models", "import", str(src)]
    first = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           timeout=120)
    assert first.returncode == 0, first.stderr
    again = subprocess.run(run, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                           timeout=120)
    assert again.returncode == 2 and "--force" in again.stderr
    forced = subprocess.run(run + ["--force"], cwd=ROOT, env=env, capture_output=True, text=True,
                            stdin=subprocess.DEVNULL, timeout=120)
    assert forced.returncode == 0 and "Imported m" in forced.stdout


def test_a_failed_final_move_puts_the_old_model_back(data, tmp_path, monkeypatch):
    import models.importer as importer

    before = snapshot(data.root)
    real_replace = os.replace

    def failing(src, dst):
        if str(src).endswith(importer.IMPORTING):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst)

    monkeypatch.setattr(importer.os, "replace", failing)
    with pytest.raises(ModelError, match="installed models are as they were"):
        data.import_folder(model_dir(tmp_path / "v2" / "alpha"), replace=True)
    assert snapshot(data.root) == before and not [p for p in data.imported_dir.iterdir() if p.name[0] == "."]

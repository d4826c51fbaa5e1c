from __future__ import annotations

import json

import pytest

from models.base import ModelError, Role
from models.manifest import FileState
from models.store import ModelStore


def fake_model(folder, model_type="qwen2"):
    """A folder that passes the import checks: config.json, a consistent safetensors file, a tokenizer."""
    import numpy as np
    from safetensors.numpy import save_file

    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model_type": model_type}))
    save_file({"w": np.arange(4096, dtype=np.float32)}, str(folder / "model.safetensors"))
    (folder / "tokenizer.json").write_text("{}")
    return folder


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    return ModelStore(tmp_path / "data", hub_cache=tmp_path / "hub")


def test_import_then_resolve_list_and_verify(store, tmp_path):
    src = fake_model(tmp_path / "usb" / "my-model")
    m = store.import_folder(src, "qwen3.5-4b")  # a catalog name installs under its hub id
    assert m.name == "mlx-community/Qwen3.5-4B-MLX-4bit" and m.role is Role.VLM
    assert store.resolve("qwen3.5-4b").path == m.folder
    assert store.resolve("mlx-community/Qwen3.5-4B-MLX-4bit").config == {"model_type": "qwen2"}
    assert [x.name for x in store.installed()] == [m.name]
    assert store.verify("qwen3.5-4b").ok


def test_verify_names_a_flipped_byte_and_a_missing_file(store, tmp_path):
    m = store.import_folder(fake_model(tmp_path / "src"), "mine")
    weights = m.folder / "model.safetensors"
    data = bytearray(weights.read_bytes())
    data[1000] ^= 0x01
    weights.write_bytes(bytes(data))
    (m.folder / "tokenizer.json").unlink()
    report = store.verify("mine")
    assert not report.ok
    assert {(c.relpath, c.state) for c in report.problems} == {
        ("model.safetensors", FileState.CORRUPT),
        ("tokenizer.json", FileState.MISSING),
    }


def test_missing_model_says_what_to_run(store):
    with pytest.raises(ModelError) as info:
        store.resolve("qwen3.5-4b")
    msg = str(info.value)
    assert "hearth models pull qwen3.5-4b" in msg and "hearth models import" in msg


def test_unknown_name_lists_the_catalog(store):
    with pytest.raises(ModelError, match="Unknown model 'gpt-9'.*kokoro"):
        store.resolve("gpt-9")


def test_offline_pull_gives_the_clear_message_without_network(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    store = ModelStore(tmp_path, hub_cache=tmp_path / "hub")
    with pytest.raises(ModelError, match="offline mode is on.*hearth models import DIR --as qwen3.5-4b"):
        store.pull("qwen3.5-4b")


def test_offline_setting_is_honoured(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    store = ModelStore(tmp_path, offline=True, hub_cache=tmp_path / "hub")
    with pytest.raises(ModelError, match="offline mode is on"):
        store.pull("mlx-community/whatever")


def test_unreachable_hub_is_a_clear_error_not_a_traceback(store, monkeypatch):
    import huggingface_hub

    def boom(*a, **k):
        raise ConnectionError("Name or service not known")

    monkeypatch.setattr(huggingface_hub, "snapshot_download", boom)
    with pytest.raises(ModelError, match="Could not download kokoro: can't reach the Hugging Face hub.*Check the "
                                         "connection.*--as kokoro`"):
        store.pull("kokoro")


def test_builtin_voice_resolves_without_files(store):
    folder = store.resolve("espeak")
    assert folder.config["model_type"] == "builtin:espeak"


def test_import_rejects_non_folders(store, tmp_path):
    (tmp_path / "file.bin").write_bytes(b"x")
    with pytest.raises(ModelError, match="not a folder"):
        store.import_folder(tmp_path / "file.bin")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ModelError, match="empty"):
        store.import_folder(tmp_path / "empty")


def test_remove(store, tmp_path):
    m = store.import_folder(fake_model(tmp_path / "src"), "mine")
    store.remove("mine")
    assert not m.folder.exists() and store.installed() == []

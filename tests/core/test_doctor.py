"""`hearth doctor` tells the truth: the usable context is the model's own, a text-only brain says so, the network
line says whether it was checked, and fixes speak of the platform the user is on."""

from __future__ import annotations

import platform
from dataclasses import replace

from app.config.settings import Settings
from app.doctor import DoctorContext, check_context, check_models, check_offline, check_screen
from models.store import ModelStore


def ctx(tmp_path, chat: str = "qwen3.5-4b", probe: bool = False) -> DoctorContext:
    settings = Settings()
    settings = replace(settings, models=replace(settings.models, chat=chat, offline=False))
    return DoctorContext(settings, ModelStore(tmp_path), probe)


def test_context_is_bounded_by_the_models_own_length(tmp_path, tiny_llm):
    line = check_context(ctx(tmp_path, str(tiny_llm))).detail
    own = __import__("json").loads((tiny_llm / "config.json").read_text())["max_position_embeddings"]
    assert f"usable context {own:,} tokens" in line and f"own context is {own:,}" in line


def test_context_extension_is_reported(tmp_path, tiny_llm, tiny_vlm):
    def extended(chat):
        c = ctx(tmp_path, chat)
        return replace(c, settings=replace(c.settings, memory=replace(c.settings.memory, extend_context=True)))

    own = __import__("json").loads((tiny_llm / "config.json").read_text())["max_position_embeddings"]
    line = check_context(extended(str(tiny_llm))).detail
    assert f"own context is {4 * own:,}" in line and "YaRN x4" in line
    assert "no documented rope-scaling extension" in check_context(extended(str(tiny_vlm))).detail


def test_text_only_brain_is_labelled_so(tmp_path, tiny_llm, tiny_vlm):
    assert "text only" in check_models(ctx(tmp_path, str(tiny_llm)))[0].detail
    assert "sees images" in check_models(ctx(tmp_path, str(tiny_vlm)))[0].detail


def test_network_is_not_claimed_without_a_check(tmp_path, monkeypatch):
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    assert "not checked" in check_offline(ctx(tmp_path)).detail
    monkeypatch.setattr("app.doctor.hub_reachable", lambda: False)
    probed = check_offline(ctx(tmp_path, probe=True))
    assert probed.status.value == "WARN" and "can't reach the Hugging Face hub" in probed.detail


def test_fixes_speak_of_this_platform(tmp_path, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    check = check_screen(ctx(tmp_path))
    if check.status.value != "OK":
        assert ("System Settings" in check.fix) == (platform.system() == "Darwin")

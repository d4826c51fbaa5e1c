"""Longer context through the rope-scaling extension a model family documents (YaRN), turned on by a setting.

The Qwen model cards document YaRN with factor 4 over the trained context (Qwen2.5 and Qwen3: 32K -> 128K; Qwen3.5:
262K -> about 1M). Turning it on rewrites the model's config (rope type, factor, original length; the context grows
by the factor); the weights are untouched. mlx-lm builds a YaRN rotary embedding from such a config. mlx-vlm's
multimodal rotary embedding has no YaRN, so a model with a vision tower (loaded by mlx-vlm) is not extended.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from models.base import ModelFolder

DOCUMENTED_YARN = {"qwen2": 4.0, "qwen3": 4.0, "qwen3_moe": 4.0, "qwen3_5": 4.0, "qwen3_5_moe": 4.0, "qwen3_next": 4.0}


@dataclass(frozen=True)
class RopeExtension:
    factor: float
    original: int  # the trained context length

    @property
    def context(self) -> int:
        return int(self.original * self.factor)

    @property
    def label(self) -> str:
        return f"yarn{self.factor:g}"


def _text(config: dict[str, Any]) -> dict[str, Any]:
    nested = config.get("text_config")
    return nested if isinstance(nested, dict) else config


def _scaled_already(text: dict[str, Any]) -> bool:
    for key in ("rope_scaling", "rope_parameters"):
        rope = text.get(key)
        if isinstance(rope, dict) and (rope.get("type") or rope.get("rope_type") or "default") != "default":
            return True
    return False


def extension_for(config: dict[str, Any]) -> RopeExtension | None:
    """The extension this model's family documents, or None (not documented, already scaled, loaded by mlx-vlm)."""
    if "vision_config" in config:
        return None
    text = _text(config)
    factor = DOCUMENTED_YARN.get(str(text.get("model_type", config.get("model_type", ""))))
    original = text.get("max_position_embeddings")
    if factor is None or not isinstance(original, int) or original <= 0 or _scaled_already(text):
        return None
    return RopeExtension(factor, original)


def extended_config(config: dict[str, Any], ext: RopeExtension) -> dict[str, Any]:
    """A copy of ``config`` with the YaRN extension: rope type, factor and original length, longer context."""
    out = copy.deepcopy(config)
    text = _text(out)
    yarn = {"type": "yarn", "factor": ext.factor, "original_max_position_embeddings": ext.original}
    rope = text.get("rope_parameters")
    if isinstance(rope, dict):  # Qwen3.5 keeps theta and the rotary fraction here
        rope.pop("rope_type", None)
        rope.update(yarn)
    else:
        text["rope_scaling"] = yarn
    text["max_position_embeddings"] = ext.context
    return out


def extended_folder(folder: ModelFolder, ext: RopeExtension, overlays: Path) -> ModelFolder:
    """A folder that shows the model's files (linked, not copied) with the extended config.json."""
    import json

    import hashlib

    tag = hashlib.sha1(str(folder.path.resolve()).encode()).hexdigest()[:8]
    target = overlays / f"{folder.path.name}-{tag}-{ext.label}"
    target.mkdir(parents=True, exist_ok=True)
    for item in folder.path.iterdir():
        link = target / item.name
        if item.name == "config.json" or link.is_symlink() and link.resolve() == item.resolve():
            continue
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(item.resolve())
    config = extended_config(folder.config or json.loads((folder.path / "config.json").read_text()), ext)
    temp = target / "config.json.tmp"
    temp.write_text(json.dumps(config, indent=1))
    os.replace(temp, target / "config.json")
    return ModelFolder(target, config)

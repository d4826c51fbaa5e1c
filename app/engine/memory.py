"""How much context the KV budget allows for the chat model (doctor, the loop's history bound, the memory panel)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from models import catalog
from models.base import ModelError
from models.store import ModelStore

# Qwen3.5-4B's attention geometry (32 layers, every 4th full attention, 4 KV heads of 256), for when the default
# brain is not installed yet and its config.json cannot be read.
QWEN35_4B = {"num_hidden_layers": 32, "full_attention_interval": 4, "num_attention_heads": 16,
             "num_key_value_heads": 4, "head_dim": 256}


@dataclass(frozen=True)
class ContextBudget:
    model: str
    budget_bytes: int
    bytes_per_token: float
    bf16_bytes_per_token: float
    tokens: int  # what fits with the configured cache
    bf16_tokens: int
    label: str  # "K4/V3-bit" or "bf16"
    model_context: int | None = None  # the context length the model was trained for (its config), or extended to
    extension: str = ""  # how memory.extend_context applies to this model (empty when the setting is off)

    @property
    def usable(self) -> int:
        """The history bound: the smaller of the model's own context and what the KV budget holds."""
        return min(self.tokens, self.model_context) if self.model_context else self.tokens


def model_context_length(config: dict[str, Any]) -> int | None:
    """``max_position_embeddings`` of the (text) config, or None when the config does not say."""
    text = config.get("text_config") or config.get("language_config") or config
    value = text.get("max_position_embeddings", config.get("max_position_embeddings"))
    return int(value) if isinstance(value, (int, float)) and value > 0 else None


def total_memory_bytes() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def gpu_budget_bytes(total: int, model_bytes: int) -> int:
    """What the KV cache may use: macOS lets the GPU wire about two thirds of memory; minus weights and 1 GB."""
    return max(0, int(total * 2 / 3) - model_bytes - 2**30)


def _model_config(store: ModelStore, name: str) -> dict[str, Any]:
    try:
        return store.resolve(name).config or QWEN35_4B
    except ModelError:
        return QWEN35_4B


def context_budget(store: ModelStore, model: str, key_bits: float, value_bits: float, compress: bool,
                   extend: bool = False) -> ContextBudget:
    """Raises kvcache's KVCacheError when the model's config lacks attention sizes. ``extend``: with the
    rope-scaling extension the model's family documents (when it has one), as the loader then applies it."""
    from kvcache.budget import bytes_per_token, geometry_from_config, max_context
    from kvcache.config import KVQuantConfig
    from models.rope_extension import extended_config, extension_for

    config = _model_config(store, model)
    ext = extension_for(config) if extend else None
    note = "" if not extend else "no documented rope-scaling extension that its loader applies"
    if ext is not None:
        config = extended_config(config, ext)
        note = f"YaRN x{ext.factor:g} over its trained {ext.original:,} tokens"
    geom = geometry_from_config(config)
    setting = KVQuantConfig(key_bits=key_bits, value_bits=value_bits) if compress else None
    entry = catalog.lookup(model)
    budget = gpu_budget_bytes(total_memory_bytes(), int((entry.size_gb if entry else 3.0) * 1e9))
    return ContextBudget(
        model, budget, bytes_per_token(geom, setting), bytes_per_token(geom, None),
        max_context(geom, budget, setting), max_context(geom, budget, None),
        f"K{key_bits:g}/V{value_bits:g}-bit" if compress else "bf16",
        model_context_length(config) or (262144 if config is QWEN35_4B else None), note,
    )


def budget_lookup(store: ModelStore, key_bits: float, value_bits: float, compress: bool, extend: bool = False):
    """``model_id -> ContextBudget | None`` for the session (None when a config lacks attention sizes)."""
    from kvcache.config import KVCacheError

    def lookup(model_id: str) -> ContextBudget | None:
        try:
            return context_budget(store, model_id, key_bits, value_bits, compress, extend)
        except KVCacheError:
            return None

    return lookup

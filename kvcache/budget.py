"""KV-cache memory budget: bytes per token and the longest context that fits, for bf16 and each bit setting."""

from __future__ import annotations

from dataclasses import dataclass

from .config import KVCacheError, KVQuantConfig

SETTINGS: tuple[tuple[float, float], ...] = ((5, 3), (4.75, 3), (4, 4), (4, 3), (3, 3), (2, 2))


@dataclass(frozen=True)
class AttentionGeometry:
    """What a model's KV cache costs: full-attention layers grow with the context, sliding ones are capped."""

    full_layers: int
    kv_heads: int
    head_dim: int
    v_head_dim: int
    sliding_layers: int = 0
    sliding_window: int = 0


@dataclass(frozen=True)
class BudgetRow:
    label: str
    bits_per_element: float
    bytes_per_token: float
    max_tokens: int


def _text_config(config: dict) -> dict:
    text = config.get("text_config") or config.get("language_config") or {}
    return {**config, **text} if isinstance(text, dict) else config


def _layer_kinds(cfg: dict, n_layers: int) -> tuple[int, int]:
    """(full-attention layers, sliding-window layers)."""
    types = cfg.get("layer_types")
    if isinstance(types, list) and types:
        full = sum(1 for t in types if "full" in str(t) or str(t) == "attention")
        sliding = sum(1 for t in types if "sliding" in str(t))
        return full, sliding
    interval = cfg.get("full_attention_interval")
    if interval:
        return n_layers // int(interval), 0
    if cfg.get("sliding_window") and cfg.get("use_sliding_window"):
        return 0, n_layers
    return n_layers, 0


def geometry_from_config(config: dict) -> AttentionGeometry:
    """Derive the attention geometry from a model's config.json dict (dense, hybrid qwen3_5/qwen3_next, VLMs)."""
    cfg = _text_config(config)
    try:
        n_layers = int(cfg["num_hidden_layers"])
        heads = int(cfg["num_attention_heads"])
        kv_heads = int(cfg.get("num_key_value_heads") or heads)
        head_dim = int(cfg.get("head_dim") or int(cfg["hidden_size"]) // heads)
    except (KeyError, TypeError, ValueError) as e:
        raise KVCacheError(f"model config lacks attention sizes ({e}); cannot compute the KV-cache budget") from e
    full, sliding = _layer_kinds(cfg, n_layers)
    window = int(cfg.get("sliding_window") or 0) if sliding else 0
    return AttentionGeometry(full, kv_heads, head_dim, int(cfg.get("v_head_dim") or head_dim), sliding, window)


def bytes_per_token(geom: AttentionGeometry, setting: KVQuantConfig | None) -> float:
    """Bytes one more token adds to the cache: bf16 when setting is None, else codes + one fp16 scale per vector."""
    return geom.full_layers * geom.kv_heads * _head_token_bytes(geom, setting)


def _head_token_bytes(geom: AttentionGeometry, setting: KVQuantConfig | None) -> float:
    if setting is None:
        return 2 * (geom.head_dim + geom.v_head_dim)
    return geom.head_dim * setting.key_bits / 8 + geom.v_head_dim * setting.value_bits / 8 + 4


def plain_tokens(setting: KVQuantConfig | None) -> int:
    """Most tokens one compressed layer holds uncompressed (16-bit): sinks, the recent window and a decode batch
    waiting to be compressed."""
    return 0 if setting is None else setting.sink_tokens + setting.window + setting.flush_tokens


def fixed_bytes(geom: AttentionGeometry, setting: KVQuantConfig | None = None) -> int:
    """Bytes that do not grow with the context: sliding-window layers (bf16) cost at most their window; each
    compressed layer keeps up to ``plain_tokens`` tokens in 16 bits and reserves the unfilled rest of its last block
    of codes (up to ``tile`` tokens; kvcache.blocks), both counted here in full, so the estimate is an upper bound."""
    per_head_token = 2 * (geom.head_dim + geom.v_head_dim)
    sliding = geom.sliding_layers * geom.kv_heads * geom.sliding_window * per_head_token
    if setting is None:
        return sliding
    per_layer = plain_tokens(setting) * per_head_token + setting.tile * _head_token_bytes(geom, setting)
    return int(sliding + geom.full_layers * geom.kv_heads * per_layer)


def max_context(geom: AttentionGeometry, budget_bytes: int, setting: KVQuantConfig | None) -> int:
    per = bytes_per_token(geom, setting)
    room = budget_bytes - fixed_bytes(geom, setting)
    if per <= 0:
        return 0 if room < 0 else 2**62
    return max(0, int(room // per))


def budget_table(geom: AttentionGeometry, budget_bytes: int) -> list[BudgetRow]:
    """bf16 and every supported key/value bit setting (default sinks and window, counted in ``fixed_bytes``);
    bits_per_element is the cost of one more token."""
    elems = 0.5 * (geom.head_dim + geom.v_head_dim)
    rows = [BudgetRow("bf16", 16.0, bytes_per_token(geom, None), max_context(geom, budget_bytes, None))]
    for kb, vb in SETTINGS:
        cfg = KVQuantConfig(key_bits=kb, value_bits=vb)
        per = bytes_per_token(geom, cfg)
        bits = per * 8 / max(1, geom.full_layers * geom.kv_heads * 2 * elems)
        rows.append(BudgetRow(f"K{kb:g}V{vb:g}", bits, per, max_context(geom, budget_bytes, cfg)))
    return rows


def resident_bytes(geom: AttentionGeometry, setting: KVQuantConfig | None, tokens: int) -> float:
    """Upper bound of the cache's bytes at ``tokens`` tokens of context (window and sinks included)."""
    if setting is None:
        return fixed_bytes(geom) + bytes_per_token(geom, None) * tokens
    return fixed_bytes(geom, setting) + bytes_per_token(geom, setting) * tokens

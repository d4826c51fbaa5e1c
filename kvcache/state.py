"""state / meta_state of CompressedKVCache: a flat dict of arrays plus one JSON string of metadata."""

from __future__ import annotations

import json

import mlx.core as mx

from .config import KVCacheError, KVQuantConfig
from .blocks import CodeBlocks
from .segment import Segment

FORMAT = "hearth-kvcache-2"  # 2: polynomial levels (codebook.poly_coefficients)
_DTYPES = {"float32": mx.float32, "float16": mx.float16, "bfloat16": mx.bfloat16}


def dtype_name(dtype) -> str:
    for name, d in _DTYPES.items():
        if d == dtype:
            return name
    raise KVCacheError(f"unsupported cache dtype {dtype}")


def meta_of(cache) -> tuple[str, ...]:
    if cache.k_codec is None:
        return (json.dumps({"format": FORMAT, "config": cache.config.to_meta(), "offset": 0, "empty": True}),)
    info = {
        "format": FORMAT,
        "config": cache.config.to_meta(),
        "offset": cache.offset,
        "batch": cache.batch,
        "kv_heads": cache.n_kv_heads,
        "k_dim": cache.k_codec.dim,
        "v_dim": cache.v_codec.dim,
        "dtype": dtype_name(cache.dtype),
        "segments": len(cache.segments),
    }
    return (json.dumps(info, sort_keys=True),)


def parse_meta(meta: tuple[str, ...] | list[str]) -> dict:
    try:
        info = json.loads(meta[0])
    except (ValueError, IndexError, TypeError) as e:
        raise KVCacheError(f"compressed KV cache metadata is unreadable ({e}); the file is corrupt: delete it") from e
    if not isinstance(info, dict) or info.get("format") != FORMAT:
        raise KVCacheError("not a Hearth compressed KV cache (unknown format); delete the file and recompute")
    return info


def apply_meta(cache, meta: tuple[str, ...]) -> None:
    info = parse_meta(meta)
    try:
        cache.config = KVQuantConfig.from_meta(info["config"])
        cache.offset = int(info["offset"])
        if not info.get("empty"):
            dtype = _DTYPES[info["dtype"]]
            cache.setup(int(info["batch"]), int(info["kv_heads"]), int(info["k_dim"]), int(info["v_dim"]), dtype)
    except (KeyError, ValueError, TypeError) as e:
        raise KVCacheError(f"compressed KV cache metadata is incomplete ({e}); delete the file and recompute") from e


def apply_state(cache, arrays: dict[str, mx.array]) -> None:
    """Restore arrays (call after meta_state); checks that shapes agree with the metadata."""
    get = arrays.get
    cache.sink_k, cache.sink_v = get("sink_k"), get("sink_v")
    cache.recent_k, cache.recent_v = get("recent_k"), get("recent_v")
    cache.k_mean, cache.v_mean, cache.k_weight = get("k_mean"), get("v_mean"), get("k_weight")
    names = sorted({k.rsplit("_", 1)[0] for k in arrays if k.startswith("seg")})
    try:
        segments = [Segment(*(arrays[f"{n}_{p}"] for p in ("kp", "ks", "vp", "vs"))) for n in names]
    except KeyError as e:
        raise KVCacheError(f"compressed KV cache is missing array {e}; the file is corrupt: delete it") from e
    check_consistent(cache, segments)
    cache.blocks = CodeBlocks(cache.config.tile)
    for seg in segments:
        cache.blocks.append(seg)


def _tokens(a) -> int:
    return 0 if a is None else a.shape[2]


def check_consistent(cache, segments: list[Segment]) -> None:
    total = _tokens(cache.sink_k) + _tokens(cache.recent_k) + sum(s.length for s in segments)
    if total != cache.offset:
        raise KVCacheError(f"compressed KV cache holds {total} tokens but its metadata says {cache.offset}; the file is corrupt")
    if cache.k_codec is None:
        return
    width_k, width_v = cache.k_codec.width, cache.v_codec.width
    head = (cache.batch, cache.n_kv_heads)
    for s in segments:
        if s.kp.shape[:2] != head or s.kp.shape[3] != width_k or s.vp.shape[3] != width_v or s.kp.dtype != mx.uint8:
            raise KVCacheError("compressed KV cache arrays do not match its metadata; the file is corrupt: delete it")

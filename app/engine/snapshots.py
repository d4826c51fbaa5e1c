"""Live prompt caches to and from disk (engine thread): kvcache/store.py writes the layers atomically; the header
carries the token ids the cache holds, the model's position state and a fingerprint of model + cache settings."""

from __future__ import annotations

import json
import time
from pathlib import Path

from app.engine.live_cache import LiveCache, tokens_held
from app.engine.messages import CacheRestored, CacheSaved, LoadCache, SaveCache
from models.base import ChatModel


def fingerprint(model: ChatModel, cache_label: str) -> str:
    variant = getattr(model.info, "variant", "")
    return f"{model.info.model_id}{'+' + variant if variant else ''}|{cache_label}"


def save_live(live: LiveCache, req: SaveCache, cache_label: str) -> CacheSaved:
    from kvcache.store import save_cache

    t0 = time.perf_counter()
    path = Path(req.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = {"tokens": json.dumps(live.tokens), "position": json.dumps(live.position)}
    save_cache(path, live.layers, fingerprint(live.model, cache_label), extra)
    return CacheSaved(req.conversation_id, str(path), len(live.tokens), path.stat().st_size,
                      time.perf_counter() - t0)


def load_live(live: LiveCache, req: LoadCache, cache_label: str) -> CacheRestored:
    """Install the snapshot into ``live`` when it fits the model; otherwise leave ``live`` empty and say why."""
    from kvcache.store import CacheLayout, CacheLoadFailed, try_load_cache

    t0 = time.perf_counter()
    if not Path(req.path).exists():
        return CacheRestored(req.conversation_id, False, reason="no saved cache")
    config = getattr(getattr(live.model, "model", None), "args", None)
    expect = CacheLayout.of(live.layers, vars(config) if config is not None and hasattr(config, "__dict__") else None)
    loaded = try_load_cache(req.path, fingerprint(live.model, cache_label), expect)
    if isinstance(loaded, CacheLoadFailed):
        return CacheRestored(req.conversation_id, False, reason=loaded.message)
    layers, header = loaded.caches, loaded.header
    try:
        tokens = [int(t) for t in json.loads(header["tokens"])]
        position = json.loads(header.get("position", "null"))
    except (KeyError, ValueError, TypeError) as exc:
        return CacheRestored(req.conversation_id, False, reason=f"its token list is damaged ({exc})")
    expected = live.layers
    if len(layers) != len(expected) or any(type(a) is not type(b) for a, b in zip(layers, expected)):
        return CacheRestored(req.conversation_id, False, reason="it was saved with another cache layout")
    if tokens_held(layers) not in (0, len(tokens)):
        return CacheRestored(req.conversation_id, False, reason="it is incomplete")
    live.layers, live.tokens, live.position, live.snapshots = layers, tokens, position, ()
    return CacheRestored(req.conversation_id, True, len(tokens), time.perf_counter() - t0)

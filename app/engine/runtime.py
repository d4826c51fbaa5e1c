"""Wiring: the one place that builds the store, the model loader and the engine from settings."""

from __future__ import annotations

import functools
import logging
from typing import Any

from app.config import paths
from app.engine.thread import CacheFactory, Engine, Sink, default_cache_factory
from app.config.settings import Settings
from models.base import ChatModel
from models.loader import load_adapter
from models.store import ModelStore

log = logging.getLogger(__name__)


def build_store(settings: Settings) -> ModelStore:
    return ModelStore(paths.data_dir(), offline=settings.models.offline)


def compressed_cache_factory(settings: Settings) -> CacheFactory:
    """Prompt caches whose full-attention layers hold TurboQuant-style codes (linear-attention and sliding-window
    layers keep their own caches). A model whose attention cannot be routed keeps the plain cache."""
    from kvcache.config import KVCacheError, KVQuantConfig
    from kvcache.patch import compress_prompt_cache

    try:
        config = KVQuantConfig(key_bits=settings.memory.kv_key_bits, value_bits=settings.memory.kv_value_bits)
    except KVCacheError as exc:  # e.g. 4.6 bits: not a multiple of 1/8
        log.warning("memory.kv_*_bits: %s; using the default %s", exc, KVQuantConfig().label)
        config = KVQuantConfig()

    def factory(model: ChatModel) -> list[Any]:  # engine thread
        cache = model.make_prompt_cache()
        try:
            return compress_prompt_cache(cache, config, model=getattr(model, "model", None))
        except KVCacheError as exc:
            log.warning("KV cache stays uncompressed for %s: %s", model.info.model_id, exc)
            return cache

    factory.label = config.label  # type: ignore[attr-defined] - part of saved caches' fingerprint
    return factory


def make_engine(sink: Sink, settings: Settings, cache_factory: CacheFactory | None = None) -> Engine:
    """An engine (not started) whose loader resolves models through the store."""
    from app.policy.loader import guarded_loader

    store = build_store(settings)
    load = functools.partial(load_adapter, store=store, extend_context=settings.memory.extend_context)
    loader = guarded_loader(load, store)  # policy allow-list, audited
    if cache_factory is None:
        cache_factory = compressed_cache_factory(settings) if settings.memory.compress_kv else default_cache_factory
    return Engine(sink, loader=loader, cache_factory=cache_factory)


def budget_for(settings: Settings):
    """The session's KV-budget lookup for the configured cache."""
    from app.engine.memory import budget_lookup

    m = settings.memory
    return budget_lookup(build_store(settings), m.kv_key_bits, m.kv_value_bits, m.compress_kv, m.extend_context)

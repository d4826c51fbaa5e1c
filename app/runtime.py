"""Wiring: the one place that builds the store, the model loader and the engine from settings."""

from __future__ import annotations

import functools

from app import paths
from app.engine import CacheFactory, Engine, Sink, default_cache_factory
from app.settings import Settings
from models.loader import load_adapter
from models.store import ModelStore


def build_store(settings: Settings) -> ModelStore:
    return ModelStore(paths.data_dir(), offline=settings.models.offline)


def make_engine(sink: Sink, settings: Settings, cache_factory: CacheFactory | None = None) -> Engine:
    """An engine (not started) whose loader resolves models through the store."""
    loader = functools.partial(load_adapter, store=build_store(settings))
    return Engine(sink, loader=loader, cache_factory=cache_factory or default_cache_factory)

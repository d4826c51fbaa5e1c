"""The one wiring module: routes mlx-lm / mlx-vlm attention to the compressed cache.

Model modules import ``scaled_dot_product_attention`` by name from ``mlx_lm.models.base`` (or mlx-vlm's), so
``install()`` replaces that attribute in every loaded ``mlx_lm.models.*`` / ``mlx_vlm.models.*`` module with a wrapper
that sends layers whose cache is a CompressedKVCache to ``compressed_attention`` and everything else to the original
function. ``compress_prompt_cache`` calls ``install()`` (the model's modules are loaded by then), then swaps each plain
full-attention ``KVCache`` for a CompressedKVCache; linear-attention (ArraysCache), sliding-window (RotatingKVCache)
and other caches are kept as they are.
"""

from __future__ import annotations

import sys

from .attention import compressed_attention
from .config import KVCacheError, KVQuantConfig
from .turboquant import CompressedKVCache

_PREFIXES = ("mlx_lm.models.", "mlx_vlm.models.")
_NAME = "scaled_dot_product_attention"


def _wrap(original):
    def scaled_dot_product_attention(queries, keys, values, *args, **kwargs):
        cache = kwargs.get("cache", args[0] if args else None)
        if isinstance(cache, CompressedKVCache):
            scale = kwargs.get("scale", args[1] if len(args) > 1 else None)
            mask = kwargs.get("mask", args[2] if len(args) > 2 else None)
            if kwargs.get("sinks", args[3] if len(args) > 3 else None) is not None:
                raise KVCacheError("this model uses learned attention sinks, which the compressed KV cache does not support")
            return compressed_attention(queries, cache, scale, mask)
        return original(queries, keys, values, *args, **kwargs)

    scaled_dot_product_attention.hearth_original = original
    return scaled_dot_product_attention


def install() -> int:
    """Patch every loaded mlx-lm / mlx-vlm model module; idempotent. Returns how many modules were patched now."""
    count = 0
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(_PREFIXES):
            continue
        fn = getattr(module, _NAME, None)
        if callable(fn) and not hasattr(fn, "hearth_original"):
            setattr(module, _NAME, _wrap(fn))
            count += 1
    return count


def uninstall() -> None:
    """Restore the original functions (tests)."""
    for name, module in list(sys.modules.items()):
        fn = getattr(module, _NAME, None) if module is not None and name.startswith(_PREFIXES) else None
        if fn is not None and hasattr(fn, "hearth_original"):
            setattr(module, _NAME, fn.hearth_original)


def _plain_kv_types() -> tuple[type, ...]:
    types = []
    for mod in ("mlx_lm.models.cache", "mlx_vlm.models.cache"):
        m = sys.modules.get(mod)
        if m is None and mod.startswith("mlx_lm"):
            import mlx_lm.models.cache as m  # noqa: PLC0415
        if m is not None and hasattr(m, "KVCache"):
            types.append(m.KVCache)
    return tuple(types)


def supports_model(model) -> bool:
    """True when the model's attention goes through a patchable scaled_dot_product_attention."""
    names = {type(m).__module__ for _, m in model.named_modules()} | {type(model).__module__}
    return any(hasattr(sys.modules.get(n), _NAME) for n in names if n.startswith(_PREFIXES))


def _convert(c, config: KVQuantConfig, kv_types: tuple[type, ...]):
    if type(c) in kv_types:
        new = CompressedKVCache(config)
        if not c.empty() and c.offset:
            keys, values = c.keys[..., : c.offset, :], c.values[..., : c.offset, :]
            new.update_and_fetch(keys, values)
        return new
    if hasattr(c, "caches") and isinstance(c.caches, (list, tuple)):
        c.caches = type(c.caches)(_convert(x, config, kv_types) for x in c.caches)
    return c


def compress_prompt_cache(cache_list: list, config: KVQuantConfig | None = None, model=None) -> list:
    """Replace full-attention KVCache entries of ``make_prompt_cache(model)`` with compressed ones (new list).

    Pass ``model`` to check that its attention can be routed; an unsupported model raises KVCacheError.
    """
    install()
    if model is not None and not supports_model(model):
        raise KVCacheError(f"{type(model).__module__} calls attention directly; use the normal KV cache for this model")
    kv_types = _plain_kv_types()
    return [_convert(c, config or KVQuantConfig(), kv_types) for c in cache_list]

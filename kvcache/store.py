"""Save / load a whole prompt cache (compressed and ordinary layers) as one safetensors file with JSON metadata.

Written atomically: arrays go to a temporary file in the target folder, which is fsynced and then os.replace'd over
the target, so a crash leaves either the old file or the new one, never a half-written file under the real name.
Each layer's state tree is flattened into named arrays plus a JSON skeleton; the cache class is recorded and only
classes from an allow-list are rebuilt on load. A fingerprint of the model (``model_fingerprint(config)``) is stored
and checked, so a file saved for another model is refused with a clear message.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
from pathlib import Path

import mlx.core as mx

from .config import KVCacheError

FORMAT = "hearth-prompt-cache-1"
_ALLOWED = ("kvcache.turboquant.", "mlx_lm.models.cache.", "mlx_vlm.models.cache.")
_IGNORED_CONFIG_KEYS = {"_name_or_path", "transformers_version", "torch_dtype", "dtype", "architectures"}


def model_fingerprint(config: dict) -> str:
    """A short stable id of a model config (keys that do not change the model are ignored)."""
    clean = {k: v for k, v in config.items() if k not in _IGNORED_CONFIG_KEYS}
    return hashlib.sha256(json.dumps(clean, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _encode(node, prefix: str, arrays: dict[str, mx.array]):
    if isinstance(node, mx.array):
        arrays[prefix] = node
        return {"a": prefix}
    if node is None or isinstance(node, (bool, int, float, str)):
        return {"s": node}
    if isinstance(node, dict):
        return {"d": {k: _encode(v, f"{prefix}.{k}", arrays) for k, v in node.items()}}
    if isinstance(node, (list, tuple)):
        return {"l": [_encode(v, f"{prefix}.{i}", arrays) for i, v in enumerate(node)], "t": isinstance(node, tuple)}
    raise KVCacheError(f"cannot save cache state of type {type(node).__name__}")


def _decode(skel, arrays: dict[str, mx.array]):
    if "a" in skel:
        return arrays[skel["a"]]
    if "s" in skel:
        return skel["s"]
    if "d" in skel:
        return {k: _decode(v, arrays) for k, v in skel["d"].items()}
    items = [_decode(v, arrays) for v in skel["l"]]
    return tuple(items) if skel.get("t") else items


def save_cache(path: str | Path, caches: list, fingerprint: str, extra: dict[str, str] | None = None) -> Path:
    """Write ``caches`` (a model's prompt cache list) to ``path`` atomically; returns the final path."""
    path = Path(path)
    arrays: dict[str, mx.array] = {}
    layers = []
    for i, c in enumerate(caches):
        cls = f"{type(c).__module__}.{type(c).__qualname__}"
        meta = getattr(c, "meta_state", "")
        layers.append({"class": cls, "state": _encode(c.state, f"L{i}", arrays), "meta": list(meta) if meta else []})
    header = {"format": FORMAT, "fingerprint": fingerprint, "layers": json.dumps(layers), **(extra or {})}
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.safetensors")
    try:
        mx.save_safetensors(str(tmp), arrays, header)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


def _read(path: Path) -> tuple[dict[str, mx.array], dict[str, str]]:
    if not path.exists():
        raise KVCacheError(f"no saved KV cache at {path}")
    try:
        arrays, header = mx.load(str(path), format="safetensors", return_metadata=True)
    except (RuntimeError, ValueError, OSError) as e:
        raise KVCacheError(f"{path.name} is not a readable KV cache file ({e}); delete it and recompute") from e
    if header.get("format") != FORMAT:
        raise KVCacheError(f"{path.name} is not a Hearth prompt cache; delete it and recompute")
    return arrays, header


def _build(layer: dict, arrays: dict[str, mx.array]):
    cls_path = layer["class"]
    if not cls_path.startswith(_ALLOWED):
        raise KVCacheError(f"refusing to load cache class {cls_path}")
    module, name = cls_path.rsplit(".", 1)
    cls = getattr(importlib.import_module(module), name)
    obj = cls.__new__(cls)
    if cls_path.startswith("kvcache."):
        obj.__init__()
    if layer["meta"]:
        obj.meta_state = tuple(layer["meta"])
    obj.state = _decode(layer["state"], arrays)
    return obj


def load_cache(path: str | Path, fingerprint: str) -> tuple[list, dict[str, str]]:
    """Read a file written by ``save_cache`` for the model with this fingerprint; returns (caches, header)."""
    path = Path(path)
    arrays, header = _read(path)
    if header.get("fingerprint") != fingerprint:
        raise KVCacheError(f"{path.name} was saved for a different model; it cannot be used with this one")
    try:
        layers = json.loads(header["layers"])
        caches = [_build(layer, arrays) for layer in layers]
    except KVCacheError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, ImportError) as e:
        raise KVCacheError(f"{path.name} is damaged ({type(e).__name__}: {e}); delete it and recompute") from e
    return caches, header

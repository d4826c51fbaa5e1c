"""Save / load a whole prompt cache (compressed and ordinary layers) as one safetensors file with JSON metadata.

Written atomically: arrays go to a temporary file in the target folder, which is fsynced and then os.replace'd over
the target, so a crash leaves either the old file or the new one, never a half-written file under the real name.
Each layer's state tree is flattened into named arrays plus a JSON skeleton; the cache class is recorded and only
classes from an allow-list are rebuilt on load. A fingerprint of the model (``model_fingerprint(config)``) is stored
and checked, so a file saved for another model is refused with a clear message.

Damage is an error, never garbage: the header records every array's dtype, shape and CRC-32 (about 5 GB/s, so cheap
next to reading the file) and a CRC of the layer skeleton; ``load_cache`` recomputes them. Given the model's own fresh
cache list (``expect=CacheLayout.of(model.make_cache(), config)``) it also checks the layer count, each layer's cache
class and the attention arrays' head count and head size. A save killed mid-write leaves a hidden temp file named
after its process; ``clean_stale_temp_files(folder)`` removes those whose process is gone.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

import mlx.core as mx

from .config import KVCacheError

FORMAT = "hearth-prompt-cache-2"
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


def _crc(a: mx.array) -> int:
    view = memoryview(a)
    if not view.c_contiguous:
        view = memoryview(mx.contiguous(a))
    return zlib.crc32(view.cast("B")) if view.nbytes else 0


def _dtype(a: mx.array) -> str:
    return str(a.dtype).rsplit(".", 1)[-1]


def _specs(arrays: dict[str, mx.array]) -> dict[str, list]:
    return {name: [_dtype(a), list(a.shape), _crc(a)] for name, a in arrays.items()}


def save_cache(path: str | Path, caches: list, fingerprint: str, extra: dict[str, str] | None = None) -> Path:
    """Write ``caches`` (a model's prompt cache list) to ``path`` atomically; returns the final path."""
    path = Path(path)
    arrays: dict[str, mx.array] = {}
    layers = []
    for i, c in enumerate(caches):
        cls = f"{type(c).__module__}.{type(c).__qualname__}"
        meta = getattr(c, "meta_state", "")
        layers.append({"class": cls, "state": _encode(c.state, f"L{i}", arrays), "meta": list(meta) if meta else []})
    mx.eval(list(arrays.values()))
    skeleton = json.dumps(layers)
    header = {**(extra or {}), "format": FORMAT, "fingerprint": fingerprint, "layers": skeleton,
              "layers_crc": str(zlib.crc32(skeleton.encode())), "arrays": json.dumps(_specs(arrays))}
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


def _damaged(path: Path, what: str) -> KVCacheError:
    return KVCacheError(f"{path.name} is damaged ({what}); delete it and recompute")


def _read(path: Path) -> tuple[dict[str, mx.array], dict[str, str]]:
    if not path.exists():
        raise KVCacheError(f"no saved KV cache at {path}")
    try:
        arrays, header = mx.load(str(path), format="safetensors", return_metadata=True)
    except (RuntimeError, ValueError, OSError) as e:
        raise KVCacheError(f"{path.name} is not a readable KV cache file ({e}); delete it and recompute") from e
    if header.get("format") != FORMAT:
        raise KVCacheError(f"{path.name} is not a Hearth prompt cache (or one from an older version); delete it "
                           "and recompute")
    _check_integrity(path, arrays, header)
    return arrays, header


def _check_integrity(path: Path, arrays: dict[str, mx.array], header: dict[str, str]) -> None:
    """Every array has the dtype, shape and CRC the header recorded, and the skeleton its CRC."""
    try:
        specs = json.loads(header["arrays"])
        skeleton_ok = str(zlib.crc32(header["layers"].encode())) == header["layers_crc"]
    except (KeyError, ValueError, TypeError):
        raise _damaged(path, "its header is incomplete") from None
    if not skeleton_ok:
        raise _damaged(path, "its layer list does not match its checksum")
    if not isinstance(specs, dict) or set(specs) != set(arrays):
        raise _damaged(path, "its arrays do not match its header")
    for name, a in arrays.items():
        try:
            dtype, shape, crc = specs[name]
        except (TypeError, ValueError):
            raise _damaged(path, f"the header entry of {name} is malformed") from None
        if _dtype(a) != dtype or list(a.shape) != shape:
            raise _damaged(path, f"{name} is {_dtype(a)}{list(a.shape)}, the header says {dtype}{shape}")
        if _crc(a) != crc:
            raise _damaged(path, f"the data of {name} does not match its checksum")


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


_KINDS = {"KVCache": "attention", "CompressedKVCache": "attention", "QuantizedKVCache": "attention",
          "ChunkedKVCache": "attention", "RotatingKVCache": "sliding", "ArraysCache": "arrays", "MambaCache": "arrays"}
_KEY_NAMES, _VALUE_NAMES = ("0", "sink_k", "recent_k"), ("1", "sink_v", "recent_v")


def _kind(class_path: str) -> str:
    name = class_path.rsplit(".", 1)[-1]
    return _KINDS.get(name, name)


@dataclass(frozen=True)
class CacheLayout:
    """What a model's prompt cache must look like: one kind per layer ("attention", "sliding", "arrays", or the
    class name) and, when known, the attention arrays' head count and key / value head sizes."""

    kinds: tuple[str, ...]
    kv_heads: int | None = None
    head_dim: int | None = None
    v_head_dim: int | None = None

    @classmethod
    def of(cls, caches: list, config: dict | None = None) -> CacheLayout:
        """From the model's fresh cache list (``model.make_cache()`` or the engine's factory) and its config."""
        kinds = tuple(_kind(f"{type(c).__module__}.{type(c).__qualname__}") for c in caches)
        if config:
            from .budget import geometry_from_config

            try:
                g = geometry_from_config(config)
            except KVCacheError:
                return cls(kinds)
            return cls(kinds, g.kv_heads, g.head_dim, g.v_head_dim)
        return cls(kinds)


def _check_layout(path: Path, layers: list, arrays: dict[str, mx.array], expect: CacheLayout) -> None:
    if len(layers) != len(expect.kinds):
        raise KVCacheError(f"{path.name} holds {len(layers)} layers but this model has {len(expect.kinds)}; it "
                           "cannot be used with this model")
    for i, (layer, kind) in enumerate(zip(layers, expect.kinds)):
        if _kind(str(layer["class"])) != kind:
            raise KVCacheError(f"{path.name}: layer {i} is a {_kind(str(layer['class']))} cache, this model needs "
                               f"{kind}; it cannot be used with this model")
        if kind in ("attention", "sliding") and expect.kv_heads is not None:
            _check_heads(path, i, arrays, expect)


def _check_heads(path: Path, i: int, arrays: dict[str, mx.array], expect: CacheLayout) -> None:
    for names, dim in ((_KEY_NAMES, expect.head_dim), (_VALUE_NAMES, expect.v_head_dim)):
        for leaf in names:
            a = arrays.get(f"L{i}.{leaf}")
            if a is not None and a.ndim == 4 and (a.shape[1] != expect.kv_heads or a.shape[3] != dim):
                raise KVCacheError(f"{path.name}: layer {i} has {a.shape[1]} heads of size {a.shape[3]}, this model "
                                   f"has {expect.kv_heads} of size {dim}; it cannot be used with this model")


def load_cache(path: str | Path, fingerprint: str, expect: CacheLayout | None = None) -> tuple[list, dict[str, str]]:
    """Read a file written by ``save_cache`` for the model with this fingerprint; returns (caches, header).
    Any damage or mismatch raises KVCacheError (a user-facing message), never returns wrong arrays."""
    path = Path(path)
    arrays, header = _read(path)
    if header.get("fingerprint") != fingerprint:
        raise KVCacheError(f"{path.name} was saved for a different model; it cannot be used with this one")
    try:
        layers = json.loads(header["layers"])
        if expect is not None:
            _check_layout(path, layers, arrays, expect)
        caches = [_build(layer, arrays) for layer in layers]
    except KVCacheError:
        raise
    except (KeyError, ValueError, TypeError, AttributeError, ImportError) as e:
        raise KVCacheError(f"{path.name} is damaged ({type(e).__name__}: {e}); delete it and recompute") from e
    return caches, header


@dataclass(frozen=True)
class LoadedCache:
    caches: list
    header: dict[str, str]


@dataclass(frozen=True)
class CacheLoadFailed:
    path: Path
    message: str  # user-facing: what is wrong and what to do


def try_load_cache(path: str | Path, fingerprint: str,
                   expect: CacheLayout | None = None) -> LoadedCache | CacheLoadFailed:
    """``load_cache`` as a value: a damaged or mismatched file is a ``CacheLoadFailed``, never an exception."""
    try:
        return LoadedCache(*load_cache(path, fingerprint, expect))
    except KVCacheError as e:
        return CacheLoadFailed(Path(path), str(e))


_TEMP = re.compile(r"^\..+\.tmp-(\d+)\.safetensors$")


def clean_stale_temp_files(folder: str | Path) -> list[Path]:
    """Remove the temp files of saves whose process is gone (a kill mid-save leaves a full-size one); returns them."""
    removed: list[Path] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        match = _TEMP.match(entry.name)
        if match and entry.is_file(follow_symlinks=False) and not _alive(int(match.group(1))):
            try:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                pass
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True

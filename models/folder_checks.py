"""Cheap checks of a model folder, run at import and at load: nothing here reads tensor data, only headers and sizes.

A model folder is refused, with a message that names the file and the fix, when its config.json is missing or is
not a JSON object, when a ``*.safetensors`` file's header cannot be parsed or does not add up to the file's size
(a truncated or overwritten copy), when a sharded model's index names a file that is not there, and when its files
no longer have the sizes recorded in its manifest (what ``hearth models verify`` would call damaged).
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

from models.base import ModelError

_DTYPE_BYTES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E4M3": 1, "F8_E5M2": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2,
    "U32": 4, "I32": 4, "F32": 4, "U64": 8, "I64": 8, "F64": 8, "C64": 8,
}
_MAX_HEADER = 100 << 20  # the safetensors format caps its JSON header at 100 MB


def read_config_strict(folder: Path) -> dict[str, Any]:
    """config.json as a dict, or ModelError saying what is wrong with it."""
    path = folder / "config.json"
    if not path.is_file():
        raise ModelError(f"{folder} has no config.json, so it is not a complete model folder. Copy the whole folder "
                         "the model came in (config.json, weights and tokenizer files).")
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"{path} is not valid JSON ({exc}); the copy is damaged. Copy the model folder again.") \
            from None
    if not isinstance(config, dict):
        raise ModelError(f"{path} is not a JSON object; the copy is damaged. Copy the model folder again.")
    return config


def safetensors_problem(path: Path) -> str | None:
    """Why this safetensors file is unusable (header unreadable, sizes that do not add up), or None when it is fine."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            head = f.read(8)
            if len(head) < 8:
                return "it is shorter than a safetensors header"
            (n,) = struct.unpack("<Q", head)
            if n > min(size - 8, _MAX_HEADER):
                return "its header runs past the end of the file (truncated?)"
            header = json.loads(f.read(n))
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "its header is not valid JSON"
    if not isinstance(header, dict):
        return "its header is not a JSON object"
    return _tensors_problem(header, size - 8 - n)


def _tensors_problem(header: dict[str, Any], data_bytes: int) -> str | None:
    end = 0
    for name, info in header.items():
        if name == "__metadata__":
            continue
        try:
            begin, stop = (int(x) for x in info["data_offsets"])
            count = 1
            for dim in info["shape"]:
                count *= int(dim)
            width = _DTYPE_BYTES.get(str(info["dtype"]))
        except (KeyError, TypeError, ValueError):
            return f"tensor {name!r} has a malformed header entry"
        if width is not None and stop - begin != count * width:
            return f"tensor {name!r} has {stop - begin} bytes for a shape that needs {count * width}"
        if not 0 <= begin <= stop <= data_bytes:
            return f"tensor {name!r} lies past the end of the file (truncated?)"
        end = max(end, stop)
    if end != data_bytes:
        return f"it is {data_bytes - end} bytes longer than its tensors (overwritten or appended to?)"
    return None


def check_weights(folder: Path) -> None:
    """Every safetensors file is consistent, and every shard a sharded index names is present."""
    for path in sorted(folder.rglob("*.safetensors")):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        problem = safetensors_problem(path)
        if problem:
            raise ModelError(f"{path} is damaged: {problem}. Copy or download the model again.")
    for index in sorted(folder.glob("*.safetensors.index.json")):
        try:
            shards = set(json.loads(index.read_text(encoding="utf-8"))["weight_map"].values())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, AttributeError):
            raise ModelError(f"{index} is damaged (not a weight index). Copy or download the model again.") from None
        missing = sorted(s for s in shards if not (folder / str(s)).is_file())
        if missing:
            raise ModelError(f"{folder} is incomplete: {', '.join(missing[:3])} named in {index.name} "
                             "is missing. Copy or download the model again.")


def check_sizes(folder: Path, manifest: dict[str, Any], name: str) -> None:
    """Each file recorded in the manifest exists with its recorded size (a stat per file, no hashing)."""
    for rel, want in sorted(manifest.items()):
        path = folder / rel
        try:
            ok = isinstance(want, dict) and path.stat().st_size == want.get("size")
        except OSError:
            ok = False
        if not ok:
            state = "has changed size" if path.exists() else "is missing"
            raise ModelError(f"Model {name} is damaged: {rel} {state}. Run `hearth models verify {name}` for the "
                             f"full check, then reinstall it (`hearth models rm {name}`, then pull or import it).")

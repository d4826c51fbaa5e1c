"""A reader for CTranslate2's ``model.bin`` (binary versions 5 and 6) into numpy arrays; no ctranslate2 needed.

Layout (little endian): u32 version, string spec name, u32 spec revision, u32 variable count, then per variable a
string name, u8 rank, u32 x rank dims, u8 dtype, u32 byte count and the raw data; then u32 alias count and
(alias, target) string pairs. A string is a u16 length followed by that many bytes ending in NUL.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DTYPES = {0: np.float32, 1: np.int8, 2: np.int16, 3: np.int32, 4: np.float16}  # 5 (bfloat16) is not read


@dataclass(frozen=True)
class Ct2Model:
    spec: str
    revision: int
    variables: dict[str, np.ndarray]
    aliases: dict[str, str]


class _Cursor:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def take(self, fmt: str) -> int:
        (value,) = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def text(self) -> str:
        n = self.take("H")
        raw = self.data[self.pos : self.pos + n]
        self.pos += n
        return raw.rstrip(b"\0").decode("utf-8")

    def raw(self, n: int) -> bytes:
        out = self.data[self.pos : self.pos + n]
        if len(out) != n:
            raise ValueError("model.bin ends inside a variable: the file is truncated")
        self.pos += n
        return out


def read_ct2(path: Path) -> Ct2Model:
    cur = _Cursor(Path(path).read_bytes())
    version = cur.take("I")
    if version not in (5, 6):
        raise ValueError(f"CTranslate2 binary version {version} is not supported (5 or 6)")
    spec, revision = cur.text(), cur.take("I")
    variables: dict[str, np.ndarray] = {}
    for _ in range(cur.take("I")):
        name = cur.text()
        dims = [cur.take("I") for _ in range(cur.take("B"))]
        dtype_id, nbytes = cur.take("B"), cur.take("I")
        if dtype_id not in DTYPES:
            raise ValueError(f"{name}: CTranslate2 dtype {dtype_id} is not supported")
        variables[name] = np.frombuffer(cur.raw(nbytes), dtype=DTYPES[dtype_id]).reshape(dims)
    aliases = {cur.text(): cur.text() for _ in range(cur.take("I"))}
    return Ct2Model(spec, revision, variables, aliases)

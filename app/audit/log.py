"""The audit log: append-only JSONL, each record carrying the SHA-256 of the one before it.

Layout of the audit folder::

    audit-000001.jsonl   records, one JSON object a line, fsync'd one by one
    audit-000002.jsonl   the next file once the previous one reached ``max_bytes``; the chain carries across files
    audit.head           {"seq", "hash", "file"} of the newest record (atomic replace): truncation shows as a gap
    audit.lock           flock'd while appending, so two Hearth processes never interleave a chain

A record's ``hash`` is the sha256 of its canonical JSON (sorted keys, no spaces) without the ``hash`` key; its
``prev_hash`` is the previous record's ``hash`` (64 zeros for the first record). No conversation text is written unless
the policy asks for it: callers pass arguments through :func:`summarize_args`.

This makes changes evident, not impossible: someone who can rewrite the whole folder can rebuild a consistent chain.
Organizations that need more forward the records (or ``audit.head``) off the machine.
"""

from __future__ import annotations

import enum
import fcntl
import hashlib
import json
import os
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, Callable

GENESIS = "0" * 64
HEAD_NAME = "audit.head"
LOCK_NAME = "audit.lock"
FILE_RE = re.compile(r"^audit-(\d{6})\.jsonl$")
DEFAULT_MAX_BYTES = 4 << 20
_TAIL_READ = 1 << 16


class AuditKind(enum.Enum):
    APP_START = "app_start"
    APP_STOP = "app_stop"
    POLICY_LOADED = "policy_loaded"
    MODEL_LOAD = "model_load"
    MODEL_REFUSED = "model_refused"
    TOOL_CALL = "tool_call"
    IMPORT = "import"
    SETTINGS_CHANGE = "settings_change"
    RETENTION_DELETE = "retention_delete"
    NETWORK_REFUSED = "network_refused"


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    time: str  # ISO 8601, UTC
    kind: AuditKind
    fields: Mapping[str, Any]
    prev_hash: str
    hash: str

    def body(self) -> dict[str, Any]:
        return {"seq": self.seq, "time": self.time, "kind": self.kind.value, "fields": dict(self.fields),
                "prev_hash": self.prev_hash}

    def to_line(self) -> bytes:
        return canonical({**self.body(), "hash": self.hash}) + b"\n"


def canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode("utf-8")


def body_hash(body: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(body)).hexdigest()


def parse_record(line: bytes) -> AuditRecord:
    """A record from one line; ValueError (or KeyError/TypeError) when it is not one. The hash is not checked."""
    raw = json.loads(line)
    return AuditRecord(int(raw["seq"]), str(raw["time"]), AuditKind(raw["kind"]),
                       MappingProxyType(dict(raw["fields"])), str(raw["prev_hash"]), str(raw["hash"]))


def summarize_args(args: Mapping[str, Any], keep_text: bool = False) -> dict[str, Any]:
    """Argument names with sizes, not contents: text becomes {"chars": n} (kept as is when ``keep_text``), lists
    {"items": n}, nested tables keep their names. Numbers, booleans and None are kept."""
    return {str(k): _summary(v, keep_text) for k, v in args.items()}


def _summary(value: Any, keep_text: bool) -> Any:
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, enum.Enum):
        return _summary(value.value, keep_text)
    if isinstance(value, (bytes, bytearray)):
        return {"bytes": len(value)}
    if isinstance(value, Mapping):
        return summarize_args(value, keep_text)
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_summary(v, keep_text) for v in value] if keep_text else {"items": len(value)}
    text = str(value)
    return text if keep_text else {"chars": len(text)}


def audit_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if FILE_RE.match(p.name))


def file_index(path: Path | str) -> int:
    m = FILE_RE.match(Path(path).name)
    return int(m.group(1)) if m else 0


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    file: str


def read_head(folder: Path) -> Head | None:
    try:
        raw = json.loads((folder / HEAD_NAME).read_text(encoding="utf-8"))
        return Head(int(raw["seq"]), str(raw["hash"]), str(raw["file"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None


@dataclass(frozen=True)
class _Tail:
    last: AuditRecord | None  # the last complete record of the newest file
    damaged: bool  # the newest file ends in a partial line


def _read_tail(path: Path) -> _Tail:
    """The last complete record of a file, reading backwards from its end in growing windows."""
    with open(path, "rb") as f:
        size = f.seek(0, os.SEEK_END)
        window = _TAIL_READ
        while True:
            f.seek(max(0, size - window))
            data = f.read()
            damaged = bool(data) and not data.endswith(b"\n")
            lines = data.splitlines()
            complete = lines[:-1] if damaged else lines
            if window < size:
                complete = complete[1:]  # the window's first line may be the end of a longer one
            for line in reversed(complete):
                try:
                    return _Tail(parse_record(line), damaged)
                except (ValueError, KeyError, TypeError):
                    continue
            if window >= size:
                return _Tail(None, damaged)
            window *= 4


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class AuditLog:
    """Thread- and process-safe appender. ``record`` returns the record written (or raises OSError)."""

    def __init__(self, folder: Path, max_bytes: int = DEFAULT_MAX_BYTES, keep_text: bool = False,
                 clock: Callable[[], str] = _now) -> None:
        self.folder = Path(folder)
        self.max_bytes = max_bytes
        self.keep_text = keep_text
        self._clock = clock
        self._lock = threading.Lock()

    def summarize(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return summarize_args(args, self.keep_text)

    def record(self, kind: AuditKind, **fields: Any) -> AuditRecord:
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            with open(self.folder / LOCK_NAME, "a+b") as lock_file:
                fcntl.flock(lock_file.fileno(), fcntl.LOCK_EX)
                try:
                    return self._append(kind, fields)
                finally:
                    fcntl.flock(lock_file.fileno(), fcntl.LOCK_UN)

    def _position(self) -> tuple[int, str, Path]:
        """(next seq, prev hash, file to append to), reconciling the head with the newest file."""
        files = audit_files(self.folder)
        head = read_head(self.folder)
        tail = _read_tail(files[-1]) if files else _Tail(None, False)
        last = tail.last
        if last is not None and (head is None or last.seq > head.seq):
            seq, prev, where = last.seq, last.hash, files[-1].name  # the head lags (crash between the two writes)
        elif head is not None:
            seq, prev, where = head.seq, head.hash, head.file
        else:
            seq, prev, where = 0, GENESIS, ""
        newest = files[-1] if files else None
        reuse = (newest is not None and newest.name == where and not tail.damaged
                 and newest.stat().st_size < self.max_bytes)
        if reuse:
            return seq + 1, prev, newest
        index = max([file_index(p) for p in files] + [file_index(where)]) + 1
        return seq + 1, prev, self.folder / f"audit-{index:06d}.jsonl"

    def _append(self, kind: AuditKind, fields: Mapping[str, Any]) -> AuditRecord:
        seq, prev, path = self._position()
        body = {"seq": seq, "time": self._clock(), "kind": kind.value, "fields": dict(fields), "prev_hash": prev}
        plain = json.loads(canonical(body))  # exactly what a reader of the line gets back (tuples become lists...)
        record = AuditRecord(seq, plain["time"], kind, MappingProxyType(plain["fields"]), prev, body_hash(plain))
        new_file = not path.exists()
        with open(path, "ab") as f:
            f.write(record.to_line())
            f.flush()
            os.fsync(f.fileno())
        if new_file:
            _fsync_dir(self.folder)
        self._write_head(Head(seq, record.hash, path.name))
        return record

    def _write_head(self, head: Head) -> None:
        tmp = self.folder / f".{HEAD_NAME}.tmp"
        with open(tmp, "wb") as f:
            f.write(canonical({"seq": head.seq, "hash": head.hash, "file": head.file}))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.folder / HEAD_NAME)


class NullAudit:
    """Stands in where no audit log is kept (unmanaged installs): same calls, nothing written."""

    keep_text = False

    def summarize(self, args: Mapping[str, Any]) -> dict[str, Any]:
        return summarize_args(args, False)

    def record(self, kind: AuditKind, **fields: Any) -> None:
        return None

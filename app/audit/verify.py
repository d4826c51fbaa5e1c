"""Checking an audit folder: every record's own hash, the chain of previous hashes, the sequence, and the head.

The report names the first bad record (file, line, seq) and what is wrong with it:

- EDITED:     a record's content no longer matches its own hash;
- REMOVED:    records are missing before this one (its seq jumps and the missing seqs are nowhere in the log);
- REORDERED:  records are out of order (the expected seq appears elsewhere);
- RELINKED:   the seq is right but the chain does not join: a record before it was replaced, hash and all;
- TRUNCATED:  a line is cut short, or records after the last one are missing (the head says there were more);
- MALFORMED:  a line that is not a record at all.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from pathlib import Path

from app.audit.log import GENESIS, AuditRecord, audit_files, body_hash, parse_record, read_head


class AuditIssue(enum.Enum):
    EDITED = "edited"
    REMOVED = "removed"
    REORDERED = "reordered"
    RELINKED = "relinked"
    TRUNCATED = "truncated"
    MALFORMED = "malformed"


@dataclass(frozen=True)
class BadRecord:
    file: Path
    line: int  # 1-based line in that file (0 when the problem is after the last line)
    seq: int | None
    issue: AuditIssue
    message: str


@dataclass(frozen=True)
class AuditReport:
    folder: Path
    files: tuple[Path, ...]
    records: int  # records checked and found good before the first bad one
    last_seq: int
    first_bad: BadRecord | None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.first_bad is None


@dataclass(frozen=True)
class _Line:
    file: Path
    number: int
    data: bytes
    complete: bool  # ends with a newline


def _lines(files: list[Path]) -> list[_Line]:
    out = []
    for path in files:
        data = path.read_bytes()
        parts = data.split(b"\n")
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if last and not part:
                continue
            out.append(_Line(path, i + 1, part, complete=not last))
    return out


def _parse(line: _Line) -> tuple[AuditRecord | None, BadRecord | None]:
    if not line.complete:
        return None, BadRecord(line.file, line.number, None, AuditIssue.TRUNCATED,
                               "the line is cut short: the file was truncated (or a write was interrupted)")
    try:
        return parse_record(line.data), None
    except (ValueError, KeyError, TypeError) as exc:
        return None, BadRecord(line.file, line.number, None, AuditIssue.MALFORMED, f"not an audit record ({exc})")


def _chain_problem(line: _Line, rec: AuditRecord, want_seq: int, want_prev: str, seqs: set[int]) -> BadRecord | None:
    body = rec.body()
    if body_hash(body) != rec.hash:
        return BadRecord(line.file, line.number, rec.seq, AuditIssue.EDITED,
                         f"record {rec.seq} was changed after it was written (its hash does not match its content)")
    if rec.seq != want_seq:
        if want_seq in seqs or rec.seq < want_seq:
            return BadRecord(line.file, line.number, rec.seq, AuditIssue.REORDERED,
                             f"record {rec.seq} is out of order: record {want_seq} was expected here")
        return BadRecord(line.file, line.number, rec.seq, AuditIssue.REMOVED,
                         f"records {want_seq}..{rec.seq - 1} were removed before record {rec.seq}")
    if rec.prev_hash != want_prev:
        return BadRecord(line.file, line.number, rec.seq, AuditIssue.RELINKED,
                         f"record {rec.seq} does not follow the record before it: that record was replaced")
    return None


def _head_problem(folder: Path, files: list[Path], last: AuditRecord | None) -> tuple[BadRecord | None, str]:
    head = read_head(folder)
    if head is None:
        return None, ("no audit.head: removal of the newest records cannot be detected" if files else "")
    last_seq, last_hash = (last.seq, last.hash) if last else (0, GENESIS)
    where = files[-1] if files else folder / head.file
    if head.seq > last_seq:
        return BadRecord(where, 0, head.seq, AuditIssue.TRUNCATED,
                         f"the log ends at record {last_seq} but record {head.seq} was written: "
                         f"records {last_seq + 1}..{head.seq} were removed from the end"), ""
    if head.seq == last_seq and head.hash != last_hash:
        return BadRecord(where, 0, last_seq, AuditIssue.EDITED,
                         f"record {last_seq} is not the record that was written last"), ""
    if head.seq < last_seq - 1:
        return BadRecord(where, 0, last_seq, AuditIssue.TRUNCATED,
                         f"records {head.seq + 1}..{last_seq} were added after the last recorded head"), ""
    return None, ""


def verify_audit(folder: Path) -> AuditReport:
    folder = Path(folder)
    files = audit_files(folder)
    lines = _lines(files)
    parsed = [_parse(line) for line in lines]
    seqs = {rec.seq for rec, _ in parsed if rec is not None}
    want_seq, want_prev, good, last = 1, GENESIS, 0, None
    for line, (rec, bad) in zip(lines, parsed, strict=True):
        bad = bad or _chain_problem(line, rec, want_seq, want_prev, seqs)  # type: ignore[arg-type]
        if bad is not None:
            return AuditReport(folder, tuple(files), good, want_seq - 1, bad)
        assert rec is not None
        want_seq, want_prev, good, last = rec.seq + 1, rec.hash, good + 1, rec
    bad, note = _head_problem(folder, files, last)
    return AuditReport(folder, tuple(files), good, want_seq - 1, bad, (note,) if note else ())

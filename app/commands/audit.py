"""`hearth audit verify|show`: check the audit log's hash chain, or print its newest records."""

from __future__ import annotations

import argparse
import json
import sys
from collections import deque
from pathlib import Path

from app.audit.log import audit_files
from app.audit.verify import verify_audit
from app.commands import command
from app.policy.startup import audit_dir, current


def _folder(args: argparse.Namespace) -> Path:
    return Path(args.dir).expanduser() if args.dir else audit_dir(current().policy)


def do_verify(args: argparse.Namespace) -> int:
    folder = _folder(args)
    report = verify_audit(folder)
    if not report.files:
        print(f"No audit log in {folder}" + ("" if current().loaded.managed else " (Hearth is not managed here)."))
        return 0 if report.ok else 1
    for note in report.notes:
        print(f"note: {note}")
    bad = report.first_bad
    if bad is None:
        print(f"OK: {report.records} records in {len(report.files)} file(s), chain intact up to record "
              f"{report.last_seq}.")
        return 0
    where = f"{bad.file.name} line {bad.line}" if bad.line else bad.file.name
    print(f"BAD: {bad.issue.value.upper()} at {where}"
          f"{f' (record {bad.seq})' if bad.seq is not None else ''}: {bad.message}", file=sys.stderr)
    print(f"The {report.records} records before it are intact.", file=sys.stderr)
    return 1


def do_show(args: argparse.Namespace) -> int:
    lines: deque[bytes] = deque(maxlen=max(1, args.tail))
    for path in audit_files(_folder(args)):
        with open(path, "rb") as f:
            lines.extend(line.rstrip(b"\n") for line in f)
    for line in lines:
        try:
            rec = json.loads(line)
            fields = " ".join(f"{k}={json.dumps(v, ensure_ascii=False)}" for k, v in sorted(rec["fields"].items()))
            print(f"{rec['seq']:>6} {rec['time']} {rec['kind']:17s} {fields}")
        except (ValueError, KeyError, TypeError, AttributeError):
            print(f"{'?':>6} (not a record) {line[:120]!r}")
    return 0


@command
class AuditCommand:
    name = "audit"
    help = "verify the tamper-evident audit log, or show its newest records"

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
        verify = sub.add_parser("verify", help="check every record's hash and the chain; names the first bad record")
        show = sub.add_parser("show", help="print the newest records")
        show.add_argument("--tail", type=int, default=20, help="how many records (default 20)")
        for p in (verify, show):
            p.add_argument("--dir", help="audit folder (default: the policy's, else <data>/audit)")

    def run(self, args: argparse.Namespace) -> int:
        return {"verify": do_verify, "show": do_show}[args.action](args)

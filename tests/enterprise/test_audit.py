"""The audit log: the chain verifies, and removal, edits, reordering and truncation are each named."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app.audit.log import HEAD_NAME, AuditKind, AuditLog, audit_files, body_hash, summarize_args
from app.audit.verify import AuditIssue, verify_audit
from app.commands.audit import do_show, do_verify

ROOT = Path(__file__).resolve().parents[2]


def fill(folder: Path, n: int = 10, **kw) -> AuditLog:
    log = AuditLog(folder, **kw)
    for i in range(n):
        log.record(AuditKind.TOOL_CALL, tool="read_file", index=i, arguments=log.summarize({"path": "/tmp/x"}))
    return log


def lines_of(folder: Path, index: int = 0) -> tuple[Path, list[str]]:
    path = audit_files(folder)[index]
    return path, path.read_text().splitlines(keepends=True)


def test_an_intact_log_verifies(tmp_path):
    fill(tmp_path)
    report = verify_audit(tmp_path)
    assert report.ok and report.records == 10 and report.last_seq == 10 and report.notes == ()


def test_each_record_chains_to_the_previous_one(tmp_path):
    fill(tmp_path, 3)
    _, lines = lines_of(tmp_path)
    recs = [json.loads(line) for line in lines]
    assert recs[0]["prev_hash"] == "0" * 64
    assert [r["prev_hash"] for r in recs[1:]] == [r["hash"] for r in recs[:-1]]
    for r in recs:
        assert body_hash({k: v for k, v in r.items() if k != "hash"}) == r["hash"]


def test_a_removed_record_is_named(tmp_path):
    fill(tmp_path)
    path, lines = lines_of(tmp_path)
    del lines[4]  # record 5
    path.write_text("".join(lines))
    bad = verify_audit(tmp_path).first_bad
    assert (bad.issue, bad.line, bad.seq) == (AuditIssue.REMOVED, 5, 6) and "5..5" in bad.message


def test_an_edited_record_is_named(tmp_path):
    fill(tmp_path)
    path, lines = lines_of(tmp_path)
    lines[2] = lines[2].replace('"index":2', '"index":7')
    path.write_text("".join(lines))
    report = verify_audit(tmp_path)
    assert (report.first_bad.issue, report.first_bad.seq, report.records) == (AuditIssue.EDITED, 3, 2)


def test_an_edit_with_a_recomputed_hash_breaks_the_next_link(tmp_path):
    fill(tmp_path)
    path, lines = lines_of(tmp_path)
    rec = json.loads(lines[2])
    rec["fields"]["tool"] = "run_command"
    rec["hash"] = body_hash({k: v for k, v in rec.items() if k != "hash"})
    lines[2] = json.dumps(rec, sort_keys=True, separators=(",", ":")) + "\n"
    path.write_text("".join(lines))
    bad = verify_audit(tmp_path).first_bad
    assert (bad.issue, bad.seq) == (AuditIssue.RELINKED, 4)


def test_reordered_records_are_named(tmp_path):
    fill(tmp_path)
    path, lines = lines_of(tmp_path)
    lines[3], lines[4] = lines[4], lines[3]
    path.write_text("".join(lines))
    bad = verify_audit(tmp_path).first_bad
    assert (bad.issue, bad.line, bad.seq) == (AuditIssue.REORDERED, 4, 5)


def test_a_line_cut_short_is_truncation(tmp_path):
    fill(tmp_path)
    path = audit_files(tmp_path)[0]
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 30])
    bad = verify_audit(tmp_path).first_bad
    assert (bad.issue, bad.line) == (AuditIssue.TRUNCATED, 10)


def test_records_removed_from_the_end_are_truncation(tmp_path):
    fill(tmp_path)
    path, lines = lines_of(tmp_path)
    path.write_text("".join(lines[:7]))
    report = verify_audit(tmp_path)
    assert report.first_bad.issue is AuditIssue.TRUNCATED and "8..10" in report.first_bad.message


def test_truncation_stays_evident_after_new_records(tmp_path):
    log = fill(tmp_path)
    path, lines = lines_of(tmp_path)
    path.write_text("".join(lines[:7]))
    log.record(AuditKind.APP_STOP)  # the writer continues from the head: the gap stays in the chain
    bad = verify_audit(tmp_path).first_bad
    assert (bad.issue, bad.seq) == (AuditIssue.REMOVED, 11)


def test_a_crash_between_record_and_head_is_not_a_break(tmp_path):
    log = fill(tmp_path, 3)
    head = (tmp_path / HEAD_NAME).read_bytes()
    log.record(AuditKind.APP_STOP)
    (tmp_path / HEAD_NAME).write_bytes(head)  # as if the process died before updating the head
    assert verify_audit(tmp_path).ok
    log.record(AuditKind.APP_START)
    report = verify_audit(tmp_path)
    assert report.ok and report.last_seq == 5


def test_rotation_carries_the_chain_across_files(tmp_path):
    fill(tmp_path, 40, max_bytes=2000)
    files = audit_files(tmp_path)
    assert len(files) >= 3 and all(p.stat().st_size < 2600 for p in files)
    report = verify_audit(tmp_path)
    assert report.ok and report.records == 40
    last_of_first = json.loads(files[0].read_text().splitlines()[-1])
    first_of_second = json.loads(files[1].read_text().splitlines()[0])
    assert first_of_second["prev_hash"] == last_of_first["hash"]
    assert first_of_second["seq"] == last_of_first["seq"] + 1


def test_a_removed_rotated_file_is_named(tmp_path):
    fill(tmp_path, 40, max_bytes=2000)
    files = audit_files(tmp_path)
    first_of_third = json.loads(files[2].read_text().splitlines()[0])["seq"]
    files[1].unlink()
    bad = verify_audit(tmp_path).first_bad
    assert bad.issue is AuditIssue.REMOVED and bad.file == files[2] and bad.seq == first_of_third


def test_threads_never_break_the_chain(tmp_path):
    log = AuditLog(tmp_path)
    threads = [threading.Thread(target=lambda: [log.record(AuditKind.MODEL_LOAD, n=i) for i in range(20)])
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    report = verify_audit(tmp_path)
    assert report.ok and report.records == 80


def test_processes_never_break_the_chain(tmp_path):
    code = ("import sys; from app.audit.log import AuditLog, AuditKind; log = AuditLog(sys.argv[1]);"
            "[log.record(AuditKind.IMPORT, n=i) for i in range(15)]")
    procs = [subprocess.Popen([sys.executable, "-c", code, str(tmp_path)], cwd=ROOT) for _ in range(3)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0, 0]
    report = verify_audit(tmp_path)
    assert report.ok and report.records == 45


def test_no_conversation_text_unless_asked():
    args = {"text": "my secret plans", "path": Path("/home/ann/notes.txt"), "count": 3, "flags": ["a", "b"],
            "nested": {"query": "hello"}, "ok": True, "data": b"\x00\x01"}
    summary = summarize_args(args)
    assert summary == {"text": {"chars": 15}, "path": {"chars": 19}, "count": 3, "flags": {"items": 2},
                       "nested": {"query": {"chars": 5}}, "ok": True, "data": {"bytes": 2}}
    assert "secret" not in json.dumps(summary)
    assert summarize_args(args, keep_text=True)["text"] == "my secret plans"


def test_the_audit_commands(tmp_path, capsys):
    fill(tmp_path, 5)
    ns = argparse.Namespace(dir=str(tmp_path), tail=2)
    assert do_verify(ns) == 0 and "OK: 5 records" in capsys.readouterr().out
    assert do_show(ns) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].split()[0] == "4" and "tool_call" in out[1]
    path, lines = lines_of(tmp_path)
    del lines[1]
    path.write_text("".join(lines))
    assert do_verify(ns) == 1
    err = capsys.readouterr().err
    assert "REMOVED" in err and "line 2" in err and "record 3" in err


@pytest.mark.parametrize("kind", list(AuditKind))
def test_every_kind_round_trips(tmp_path, kind):
    AuditLog(tmp_path).record(kind, detail="x")
    assert verify_audit(tmp_path).ok


def test_settings_changes_and_tool_calls_are_recorded_without_text(tmp_path):
    import enum
    from dataclasses import replace

    from app.audit.events import record_settings_change, record_tool_call
    from app.config.settings import ListenMode, Settings

    class Risk(enum.Enum):
        READ = 1

    log = AuditLog(tmp_path)
    old = Settings()
    new = replace(old, audio=replace(old.audio, mode=ListenMode.PUSH_TO_TALK, vad_sensitivity=0.7))
    record_settings_change(log, old, new)
    record_settings_change(log, new, new)  # nothing changed: nothing written
    record_tool_call(log, "read_file", Risk.READ, {"path": "/home/ann/diary.txt"}, approved_by="user")
    recs = [json.loads(x) for x in audit_files(tmp_path)[0].read_text().splitlines()]
    assert [r["kind"] for r in recs] == ["settings_change", "tool_call"]
    assert recs[0]["fields"]["changes"] == {"audio.mode": {"from": "hands_free", "to": "push_to_talk"},
                                            "audio.vad_sensitivity": {"from": 0.5, "to": 0.7}}
    assert recs[1]["fields"]["risk"] == "READ" and recs[1]["fields"]["arguments"] == {"path": {"chars": 19}}
    assert "diary" not in json.dumps(recs) and verify_audit(tmp_path).ok


def test_the_chain_continues_after_records_longer_than_the_tail_window(tmp_path):
    log = AuditLog(tmp_path, keep_text=True)
    log.record(AuditKind.TOOL_CALL, arguments=log.summarize({"text": "x" * 300_000}))
    log.record(AuditKind.TOOL_CALL, n=1)
    (tmp_path / HEAD_NAME).unlink()  # the writer must find the last record in the file itself
    log.record(AuditKind.TOOL_CALL, arguments=log.summarize({"text": "y" * 200_000}))
    log.record(AuditKind.APP_STOP)
    report = verify_audit(tmp_path)
    assert report.ok and report.records == 4

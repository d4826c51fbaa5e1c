"""Retention deletes only what is old (and audits it); the start applies every policy key it owns."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from app.audit.log import AuditKind, AuditLog, NullAudit
from app.audit.verify import verify_audit
from app.config import paths
from app.policy import netguard, startup
from app.policy.retention import ConversationStamp, apply_retention, expired

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)


def conversation(folder: Path, conv_id: str, age_days: float, **meta) -> Path:
    path = folder / conv_id
    path.mkdir(parents=True)
    updated = (NOW - timedelta(days=age_days)).isoformat()
    doc = {"id": conv_id, "title": f"secret title {conv_id}", "created_at": updated, "updated_at": updated, **meta}
    (path / "meta.json").write_text(json.dumps(doc))
    (path / "transcript.jsonl").write_text('{"role": "user", "text": "hi"}\n')
    return path


def test_expired_is_strictly_older_than_the_days():
    stamps = [ConversationStamp("old", NOW - timedelta(days=31)), ConversationStamp("edge", NOW - timedelta(days=30)),
              ConversationStamp("new", NOW - timedelta(hours=1))]
    assert expired(stamps, 30, NOW) == ["old"]


def test_only_old_conversations_are_deleted_and_audited(tmp_path):
    convs = tmp_path / "conversations"
    conversation(convs, "a-old", 40)
    conversation(convs, "b-new", 2)
    conversation(convs, "c-old", 31)
    naive = conversation(convs, "d-naive", 50)
    meta = json.loads((naive / "meta.json").read_text())
    meta["updated_at"] = (NOW - timedelta(days=50)).replace(tzinfo=None).isoformat()  # no zone: UTC
    (naive / "meta.json").write_text(json.dumps(meta))
    log = AuditLog(tmp_path / "audit")
    report = apply_retention(convs, 30, log, now=NOW)
    assert report.deleted == ("a-old", "c-old", "d-naive") and report.kept == 1
    assert sorted(p.name for p in convs.iterdir()) == ["b-new"]
    records = [json.loads(x) for x in (tmp_path / "audit" / "audit-000001.jsonl").read_text().splitlines()]
    assert [r["fields"]["conversation"] for r in records] == ["a-old", "c-old", "d-naive"]
    assert {r["kind"] for r in records} == {"retention_delete"}
    assert "secret title" not in json.dumps(records)  # a title is conversation text
    assert verify_audit(tmp_path / "audit").ok


def test_what_cannot_be_dated_is_kept(tmp_path):
    convs = tmp_path / "conversations"
    conversation(convs, "wrong-id", 100, id="someone-else")
    broken = conversation(convs, "broken", 100)
    (broken / "meta.json").write_text("{not json")
    (convs / "no-meta").mkdir()
    report = apply_retention(convs, 1, NullAudit(), now=NOW)
    assert report.deleted == () and {s.id for s in report.skipped} == {"wrong-id", "broken", "no-meta"}
    assert len(list(convs.iterdir())) == 3


def test_symlinks_and_outside_folders_are_never_deleted(tmp_path):
    convs = tmp_path / "conversations"
    convs.mkdir()
    outside = conversation(tmp_path / "elsewhere", "linked", 100)
    (convs / "linked").symlink_to(outside, target_is_directory=True)
    (convs / "stray-file.txt").write_text("not a conversation")
    report = apply_retention(convs, 1, NullAudit(), now=NOW)
    assert report.deleted == () and (outside / "meta.json").is_file() and (convs / "stray-file.txt").is_file()


def test_no_retention_deletes_nothing(tmp_path):
    convs = tmp_path / "conversations"
    conversation(convs, "ancient", 10_000)
    assert apply_retention(convs, None, NullAudit(), now=NOW).deleted == ()
    assert apply_retention(convs, 0, NullAudit(), now=NOW).deleted == ()
    assert (convs / "ancient").is_dir()


# ----------------------------------------------------------------------------------------------------- the start
def test_unmanaged_start_changes_nothing():
    ctx = startup.start(["chat"])
    assert not ctx.loaded.managed and isinstance(ctx.audit, NullAudit) and not ctx.guard_installed
    assert not netguard.installed() and not (paths.data_dir() / "audit").exists()


def test_the_start_applies_network_audit_and_retention_keys(write_policy, tmp_path):
    audit_dir = tmp_path / "org-audit"
    write_policy(f'network_allowed = false\nretention_days = 30\naudit_dir = "{audit_dir}"\n'
                 'audit_conversation_text = true')
    convs = paths.data_dir() / "conversations"
    conversation(convs, "old", 400)
    conversation(convs, "recent", 0)  # NOW is a fixed date; "recent" must be recent relative to the real clock
    meta = json.loads((convs / "recent" / "meta.json").read_text())
    meta["updated_at"] = datetime.now(timezone.utc).isoformat()
    (convs / "recent" / "meta.json").write_text(json.dumps(meta))
    ctx = startup.start(["chat", "--prompt", "private words"])
    assert ctx.guard_installed and netguard.installed()
    with pytest.raises(netguard.ConnectionBlocked):
        socket.create_connection(("10.255.255.1", 80), timeout=30)
    assert ctx.retention.deleted == ("old",) and (convs / "recent").is_dir()
    assert ctx.audit.keep_text and ctx.audit.summarize({"q": "hi"}) == {"q": "hi"}
    startup._stop()
    records = [json.loads(x) for x in (audit_dir / "audit-000001.jsonl").read_text().splitlines()]
    kinds = [r["kind"] for r in records]
    assert kinds == ["app_start", "policy_loaded", "retention_delete", "network_refused", "app_stop"]
    assert records[0]["fields"]["command"] == "chat" and "private words" not in json.dumps(records)
    assert records[3]["fields"]["caller"].startswith(__file__)
    assert verify_audit(audit_dir).ok


def test_a_broken_policy_starts_locked_down_and_says_so(write_policy, capsys):
    path = write_policy("network_allowed = maybe")
    ctx = startup.start(["gui"])
    assert ctx.loaded.fail_closed and ctx.guard_installed
    assert not ctx.policy.model_allowed(None) and not ctx.policy.camera_allowed
    err = capsys.readouterr().err
    assert "locked down" in err and str(path) in err
    records = (paths.data_dir() / "audit" / "audit-000001.jsonl").read_text()
    assert '"fail_closed":true' in records


def test_current_without_start_has_no_side_effects(write_policy):
    write_policy("network_allowed = false")
    ctx = startup.current()
    assert not ctx.policy.network_allowed and not netguard.installed()
    assert not (paths.data_dir() / "audit").exists()
    assert startup.current() is ctx
    assert AuditKind.NETWORK_REFUSED.value == "network_refused"


def test_retention_over_the_real_conversation_store(tmp_path):
    from app.conversations.store import META, ConversationStore

    store = ConversationStore(tmp_path / "conversations")
    old, new = store.create(title="old one"), store.create(title="new one")
    meta_path = store.folder(old.conversation_id) / META
    meta = json.loads(meta_path.read_text())
    meta["updated_at"] = (datetime.now(timezone.utc) - timedelta(days=90)).isoformat(timespec="seconds")
    meta_path.write_text(json.dumps(meta))
    report = apply_retention(tmp_path / "conversations", 30, NullAudit())
    assert report.deleted == (old.conversation_id,)
    assert not store.folder(old.conversation_id).exists() and store.folder(new.conversation_id).is_dir()


def test_effective_settings_follow_the_policy(write_policy):
    from app.config.settings import Settings

    write_policy("network_allowed = false")
    settings, locked = startup.effective_settings(Settings())
    assert settings.models.offline and [item.key for item in locked] == ["models.offline"]

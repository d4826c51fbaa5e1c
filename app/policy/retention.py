"""Conversation retention: at start, conversations not updated for the policy's number of days are deleted (audited).

Layout (the conversation store's): ``<data>/conversations/<conversation_id>/meta.json`` with at least ``id`` and
``updated_at`` (ISO 8601; a time without a zone is taken as UTC), next to the transcript and KV snapshot. Only whole
conversation folders are deleted, only direct children of the conversations folder (symlinks never), and only when
their meta.json can be read and names the same id: a conversation Hearth cannot date is kept and reported.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from app.audit.log import AuditKind

META = "meta.json"
_DELETING = ".deleting-"


@dataclass(frozen=True)
class ConversationStamp:
    id: str
    updated_at: datetime  # timezone-aware


@dataclass(frozen=True)
class Skipped:
    id: str
    reason: str


@dataclass(frozen=True)
class RetentionReport:
    deleted: tuple[str, ...] = ()
    kept: int = 0
    skipped: tuple[Skipped, ...] = ()


def expired(conversations: Iterable[ConversationStamp], days: int, now: datetime) -> list[str]:
    """Ids of the conversations last updated more than ``days`` days before ``now``."""
    cutoff = now - timedelta(days=days)
    return [c.id for c in conversations if c.updated_at < cutoff]


def parse_time(text: Any) -> datetime:
    value = datetime.fromisoformat(str(text))
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def read_stamps(folder: Path) -> tuple[list[ConversationStamp], list[Skipped]]:
    stamps, skipped = [], []
    if not folder.is_dir():
        return stamps, skipped
    for child in sorted(folder.iterdir()):
        if child.name.startswith(".") or child.is_symlink() or not child.is_dir():
            continue
        try:
            meta = json.loads((child / META).read_text(encoding="utf-8"))
            if str(meta["id"]) != child.name:
                raise ValueError(f"meta.json says id {meta['id']!r}")
            stamps.append(ConversationStamp(child.name, parse_time(meta["updated_at"])))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            skipped.append(Skipped(child.name, f"cannot date it ({exc}); kept"))
    return stamps, skipped


def _inside(folder: Path, child: Path) -> bool:
    return not child.is_symlink() and child.resolve().parent == folder.resolve()


def _remove_leftovers(folder: Path) -> None:
    for child in folder.iterdir():
        if child.name.startswith(_DELETING) and _inside(folder, child):
            shutil.rmtree(child, ignore_errors=True)


def apply_retention(folder: Path, days: int | None, audit: Any, now: datetime | None = None) -> RetentionReport:
    """Deletes expired conversation folders under ``folder`` and records each deletion in ``audit`` (an AuditLog or
    NullAudit). ``days`` None or 0: nothing is deleted. A folder is first renamed aside, then removed, so a crash
    never leaves half a conversation that still looks alive."""
    if not days or not folder.is_dir():
        return RetentionReport()
    now = now or datetime.now(timezone.utc)
    _remove_leftovers(folder)
    stamps, skipped = read_stamps(folder)
    by_id = {s.id: s for s in stamps}
    deleted = []
    for conv_id in expired(stamps, days, now):
        child = folder / conv_id
        if not _inside(folder, child):
            skipped.append(Skipped(conv_id, "not inside the conversations folder; kept"))
            continue
        aside = folder / f"{_DELETING}{conv_id}"
        try:
            os.replace(child, aside)  # the point of no return: from here the conversation is gone for the app
        except OSError as exc:
            skipped.append(Skipped(conv_id, f"could not delete it ({exc})"))
            continue
        shutil.rmtree(aside, ignore_errors=True)  # what is left (if anything) goes at the next start
        deleted.append(conv_id)
        audit.record(AuditKind.RETENTION_DELETE, conversation=conv_id, retention_days=days,
                     updated_at=by_id[conv_id].updated_at.isoformat())
    return RetentionReport(tuple(deleted), len(stamps) - len(deleted), tuple(skipped))

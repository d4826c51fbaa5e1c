"""The tamper-evident audit log (log.py: writing, verify.py: checking)."""

from app.audit.log import AuditKind, AuditLog, AuditRecord, NullAudit, summarize_args
from app.audit.verify import AuditIssue, AuditReport, BadRecord, verify_audit

__all__ = ["AuditIssue", "AuditKind", "AuditLog", "AuditRecord", "AuditReport", "BadRecord", "NullAudit",
           "summarize_args", "verify_audit"]

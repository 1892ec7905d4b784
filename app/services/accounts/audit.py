"""The audit log: every staff and director action, with the values before and after."""

from __future__ import annotations

import logging
from typing import Any

from app.extensions import db
from app.models import AuditLog

log = logging.getLogger(__name__)


def record_audit(
    action: str,
    *,
    user_id: int | None,
    unit_id: int | None,
    target_type: str,
    target_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditLog:
    """Add an audit entry to the current (write) transaction; it commits with the change."""
    entry = AuditLog(action=action, user_id=user_id, unit_id=unit_id, target_type=target_type,
                     target_id=target_id, before=before, after=after)
    db.session.add(entry)
    log.info("audit: user %s %s %s:%s", user_id, action, target_type, target_id)
    return entry

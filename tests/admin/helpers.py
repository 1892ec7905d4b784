"""Helpers for the director's pages: submit a form as a browser would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog
from tests.conftest import csrf_token


def submit(client: Any, url: str, data: dict[str, Any], form_url: str | None = None) -> Any:
    """POST a form with the CSRF token of the page that shows it."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, form_url or url)})


def audit_entries(action: str) -> list[AuditLog]:
    return list(db.session.scalars(
        select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)))

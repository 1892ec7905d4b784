"""Abuse of the anonymous form: bot traps, blocked clients and spam.

Bots are met by a hidden honeypot field and a minimum fill time (a signed timestamp put
in the form when it is served); a director can block a client (by its keyed hash, never
its address) for a period. A submission caught by any of them is not stored, and the
answer looks like any accepted one so that a bot learns nothing from it.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import Case, ClientBlock, StaffUser, Unit
from app.models.types import utcnow
from app.services.accounts.audit import record_audit
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

MAX_BLOCK_DAYS = 365


class SubmissionRefused(DomainError):
    """A bot trap or a block caught the submission; the visitor is not told which."""


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="visitor-form-started")


def form_started_token(now: float | None = None) -> str:
    """The signed moment a form was served (put in its hidden `started` field)."""
    return str(_serializer().dumps(int(now if now is not None else time.time())))


def bot_trap_reason(honeypot: str | None, started: str | None,
                    now: float | None = None) -> str | None:
    """Why a submission looks automated ("honeypot", "no_start", "too_fast"), or None."""
    if honeypot:
        return "honeypot"
    min_seconds = current_app.config["FORM_MIN_SECONDS"]
    if min_seconds <= 0:
        return None
    try:
        served_at = int(_serializer().loads(started or ""))
    except (BadSignature, TypeError, ValueError):
        return "no_start"
    if (now if now is not None else time.time()) - served_at < min_seconds:
        return "too_fast"
    return None


@cache  # built once: every submission runs it (app/database.py, "Statements built once")
def _block_statement() -> Select[int]:
    return select(ClientBlock.id).where(
        ClientBlock.unit_id == bindparam("unit_id"),
        ClientBlock.client_hash == bindparam("client_hash"),
        ClientBlock.expires_at > bindparam("now")).limit(1)


def is_blocked(session: Session, unit_id: int, client_hash: str, now: datetime) -> bool:
    """True while a director's block on this client is in force for the unit (a block
    committed or flushed: read on the session's connection, app/database.py)."""
    return session.connection().scalar(
        _block_statement(), {"unit_id": unit_id, "client_hash": client_hash, "now": now}
    ) is not None


def active_blocks(unit: Unit) -> list[ClientBlock]:
    return list(db.session.scalars(
        select(ClientBlock).where(ClientBlock.unit_id == unit.id,
                                  ClientBlock.expires_at > utcnow())
        .order_by(ClientBlock.expires_at.desc())))


def block_case_sender(*, user: StaffUser, unit: Unit, case_id: int, days: int) -> ClientBlock:
    """Block the client that sent a case of the unit for `days` days (director only)."""
    if not 1 <= days <= MAX_BLOCK_DAYS:
        raise DomainError(_("A block lasts from 1 to %(max)d days.", max=MAX_BLOCK_DAYS))
    with write_transaction() as session:
        case = session.get(Case, case_id)
        if case is None or case.unit_id != unit.id:
            raise NotFoundError(_("No such case."))
        if not case.client_hash:
            raise DomainError(_("The sender of this case is not known, so it cannot be "
                                "blocked."))
        now = utcnow()
        block = ClientBlock(unit_id=unit.id, client_hash=case.client_hash,
                            expires_at=now + timedelta(days=days), created_by_id=user.id,
                            created_at=now)
        session.add(block)
        session.flush()
        record_audit("client.blocked", user_id=user.id, unit_id=unit.id,
                     target_type="client_block", target_id=block.id,
                     after={"case_id": case.id, "days": days,
                            "expires_at": block.expires_at.isoformat()})
    log.info("user %s blocked the sender of case %s for %d days", user.id, case_id, days)
    return block


def lift_block(*, user: StaffUser, unit: Unit, block_id: int) -> None:
    """End a block of the unit now."""
    with write_transaction() as session:
        block = session.get(ClientBlock, block_id)
        if block is None or block.unit_id != unit.id:
            raise NotFoundError(_("No such block."))
        before = {"expires_at": block.expires_at.isoformat()}
        block.expires_at = utcnow()
        record_audit("client.unblocked", user_id=user.id, unit_id=unit.id,
                     target_type="client_block", target_id=block.id, before=before,
                     after={"expires_at": block.expires_at.isoformat()})
    log.info("user %s lifted block %s", user.id, block_id)

"""API keys: issued and revoked by directors (their unit) and bureau admins; stored hashed."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import ApiKey, StaffUser, Unit
from app.models.types import utcnow
from app.services.accounts.audit import record_audit
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

KEY_PREFIX = "pmk_"
MAX_NAME = 80


@dataclass(frozen=True)
class IssuedKey:
    """A new key and the only moment its secret is visible."""

    key: ApiKey
    secret: str


def hash_api_key(secret: str) -> str:
    # 256 random bits: a fast hash is enough, nothing to brute-force
    return hashlib.sha256(secret.encode()).hexdigest()


def is_bureau_admin(user: StaffUser) -> bool:
    return user.bureau_role == "admin"


def directed_unit_ids(user: StaffUser) -> set[int]:
    return {m.unit_id for m in user.memberships if m.role == "director"}


def may_manage_keys(user: StaffUser) -> bool:
    return is_bureau_admin(user) or bool(directed_unit_ids(user))


def _may_manage(user: StaffUser, unit_id: int | None) -> bool:
    if is_bureau_admin(user):
        return True
    return unit_id is not None and unit_id in directed_unit_ids(user)


def manageable_keys(user: StaffUser) -> list[ApiKey]:
    """The keys a director (their units') or a bureau admin (all) may see and revoke."""
    query = select(ApiKey).order_by(ApiKey.revoked_at.is_not(None), ApiKey.id.desc())
    if not is_bureau_admin(user):
        query = query.where(ApiKey.unit_id.in_(directed_unit_ids(user)))
    return list(db.session.scalars(query))


def manageable_units(user: StaffUser) -> list[Unit]:
    query = select(Unit).order_by(Unit.id)
    if not is_bureau_admin(user):
        query = query.where(Unit.id.in_(directed_unit_ids(user)))
    return list(db.session.scalars(query))


def _describe(key: ApiKey) -> dict[str, Any]:
    return {"name": key.name, "prefix": key.prefix, "unit_id": key.unit_id,
            "revoked": key.revoked_at is not None}


def issue_api_key(*, user: StaffUser, unit_id: int | None, name: str) -> IssuedKey:
    """Create a key for a unit (or bureau-wide, for bureau admins); its secret is shown once."""
    name = " ".join((name or "").split())
    if not name or len(name) > MAX_NAME:
        raise DomainError(_("Give the key a name of at most %(max)d characters.", max=MAX_NAME))
    if not _may_manage(user, unit_id):
        raise NotFoundError(_("No such unit."))
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    with write_transaction() as session:
        if unit_id is not None and session.get(Unit, unit_id) is None:
            raise NotFoundError(_("No such unit."))
        key = ApiKey(unit_id=unit_id, name=name, prefix=secret[: len(KEY_PREFIX) + 6],
                     key_hash=hash_api_key(secret), created_by_id=user.id, created_at=utcnow())
        session.add(key)
        session.flush()
        record_audit("api_key.issue", user_id=user.id, unit_id=unit_id, target_type="api_key",
                     target_id=key.id, after=_describe(key))
        key_id = key.id
    log.info("api key %s issued by user %s for unit %s", key_id, user.id, unit_id)
    return IssuedKey(key=key, secret=secret)


def revoke_api_key(*, user: StaffUser, key_id: int) -> ApiKey:
    """Revoke a key at once; requests with it are refused from now on."""
    with write_transaction() as session:
        key = session.get(ApiKey, key_id)
        if key is None or not _may_manage(user, key.unit_id):
            raise NotFoundError(_("No such key."))
        if key.revoked_at is None:
            before = _describe(key)
            key.revoked_at = utcnow()
            record_audit("api_key.revoke", user_id=user.id, unit_id=key.unit_id,
                         target_type="api_key", target_id=key.id, before=before,
                         after=_describe(key))
    log.info("api key %s revoked by user %s", key_id, user.id)
    return key


def find_api_key(secret: str | None) -> ApiKey | None:
    """The active key behind a secret, or None (a revoked key is as good as a wrong one)."""
    if not secret or not secret.startswith(KEY_PREFIX) or len(secret) > 200:
        return None
    key = db.session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_api_key(secret)))
    if key is None or key.revoked_at is not None:
        return None
    return key

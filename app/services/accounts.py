"""Staff accounts: password hashing (argon2id) and authentication."""

from __future__ import annotations

import logging

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import StaffUser
from app.models.types import utcnow

log = logging.getLogger(__name__)

# argon2id with the OWASP Password Storage Cheat Sheet's first option: 19 MiB, t=2, p=1
hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# verified against when the e-mail is unknown, so both cases take the same time
_DUMMY_HASH = hasher.hash("not-a-real-password")
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return hasher.hash(password)


def find_user_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    )


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active user with this e-mail and password, or None. Never logs the password."""
    user = find_user_by_email(email)
    try:
        hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        log.info("failed login for %s", email.strip().lower()[:254])
        return None
    if user is None or not user.active:
        log.info("failed login for %s (no active account)", email.strip().lower()[:254])
        return None
    with write_transaction():
        user = db.session.get(StaffUser, user.id)
        assert user is not None  # noqa: S101 - found a moment ago; users are never deleted
        if hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hasher.hash(password)
        user.last_login_at = utcnow()
    log.info("login by user %s", user.id)
    return user


def log_out_everywhere(user_id: int) -> None:
    """Invalidate every session of the user server-side (the cookie's nonce no longer matches)."""
    with write_transaction():
        user = db.session.get(StaffUser, user_id)
        if user is not None:
            user.rotate_session_nonce()

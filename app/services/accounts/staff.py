"""Staff accounts: password hashing (argon2id), authentication, and directors' management."""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import secrets
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, has_app_context, has_request_context
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from limits import RateLimitItem, parse
from sqlalchemy import func, select

from app.config import Config
from app.database import write_transaction
from app.extensions import db, limiter
from app.models import ROLES, Membership, StaffUser
from app.models.types import utcnow
from app.realtime import session_room
from app.realtime.publish import end_sessions_after_commit
from app.security import client_key
from app.services.accounts.audit import record_audit
from app.services.accounts.reach import find_user_by_mobile
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

# ASVS 2.1.1/2.1.2: at least 12 characters, at least 64 allowed, no composition rules
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128


@functools.cache
def _hasher_with(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost,
                          parallelism=parallelism)


def hasher() -> PasswordHasher:
    """argon2id at the app's PASSWORD_HASH_PARAMETERS (production's outside an app)."""
    parameters = (current_app.config["PASSWORD_HASH_PARAMETERS"] if has_app_context()
                  else Config.PASSWORD_HASH_PARAMETERS)
    return _hasher_with(**parameters)


@functools.cache
def _dummy_hash(passwords: PasswordHasher) -> str:
    """Verified against when the e-mail is unknown, so both cases take the same time."""
    return passwords.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return hasher().hash(password)


def validate_new_password(password: str, email: str = "") -> str:
    """A password a person chooses: long enough, not absurdly long, not their e-mail."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("A password needs at least %(min)d characters.",
                            min=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(_("A password may have at most %(max)d characters.",
                            max=MAX_PASSWORD_LENGTH))
    if email and password.strip().lower() == email.strip().lower():
        raise DomainError(_("A password must not be the e-mail address."))
    return password


def _client() -> str:
    """A short client hash for log lines (never the address), "-" outside a request."""
    return client_key()[:8] if has_request_context() else "-"


def _account_key(email: str) -> str:
    """Failed logins are counted per account, under a keyed hash of the e-mail."""
    key = current_app.config["SECRET_KEY"].encode()
    login = email.strip().lower()
    if "@" not in login:  # a mobile counts its failures however it is written
        user = find_user_by_mobile(login)
        login = user.mobile if user is not None and user.mobile else login
    return hmac.new(key, login.encode(), hashlib.sha256).hexdigest()[:32]


def _failure_limit() -> RateLimitItem:
    return parse(current_app.config["LOGIN_FAILURE_LIMIT"])


def login_wait_seconds(email: str) -> int:
    """0 while an account may still try; once it has had its allowance of failed logins
    (from any address), the seconds until it may try again (at least 1)."""
    if not limiter.enabled:
        return 0
    item, key = _failure_limit(), _account_key(email)
    if limiter.limiter.test(item, "login-failures", key):
        return 0
    reset_at = limiter.limiter.get_window_stats(item, "login-failures", key).reset_time
    return max(1, math.ceil(reset_at - time.time()))


def _count_failure(email: str) -> None:
    if limiter.enabled:
        limiter.limiter.hit(_failure_limit(), "login-failures", _account_key(email))


def load_user(user_id: str) -> StaffUser | None:
    """The logged-in user of a session (Flask-Login's loader), or None.

    The id carries the user's session nonce: logging out everywhere rotates it.
    """
    number, _sep, nonce = user_id.partition(":")
    if not number.isdigit():
        return None
    user = db.session.get(StaffUser, int(number))
    if user is None or not user.active or user.session_nonce != nonce:
        return None
    return user


def find_user_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.email) == email.strip().lower())
    )


def find_user_by_login(login: str) -> StaffUser | None:
    """The account whose e-mail, or whose mobile number, this is."""
    if "@" in login:
        return find_user_by_email(login)
    return find_user_by_mobile(login)


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active user with this e-mail (or mobile number) and password, or None. Never logs
    the password."""
    user = find_user_by_login(email)
    who = email.strip().lower()[:254]
    passwords = hasher()
    try:
        passwords.verify(user.password_hash if user else _dummy_hash(passwords), password)
    except (VerificationError, InvalidHashError):
        _count_failure(email)
        log.info("failed login for %s from client %s", who, _client())
        return None
    if user is None or not user.active:
        _count_failure(email)
        log.info("failed login for %s (no active account) from client %s", who, _client())
        return None
    with write_transaction():
        user = db.session.get(StaffUser, user.id)
        assert user is not None  # noqa: S101 - found a moment ago; users are never deleted
        if passwords.check_needs_rehash(user.password_hash):
            user.password_hash = passwords.hash(password)
        user.last_login_at = utcnow()
    log.info("login by user %s from client %s", user.id, _client())
    return user


def _own_password_set(user: StaffUser, password_hash: str, action: str, *, by: str) -> None:
    """A password the person chose themselves: no change required any more, other sessions
    end, and the audit log says so (never with the password)."""
    user.password_hash = password_hash
    user.password_change_required = False
    end_sessions(user)
    unit_ids = sorted(user.unit_ids)
    record_audit(action, user_id=user.id, unit_id=unit_ids[0] if unit_ids else None,
                 target_type="staff_user", target_id=user.id, after={"by": by})


def change_own_password(*, user_id: int, current: str, new: str) -> StaffUser:
    """A logged-in person replaces their own password; their other sessions end.

    This is also how a temporary password, chosen and handed over by someone else, is
    replaced at the first login.
    """
    user = db.session.get(StaffUser, user_id)
    validate_new_password(new, user.email if user else "")
    if new == current:
        raise DomainError(_("Choose a password different from the current one."))
    passwords = hasher()
    try:
        passwords.verify(user.password_hash if user else _dummy_hash(passwords), current)
    except (VerificationError, InvalidHashError):
        log.info("password change by user %s refused: wrong current password", user_id)
        raise DomainError(_("The current password is not right.")) from None
    password_hash = hash_password(new)  # slow on purpose: not while holding the write lock
    with write_transaction():
        user = db.session.get(StaffUser, user_id)
        if user is None or not user.active:
            raise NotFoundError(_("No such account."))
        _own_password_set(user, password_hash, "staff.password_changed", by="self")
    log.info("user %s changed their password", user_id)
    return user


def end_sessions(user: StaffUser) -> None:
    """Every session of the user ends: the cookie's nonce no longer matches, and after the
    commit their open pages say so and their sockets close, in every process."""
    end_sessions_after_commit(session_room(user.id, user.session_nonce))
    user.rotate_session_nonce()


def log_out_everywhere(user_id: int) -> None:
    """Invalidate every session of the user server-side (the cookie's nonce no longer matches)."""
    with write_transaction():
        user = db.session.get(StaffUser, user_id)
        if user is not None:
            end_sessions(user)


# --- directors manage their unit's staff accounts ----------------------------------------

INVITE_SALT = "park-mailbox.staff-invite"


@dataclass(frozen=True)
class Credential:
    """How a new or reset account gets in; shown to the director once, never stored plain."""

    user_id: int
    email: str
    temporary_password: str | None = None
    invite_token: str | None = None


def new_temporary_password() -> str:
    """16 URL-safe characters (96 random bits): easy to type once, then changed."""
    return secrets.token_urlsafe(12)


def _unusable_password_hash() -> str:
    # the hash of a secret nobody keeps: no password opens the account until one is set
    return hash_password(secrets.token_urlsafe(32))


def _invite_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=INVITE_SALT)


def make_invite_token(user: StaffUser) -> str:
    """A signed, expiring link token; it dies as soon as the account's session nonce changes.

    The nonce changes when the password is set, reset or the account is deactivated, so a
    link works once, and a newer link or reset replaces every older one.
    """
    return str(_invite_serializer().dumps({"user": user.id, "nonce": user.session_nonce}))


def new_credential(credential: str) -> tuple[str, str | None]:
    """(password hash, temporary password) for the chosen way in: password or link."""
    if credential == "password":
        password = new_temporary_password()
        return hash_password(password), password
    if credential == "link":
        return _unusable_password_hash(), None
    raise DomainError(_("Choose how they get in."))


def unit_staff(unit_id: int) -> list[StaffUser]:
    """Every account with a role in the unit, active first, by name."""
    return list(db.session.scalars(
        select(StaffUser).join(Membership).where(Membership.unit_id == unit_id)
        .distinct().order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.email)
    ))


def get_unit_staff_member(unit_id: int, user_id: int) -> StaffUser:
    """An account with a role in the unit; anyone else is not found."""
    user = db.session.get(StaffUser, user_id)
    if user is None or unit_id not in user.unit_ids:
        raise NotFoundError(_("No such staff member."))
    return user


def _validate_roles(roles: list[str]) -> list[str]:
    chosen = sorted(set(roles))
    if not chosen or any(role not in ROLES for role in chosen):
        raise DomainError(_("Choose at least one role."))
    return chosen


def _own_account(user: StaffUser, unit_id: int, director: StaffUser) -> None:
    """Account-wide changes only for accounts that belong to this unit alone (and not oneself)."""
    if user.id == director.id:
        raise DomainError(_("You cannot do this to your own account."))
    if user.bureau_role or any(m.unit_id != unit_id for m in user.memberships):
        raise DomainError(_("This account also works for another unit or the bureau; only "
                            "its roles here can be changed."))


def create_staff_account(*, director: StaffUser, unit_id: int, email: str, name: str,
                         roles: list[str], credential: str) -> Credential:
    """Open an account with roles in the unit; the director hands over a password or link."""
    email = email.strip().lower()
    roles = _validate_roles(roles)
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this e-mail already exists."))
    password_hash, password = new_credential(credential)
    with write_transaction() as session:
        user = StaffUser(email=email, name=name.strip(), password_hash=password_hash,
                         password_change_required=password is not None)
        user.memberships.extend(Membership(unit_id=unit_id, role=role) for role in roles)
        session.add(user)
        session.flush()
        record_audit("staff.created", user_id=director.id, unit_id=unit_id,
                     target_type="staff_user", target_id=user.id,
                     after={"email": email, "name": user.name, "roles": roles,
                            "credential": credential})
        token = make_invite_token(user) if credential == "link" else None
        result = Credential(user_id=user.id, email=email, temporary_password=password,
                            invite_token=token)
    log.info("staff account %s created in unit %s by user %s", result.user_id, unit_id,
             director.id)
    return result


def set_staff_roles(*, director: StaffUser, unit_id: int, user_id: int,
                    roles: list[str]) -> None:
    """Replace the member's roles in this unit (their roles elsewhere are untouched)."""
    roles = _validate_roles(roles)
    if user_id == director.id and "director" not in roles:
        raise DomainError(_("You cannot remove your own director role."))
    with write_transaction() as session:
        user = get_unit_staff_member(unit_id, user_id)
        before = sorted(user.roles_in(unit_id))
        for membership in list(user.memberships):
            if membership.unit_id == unit_id and membership.role not in roles:
                user.memberships.remove(membership)
                session.delete(membership)
        for role in set(roles) - set(before):
            user.memberships.append(Membership(unit_id=unit_id, role=role))
        record_audit("staff.roles_set", user_id=director.id, unit_id=unit_id,
                     target_type="staff_user", target_id=user_id,
                     before={"roles": before}, after={"roles": roles})
    log.info("roles of user %s in unit %s set by user %s", user_id, unit_id, director.id)


def set_staff_active(*, director: StaffUser, unit_id: int, user_id: int, active: bool) -> None:
    """Deactivate (logged out everywhere, cannot log in) or reactivate an account."""
    with write_transaction():
        user = get_unit_staff_member(unit_id, user_id)
        _own_account(user, unit_id, director)
        before = user.active
        user.active = active
        end_sessions(user)
        record_audit("staff.activated" if active else "staff.deactivated",
                     user_id=director.id, unit_id=unit_id, target_type="staff_user",
                     target_id=user_id, before={"active": before}, after={"active": active})
    log.info("user %s %s by user %s", user_id, "activated" if active else "deactivated",
             director.id)


def reset_staff_password(*, director: StaffUser, unit_id: int, user_id: int,
                         credential: str) -> Credential:
    """Replace the password (temporary one, or a link to set one) and log out everywhere."""
    password_hash, password = new_credential(credential)
    with write_transaction():
        user = get_unit_staff_member(unit_id, user_id)
        _own_account(user, unit_id, director)
        user.password_hash = password_hash
        user.password_change_required = password is not None
        end_sessions(user)
        record_audit("staff.password_reset", user_id=director.id, unit_id=unit_id,
                     target_type="staff_user", target_id=user_id,
                     after={"credential": credential})
        token = make_invite_token(user) if credential == "link" else None
        result = Credential(user_id=user.id, email=user.email, temporary_password=password,
                            invite_token=token)
    log.info("password of user %s reset by user %s", user_id, director.id)
    return result


def check_invite(token: str) -> StaffUser:
    """The account a set-password link is for, if the link is genuine, fresh and unused."""
    max_age = int(current_app.config["STAFF_INVITE_HOURS"] * 3600)
    try:
        claims = _invite_serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError(_("This link has expired. Ask your director for a new one.")) from None
    except BadSignature:
        raise NotFoundError(_("This link is not valid.")) from None
    user = db.session.get(StaffUser, int(claims["user"]))
    if user is None or not user.active or user.session_nonce != claims["nonce"]:
        raise NotFoundError(_("This link is not valid any more."))
    return user


def accept_invite(token: str, password: str) -> StaffUser:
    """Set the account's password from a link; the link then stops working."""
    validate_new_password(password)
    password_hash = hash_password(password)
    with write_transaction():
        user = check_invite(token)
        validate_new_password(password, user.email)
        _own_password_set(user, password_hash, "staff.password_set", by="link")
    log.info("user %s set a password from a link", user.id)
    return user

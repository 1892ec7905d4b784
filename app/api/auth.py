"""Who is calling the JSON API: a logged-in browser session (with CSRF) or an API key."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from flask import request
from flask_login import current_user
from flask_smorest import abort

from app.extensions import csrf
from app.models import ApiKey, StaffUser
from app.security import client_key
from app.services.accounts.api_keys import find_api_key

API_KEY_HEADER = "X-API-Key"


@dataclass(frozen=True)
class Caller:
    """The caller and what it may see: `unit_ids` None means every unit (bureau level)."""

    user: StaffUser | None
    key: ApiKey | None
    unit_ids: frozenset[int] | None

    @property
    def is_unit_staff(self) -> bool:
        """Park staff in a session: they see contacts and internal notes, and may act."""
        return self.user is not None and bool(self.user.unit_ids)

    def sees_unit(self, unit_id: int) -> bool:
        return self.unit_ids is None or unit_id in self.unit_ids


def sent_api_key() -> str | None:
    header = request.headers.get(API_KEY_HEADER)
    if header:
        return header.strip()
    scheme, _, credentials = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and credentials:
        return credentials.strip()
    return None


def current_caller() -> Caller:
    """The caller of this request; 401 when it is neither a valid key nor a session."""
    secret = sent_api_key()
    if secret is not None:
        key = find_api_key(secret)
        if key is None:
            abort(401, message="Missing, wrong or revoked API key.")
            raise AssertionError("unreachable")  # abort raises
        units = None if key.unit_id is None else frozenset({key.unit_id})
        return Caller(user=None, key=key, unit_ids=units)
    if current_user.is_authenticated:
        user: StaffUser = current_user._get_current_object()
        if user.unit_ids:
            return Caller(user=user, key=None, unit_ids=frozenset(user.unit_ids))
        if user.bureau_role:
            return Caller(user=user, key=None, unit_ids=None)
        abort(403, message="This account has no unit.")
    abort(401, message="Log in, or send an API key in the X-API-Key header.")
    raise AssertionError("unreachable")  # abort raises


def acting_staff() -> tuple[Caller, StaffUser]:
    """A write: park staff in a browser session only, with the CSRF token in X-CSRFToken."""
    caller = current_caller()
    if caller.user is None or not caller.is_unit_staff:
        abort(403, message="Only park staff, logged in, may change cases.")
    csrf.protect()
    assert caller.user is not None  # noqa: S101 - checked above
    return caller, caller.user


def rate_limit_key() -> str:
    """API limits count per key (hashed) when one is sent, else per client."""
    secret = sent_api_key()
    if secret:
        return "key:" + hashlib.sha256(secret.encode()).hexdigest()[:32]
    return "client:" + client_key()

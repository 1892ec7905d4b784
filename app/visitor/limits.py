"""How many messages one visitor may send: per phone (a signed cookie) and per address.

A crowd behind one address (a park's Wi-Fi, a carrier's NAT) is many phones: each phone
has its own allowance (SUBMISSION_RATE_LIMIT), and the address as a whole a much higher
ceiling (SUBMISSION_ADDRESS_LIMIT). One abuser on one phone meets the phone's limit; one
who throws the cookie away each time meets the address's ceiling (and a request with no
valid cookie counts against the phone-sized allowance of all such requests from its
address). The cookie holds a random id and its signature, nothing about the person; the
limits keep only a keyed hash of it.
"""

from __future__ import annotations

import secrets

from flask import current_app, g, request
from flask.wrappers import Response
from itsdangerous import BadSignature, URLSafeSerializer

from app.security import client_hash, client_key

DEVICE_COOKIE = "pm_device"
DEVICE_COOKIE_DAYS = 365
_SALT = "visitor-device"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def device_id() -> str | None:
    """The phone's id from its signed cookie, or None (no cookie, or not one of ours)."""
    if "device_id" not in g:
        value = request.cookies.get(DEVICE_COOKIE)
        try:
            loaded = _serializer().loads(value) if value else None
        except BadSignature:
            loaded = None
        g.device_id = loaded if isinstance(loaded, str) and 16 <= len(loaded) <= 64 else None
    return g.device_id  # type: ignore[no-any-return]


def device_key() -> str:
    """The key of the per-phone limit: the phone's cookie, or, without a valid one, the
    address (all cookie-less requests from one address share one phone's allowance)."""
    found = device_id()
    if found is None:
        return "address:" + client_key()
    return "device:" + client_hash(found, current_app.config["SECRET_KEY"])


def address_key() -> str:
    """The key of the per-address ceiling."""
    return "ceiling:" + client_key()


def give_device_cookie(response: Response) -> Response:
    """Give the phone its id if it has none (the form's page, GET and POST)."""
    if device_id() is None:
        value = _serializer().dumps(secrets.token_urlsafe(18))
        response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_COOKIE_DAYS * 24 * 3600,
                            path="/q/", httponly=True, samesite="Lax",
                            secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")))
    return response

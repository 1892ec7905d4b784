"""Small security primitives shared by every package: secrets, hashes, client keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app, request

# no 0/o/1/l/i: codes are read aloud and typed by people who cannot scan
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_point_code(length: int = 8) -> str:
    """A short, unguessable spot code (31^8, about 40 bits, never sequential)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_tracking_token() -> str:
    """A visitor's private tracking token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


def hash_token(token: str) -> str:
    """Tracking tokens are stored only as this hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def client_key() -> str:
    """Identify an anonymous client by a keyed hash of its address, never the raw address."""
    address = request.remote_addr or "unknown"
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]

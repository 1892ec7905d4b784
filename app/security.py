"""Small security primitives shared by every package: secrets, hashes, client keys."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import IO

from flask import current_app, request
from flask.wrappers import Response

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


def uploaded_files(field: str) -> list[IO[bytes]]:
    """The files sent in a multipart field; the empty part of "no file chosen" is dropped."""
    files = []
    for upload in request.files.getlist(field):
        if not upload.filename and not upload.stream.read(1):
            continue
        upload.stream.seek(0)
        files.append(upload.stream)
    return files


def send_photo(path: Path, photo_id: int) -> Response:
    """Serve a stored photo: fixed type, never sniffed, never cached, never scriptable."""
    # photos are small (re-encoded, at most MAX_SIDE px): read whole, no open file to leak
    response = Response(path.read_bytes(), mimetype="image/jpeg")
    response.headers["Content-Disposition"] = f'inline; filename="photo-{photo_id}.jpg"'
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


# Scripts and styles only from our own files (no inline code, no CDN: intranets are
# offline); nobody may frame us; forms post only to us. connect-src 'self' covers the
# same-origin Socket.IO websocket.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
HSTS = "max-age=31536000; includeSubDomains"


def add_security_headers(response: Response) -> Response:
    """Headers every answer carries; a view's own stricter values are kept."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response

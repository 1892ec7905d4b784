"""Small security primitives shared by every package: secrets, hashes, client keys."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from flask import abort, current_app, request, session
from flask.wrappers import Response
from flask_login import current_user, logout_user

# no 0/o/1/l/i: codes are read aloud and typed by people who cannot scan
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def new_spot_code(length: int = 8) -> str:
    """A short, unguessable spot code (31^8, about 40 bits, never sequential)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


def new_tracking_token() -> str:
    """A visitor's private tracking token: 192 random bits, URL-safe."""
    return secrets.token_urlsafe(24)


TRACKING_LINK_TOKEN = re.compile(r"(/t/)[A-Za-z0-9_-]+")


def without_tracking_tokens(text: str) -> str:
    """Text for a log line: every tracking link's token cut (/t/…)."""
    return TRACKING_LINK_TOKEN.sub(r"\1…", text)


def hash_token(token: str) -> str:
    """Tracking tokens are stored only as this hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def client_hash(address: str | None, secret_key: str) -> str:
    """A keyed hash of a client's address: the only form in which an address is kept."""
    return hmac.new(secret_key.encode(), (address or "unknown").encode(),
                    hashlib.sha256).hexdigest()[:32]


def client_key() -> str:
    """Identify an anonymous client by a keyed hash of its address, never the raw address.

    The rate limits, the blocks on senders and the access log (deploy/gunicorn.conf.py)
    all use this same value, so one client can be followed across them.
    """
    return client_hash(request.remote_addr, current_app.config["SECRET_KEY"])


def uploaded_files(field: str) -> list[IO[bytes]]:
    """The files sent in a multipart field; the empty part of "no file chosen" is dropped."""
    files = []
    for upload in request.files.getlist(field):
        if not upload.filename and not upload.stream.read(1):
            continue
        upload.stream.seek(0)
        files.append(upload.stream)
    return files


# --- files with visitors' data (photos, backups): the app's own user alone reads them ----

PRIVATE_FILE_MODE = 0o600
PRIVATE_FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """Make the folder if it is missing, and make it the app's alone (0700) if it is not."""
    path.mkdir(mode=PRIVATE_FOLDER_MODE, parents=True, exist_ok=True)
    if path.stat().st_mode & 0o777 != PRIVATE_FOLDER_MODE:
        path.chmod(PRIVATE_FOLDER_MODE)
    return path


def create_private_file(path: Path) -> IO[bytes]:
    """A new file (never an existing one) open for writing, readable by the app alone (0600)
    from the moment it exists, whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    os.fchmod(descriptor, PRIVATE_FILE_MODE)  # the umask may have taken bits away, never added
    return os.fdopen(descriptor, "wb")


def send_photo(path: Path, photo_id: int) -> Response:
    """Serve a stored photo: fixed type, never sniffed, never cached, never scriptable."""
    return _send_attachment(path, "image/jpeg", f"photo-{photo_id}.jpg")


def send_voice(path: Path, note_id: int) -> Response:
    """Serve a stored voice note (AAC in MP4), in byte ranges as Safari's player asks."""
    response = _send_attachment(path, "audio/mp4", f"voice-{note_id}.m4a")
    response.make_conditional(request, accept_ranges=True,
                              complete_length=response.content_length)
    return response


def _send_attachment(path: Path, mimetype: str, name: str) -> Response:
    # attachments are small (re-encoded: photos at most MAX_SIDE px, voice notes at most
    # 60 s): read whole, no open file to leak
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        # the row outlived its file (a restore without the photos folder, a disk cleaned by
        # hand): it is gone, which is a 404 for whoever asks, and worth a line in the log
        current_app.logger.warning("%s: its file is missing", name)
        abort(404)
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
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
    # blob: the visitor's own recording, played back before it is sent
    "media-src 'self' blob:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


def map_content_security_policy(tile_url: str) -> str:
    """The policy of the map pages: the app's, and images from the tile server when one is
    configured (its host only; a "{s}" subdomain becomes a wildcard)."""
    if not tile_url:
        return CONTENT_SECURITY_POLICY
    parts = urlsplit(tile_url.replace("{s}", "tile"))
    host = parts.netloc.replace("tile", "*", 1) if "{s}" in tile_url else parts.netloc
    return CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", f"img-src 'self' data: {parts.scheme}://{host}")


HSTS = "max-age=31536000; includeSubDomains"


# pages that show visitors' words or contacts, the JSON API's answers (cases, threads and
# contacts, to a session or an API key alike), and the tracking link's pages (the token in
# the URL is the visitor's only key): kept out of shared caches and the browser's history
PRIVATE_BLUEPRINTS = frozenset({"staff", "admin", "bureau"})
PRIVATE_PATHS = ("/t/", "/api/v1/")


# the devices a page could ask for, and the only pages that may ask for one: the visitor
# form's voice recorder, and the staff's "nearest spot" when taking a case down
DEVICES = ("camera", "microphone", "geolocation")
PAGE_DEVICE = {
    "visitor.report_form": "microphone",
    "staff.new_case": "geolocation",
    "staff.create_case": "geolocation",
}


def permissions_policy(endpoint: str | None) -> str:
    """The Permissions-Policy of a page: its own device for itself, every other for none."""
    allowed = PAGE_DEVICE.get(endpoint or "")
    return ", ".join(f"{device}=(self)" if device == allowed else f"{device}=()"
                     for device in DEVICES)


def add_security_headers(response: Response) -> Response:
    """Headers every answer carries; a view's own stricter values are kept."""
    headers = response.headers
    private = request.blueprint in PRIVATE_BLUEPRINTS or request.path.startswith(PRIVATE_PATHS)
    if private and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", permissions_policy(request.endpoint))
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


# --- staff sessions ----------------------------------------------------------------------

LOGIN_AT = "login_at"
SEEN_AT = "seen_at"


def start_staff_session() -> None:
    """Call right after login_user: the session's clocks start now, the cookie is permanent."""
    now = int(time.time())
    session.permanent = True  # the cookie expires with SESSION_MAX_HOURS, not the browser
    session[LOGIN_AT] = now
    session[SEEN_AT] = now


def session_expired(now: float | None = None) -> bool:
    """True when the logged-in session is past its idle or absolute timeout."""
    now = now if now is not None else time.time()
    max_seconds = int(current_app.config["SESSION_MAX_HOURS"]) * 3600
    idle_seconds = int(current_app.config["SESSION_IDLE_MINUTES"]) * 60
    login_at = session.get(LOGIN_AT)
    seen_at = session.get(SEEN_AT)
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        return True
    return now - login_at > max_seconds or now - seen_at > idle_seconds


def enforce_session_timeouts() -> None:
    """Before each request: end an expired staff session, or note that it was used."""
    if request.endpoint == "static" or not current_user.is_authenticated:
        return
    if session_expired():
        current_app.logger.info("session of user %s expired", current_user.id)
        logout_user()
        session.clear()
        return
    session[SEEN_AT] = int(time.time())


# --- origins -----------------------------------------------------------------------------

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def configured_origins(config: dict[str, object]) -> frozenset[str]:
    """The site's own origin (BASE_URL) and the extra ALLOWED_ORIGINS."""
    extra = config.get("ALLOWED_ORIGINS") or ()
    origins = {origin_of(str(config["BASE_URL"]))}
    origins.update(origin_of(str(o)) for o in extra)  # type: ignore[attr-defined]
    return frozenset(o for o in origins if o)


def origin_allowed(origin: str | None, environ: dict[str, object],
                   allowed: frozenset[str]) -> bool:
    """A browser's Origin is ours: configured, or the very host the request was sent to."""
    if not origin or origin == "null":
        # no Origin (old browsers, non-browser clients) or an opaque one (a page with
        # Referrer-Policy: no-referrer sends "null"): the CSRF token decides
        return True
    origin = origin.lower().rstrip("/")
    host = environ.get("HTTP_HOST")
    scheme = environ.get("wsgi.url_scheme", "http")
    return origin in allowed or (bool(host) and origin == f"{scheme}://{host}".lower())


def make_socket_origin_check(config: dict[str, object]) -> object:
    """The `cors_allowed_origins` callable for Socket.IO: the same rule as for forms."""
    allowed = configured_origins(config)

    def check(origin: str | None, environ: dict[str, object]) -> bool:
        return origin is None or (origin != "null" and origin_allowed(origin, environ,
                                                                      allowed))

    return check


def refuse_foreign_origin() -> None:
    """Before each request: a state-changing request from another site's page is 403."""
    if request.method not in UNSAFE_METHODS:
        return
    origin = request.headers.get("Origin")
    if origin_allowed(origin, request.environ, configured_origins(current_app.config)):
        return
    current_app.logger.info("refused %s %s from foreign origin %s", request.method,
                            request.endpoint, origin[:100] if origin else origin)
    abort(403)


# --- text ------------------------------------------------------------------------------

def refuse_unstorable_text() -> None:
    """Before each request: text no person types and no database column holds is refused.

    NUL in the path (404) or in a form (400): PostgreSQL text cannot hold it. A lone
    surrogate (an unpaired "\\ud800" escape) in a JSON body (400): it is no character, and
    cannot be written as UTF-8 (a browser's form cannot carry one at all).
    """
    if "\x00" in request.path:
        abort(404)
    if request.method not in UNSAFE_METHODS:
        return
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        for name, value in request.form.items(multi=True):
            if "\x00" in name or "\x00" in value:
                current_app.logger.info("refused %s %s: NUL in field %r", request.method,
                                        request.endpoint, name[:40])
                abort(400)
    elif request.is_json:
        body = request.get_json(silent=True)  # parsed once, kept for the view
        if body is not None and _has_lone_surrogate(body):
            current_app.logger.info("refused %s %s: lone surrogate in JSON", request.method,
                                    request.endpoint)
            abort(400)


def _has_lone_surrogate(value: object) -> bool:
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return True
    return False

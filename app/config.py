"""Configuration classes, read from the environment (12-factor)."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", ROOT_DIR / "instance"))


def _dev_secret_key() -> str:
    """A random key kept in instance/ so that development sessions survive a restart."""
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        return f"sqlite:///{INSTANCE_DIR / 'parkmailbox.db'}"
    # accept the common "postgres://" and "postgresql://" spellings, use psycopg 3
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def score_weights(text: str) -> dict[str, float]:
    """BUREAU_SCORE_WEIGHTS, e.g. "response=40,resolution=30,satisfaction=30": the weight
    of each rate in the bureau's composite score (relative; a rate left out weighs 0)."""
    weights = {"response": 0.0, "resolution": 0.0, "satisfaction": 0.0}
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        name, _sep, value = part.partition("=")
        if name.strip() not in weights or not value.strip():
            raise ValueError(f"BUREAU_SCORE_WEIGHTS: {part!r} is not response/resolution/"
                             "satisfaction=<number>")
        weight = float(value)
        if not 0 <= weight < float("inf"):
            raise ValueError(f"BUREAU_SCORE_WEIGHTS: {part!r} is not a weight >= 0")
        weights[name.strip()] = weight
    if not sum(weights.values()):
        raise ValueError("BUREAU_SCORE_WEIGHTS: at least one weight must be above 0")
    return weights


def map_tile_crs(text: str) -> str:
    """MAP_TILE_CRS: the datum the tile server draws in, "wgs84" (OpenStreetMap and most
    servers) or "gcj02" (Chinese providers: spots are shifted onto their streets)."""
    crs = text.strip().lower() or "wgs84"
    if crs not in ("wgs84", "gcj02"):
        raise ValueError(f"MAP_TILE_CRS: {text!r} is not wgs84 or gcj02")
    return crs


def _finalize_sessions(settings: dict[str, Any]) -> None:
    """Cookie flags and lifetimes that follow from other settings."""
    if settings.get("SESSION_COOKIE_SECURE") is None:
        secure = str(settings.get("BASE_URL", "")).startswith("https://")
        settings["SESSION_COOKIE_SECURE"] = secure
        settings.setdefault("REMEMBER_COOKIE_SECURE", secure)
    settings["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=settings["SESSION_MAX_HOURS"])


def _finalize_engine(settings: dict[str, Any]) -> None:
    """A database server's connections are checked before use and pooled as configured
    (DATABASE_POOL_SIZE, DATABASE_MAX_OVERFLOW, DATABASE_POOL_TIMEOUT); a SQLite file on
    this machine never drops one, so it is spared the "SELECT 1" per request."""
    options = dict(settings.get("SQLALCHEMY_ENGINE_OPTIONS", {}))
    if str(settings.get("SQLALCHEMY_DATABASE_URI", "")).startswith("sqlite"):
        options.pop("pool_pre_ping", None)
    else:
        for option, variable in (("pool_size", "DATABASE_POOL_SIZE"),
                                 ("max_overflow", "DATABASE_MAX_OVERFLOW"),
                                 ("pool_timeout", "DATABASE_POOL_TIMEOUT")):
            if os.environ.get(variable):
                options.setdefault(option, int(os.environ[variable]))
    settings["SQLALCHEMY_ENGINE_OPTIONS"] = options


class Config:
    """Embedded default: SQLite in instance/, one process, in-memory rate limits."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")
    # reverse proxies in front of the app (nginx: 1) whose X-Forwarded-For/-Proto to trust;
    # without it every visitor behind nginx has nginx's address (one rate-limit bucket)
    PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0"))

    # gevent: one process holds thousands of mostly idle staff websockets as greenlets
    # (a few KB each) instead of one OS thread per socket as in "threading" mode; eventlet
    # is deprecated upstream. The Flask-SocketIO deployment docs pair it with
    # `gunicorn -k gevent -w 1` and simple-websocket for the websocket transport.
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "gevent")
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # Redis pub/sub channel: the same in every process of one deployment, another one for
    # another deployment (or test run) that shares the Redis server
    SOCKETIO_CHANNEL = os.environ.get("SOCKETIO_CHANNEL", "park-mailbox")
    # events a reconnecting client may be sent one by one; past this it is told to reload
    CATCHUP_LIMIT = int(os.environ.get("CATCHUP_LIMIT", "500"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Open311 and the JSON API: reads per client, writes per API key
    OPEN311_READ_LIMIT = os.environ.get("OPEN311_READ_LIMIT", "120 per minute")
    OPEN311_WRITE_LIMIT = os.environ.get("OPEN311_WRITE_LIMIT", "30 per minute")
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")
    # lat/long of a new request means the nearest spot with a position within this many
    # metres (farther: address_string or address_id must say where)
    OPEN311_SPOT_RADIUS_M = float(os.environ.get("OPEN311_SPOT_RADIUS_M", "500"))
    # origins whose browser pages may read the Open311 GET endpoints (CORS), comma
    # separated, "*" for any; none by default
    OPEN311_CORS_ORIGINS = os.environ.get("OPEN311_CORS_ORIGINS", "")
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")

    # the JSON API's OpenAPI document, generated by flask-smorest at /api/openapi.json
    API_TITLE = "Park Mailbox API"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/api"
    OPENAPI_JSON_PATH = "openapi.json"
    API_SPEC_OPTIONS: dict[str, Any] = {
        "info": {"description": "Cases, threads and replies of Park Mailbox. Reads: a browser "
                                "session or an API key in X-API-Key; writes: park staff in a "
                                "session, with the CSRF token (GET /api/v1/session) in "
                                "X-CSRFToken. Open311 GeoReport v2 is at /open311/v2/."},
        "components": {"securitySchemes": {
            "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
            "Session": {"type": "apiKey", "in": "cookie", "name": "session"},
        }},
    }
    # "0" turns every rate limit off (benchmarks); never in production
    RATELIMIT_ENABLED = os.environ.get("RATELIMIT_ENABLED", "1") != "0"
    # visitor submissions per phone (a signed cookie; without one, per address), and the
    # ceiling of all the phones behind one address (a park's Wi-Fi, a carrier's NAT)
    SUBMISSION_RATE_LIMIT = os.environ.get("SUBMISSION_RATE_LIMIT",
                                           "5 per minute; 30 per hour; 100 per day")
    SUBMISSION_ADDRESS_LIMIT = os.environ.get("SUBMISSION_ADDRESS_LIMIT",
                                              "60 per minute; 600 per hour; 3000 per day")
    # failed logins per account, from any address; the next attempt is refused
    LOGIN_FAILURE_LIMIT = os.environ.get("LOGIN_FAILURE_LIMIT", "5 per minute")
    # argon2id with the OWASP Password Storage Cheat Sheet's first option: 19 MiB, t=2, p=1
    # (not read from the environment: no deployment should be able to lower it)
    PASSWORD_HASH_PARAMETERS: dict[str, int] = {
        "time_cost": 2, "memory_cost": 19 * 1024, "parallelism": 1,
    }
    # a form sent sooner than this after it was served is a bot's (0: no check)
    FORM_MIN_SECONDS = int(os.environ.get("FORM_MIN_SECONDS", "3"))
    # extra origins (comma-separated) allowed to post forms and open the staff socket
    ALLOWED_ORIGINS = tuple(o.strip().rstrip("/") for o in
                            os.environ.get("ALLOWED_ORIGINS", "").split(",") if o.strip())

    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "park-mailbox")
    # A Redis outage must not turn visitors away: limits fall back to this process's memory
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    RATELIMIT_SWALLOW_ERRORS = True
    # ordinary request/response commands: a stalled Redis fails fast instead of hanging
    RATELIMIT_STORAGE_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 2}
    # bench/ only: a bare endpoint on the same server stack, the baseline of `make bench`
    BENCH_HELLO = os.environ.get("BENCH_HELLO") == "1"

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    WTF_CSRF_TIME_LIMIT = None  # a visitor may take a long time to write; the token is per session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # None: Secure exactly when BASE_URL is https (decided in finalize)
    SESSION_COOKIE_SECURE: bool | None = None
    # staff sessions end after this long without a request, and this long after login
    SESSION_IDLE_MINUTES = int(os.environ.get("SESSION_IDLE_MINUTES", "240"))
    SESSION_MAX_HOURS = int(os.environ.get("SESSION_MAX_HOURS", "12"))
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # brotli where the browser takes it, gzip otherwise (old phones); zstd is not needed.
    # Streamed responses stay as they are (see _buffer_static_text in app/__init__.py).
    COMPRESS_ALGORITHM = ["br", "gzip"]
    # pages and what they load; the JSON API stays as it is (its clients and tests read it raw)
    COMPRESS_MIMETYPES = ["text/html", "text/css", "text/javascript", "application/javascript",
                          "image/svg+xml"]
    COMPRESS_STREAMS = False

    # a whole submission with its (up to 3) photos and voice note; past this: 413 before
    # anything is read
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    # re-encoded photos and voice notes (never under static/)
    PHOTO_DIR = os.environ.get("PHOTO_DIR") or str(INSTANCE_DIR / "photos")
    # an offline Vosk speech model's folder: staff see a transcript of each voice note
    # (README "Voice notes"); empty: voice notes are played, not transcribed
    SPEECH_MODEL_PATH = os.environ.get("SPEECH_MODEL_PATH", "")
    # a visitor's phone or e-mail is erased this many days after their case closed
    CONTACT_RETENTION_DAYS = int(os.environ.get("CONTACT_RETENTION_DAYS", "90"))
    DEMO_ALLOWED = True
    # parks with fewer cases in the period are listed but not ranked on /bureau/
    BUREAU_MIN_CASES = int(os.environ.get("BUREAU_MIN_CASES", "20"))
    # a burst: this many reports (new cases, "me too" joins, "not fixed") at one spot within
    # this many minutes raise an early warning naming the spot and linking the case (README)
    WARNING_BURST_REPORTS = int(os.environ.get("WARNING_BURST_REPORTS", "3"))
    WARNING_BURST_MINUTES = int(os.environ.get("WARNING_BURST_MINUTES", "30"))
    # the composite score of the league table: 响应率, 解决率 and 满意率 weighted so (README)
    BUREAU_SCORE_WEIGHTS = score_weights(os.environ.get(
        "BUREAU_SCORE_WEIGHTS", "response=40,resolution=30,satisfaction=30"))
    # the map (/bureau/map, /admin/map): a tile server's URL template such as
    # https://tile.example.org/{z}/{x}/{y}.png and its attribution (shown on the map); empty:
    # park outlines and spots on a plain background, fully offline. Its host is added to the
    # map pages' Content-Security-Policy (img-src) only when set
    MAP_TILE_URL = os.environ.get("MAP_TILE_URL", "")
    MAP_TILE_ATTRIBUTION = os.environ.get("MAP_TILE_ATTRIBUTION", "")
    MAP_TILE_CRS = map_tile_crs(os.environ.get("MAP_TILE_CRS", "wgs84"))
    # Visitor notifications. Without SMTP_HOST, e-mails are written to the log only.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "1") == "1"
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "15"))
    # 12345 tickets by e-mail (/staff/hotline): the mailbox the hotline's e-mails are
    # forwarded to, read every minute by the job `hotline.mail` into the unit whose code is
    # HOTLINE_IMAP_UNIT. Without HOTLINE_IMAP_HOST nothing is read
    HOTLINE_IMAP_HOST = os.environ.get("HOTLINE_IMAP_HOST", "")
    HOTLINE_IMAP_PORT = int(os.environ.get("HOTLINE_IMAP_PORT", "993"))
    HOTLINE_IMAP_SSL = os.environ.get("HOTLINE_IMAP_SSL", "1") == "1"
    HOTLINE_IMAP_USER = os.environ.get("HOTLINE_IMAP_USER", "")
    HOTLINE_IMAP_PASSWORD = os.environ.get("HOTLINE_IMAP_PASSWORD", "")
    HOTLINE_IMAP_FOLDER = os.environ.get("HOTLINE_IMAP_FOLDER", "INBOX")
    HOTLINE_IMAP_UNIT = os.environ.get("HOTLINE_IMAP_UNIT", "")
    HOTLINE_IMAP_TIMEOUT = float(os.environ.get("HOTLINE_IMAP_TIMEOUT", "30"))
    # "module:Class" of the SMS sender; the default writes to the sms_outbox table and the log
    SMS_SENDER = os.environ.get("SMS_SENDER", "app.services.notify.sms:OutboxSmsSender")
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "10"))
    # staff alert channels (robots, webhooks) may be http and private addresses, and robots
    # any host: for development and tests only (refused in production)
    OUTBOUND_ALLOW_PRIVATE = os.environ.get("OUTBOUND_ALLOW_PRIVATE", "0") == "1"
    # Web Push to staff phones (/staff/alerts): the deployment's VAPID key pair. Without
    # VAPID_PRIVATE_KEY (base64url raw or DER, or PEM; set it when several servers share
    # one database), the key is created once in VAPID_KEY_FILE; `flask --app wsgi push
    # keys` prints the public key. VAPID_SUBJECT (mailto: or https:) is the contact push
    # services see; empty: BASE_URL when it is https.
    VAPID_PRIVATE_KEY = os.environ.get("VAPID_PRIVATE_KEY", "")
    VAPID_KEY_FILE = os.environ.get("VAPID_KEY_FILE", str(INSTANCE_DIR / "vapid_private_key.pem"))
    VAPID_SUBJECT = os.environ.get("VAPID_SUBJECT", "")
    # a director's "set your password" link for a new or reset account is valid this long
    STAFF_INVITE_HOURS = float(os.environ.get("STAFF_INVITE_HOURS", "72"))
    # the server process runs the periodic jobs (SLA timers, auto-close...) in the background
    RUN_JOBS = os.environ.get("RUN_JOBS", "1") == "1"
    # staff alerts (push, robots and webhooks, the ladder's SMS) are sent right after the
    # commit that queued them (services.notify.at_once); the job loop retries what fails.
    # 0: the job loop sends them all, at its next round
    ALERTS_AT_ONCE = os.environ.get("ALERTS_AT_ONCE", "1") == "1"
    JOB_LOOP_SECONDS = float(os.environ.get("JOB_LOOP_SECONDS", "5"))
    # Scans of a spot's code are counted in memory and written at most this often per
    # process (0: at once); see services.spots.spots.ScanBuffer.
    SCAN_FLUSH_SECONDS = float(os.environ.get("SCAN_FLUSH_SECONDS", "10"))
    # The visitor form reads a spot, its park and categories from memory for this long;
    # changes made in this process show at once, in other processes within this time
    # (0: always from the database); see services.spots.cache.
    SPOT_CACHE_SECONDS = float(os.environ.get("SPOT_CACHE_SECONDS", "5"))
    # a park's public board (/p/<park_code>) is rebuilt at most this often per process; a
    # change committed in the process rebuilds it at once (0 turns the cache off)
    BOARD_CACHE_SECONDS = float(os.environ.get("BOARD_CACHE_SECONDS", "60"))

    @classmethod
    def finalize(cls, settings: dict[str, Any]) -> None:
        """Fill in what must be computed when the app is created, not at import."""
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = _dev_secret_key()
        _finalize_sessions(settings)
        _finalize_engine(settings)


class TestingConfig(Config):
    """Tests: a database per test session, threading mode for the Socket.IO test client."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    SOCKETIO_ASYNC_MODE = "threading"
    SOCKETIO_MESSAGE_QUEUE = None
    RATELIMIT_STORAGE_URI = "memory://"
    # the abuse checks are off for the general suite; their own tests switch them on
    RATELIMIT_ENABLED = False
    FORM_MIN_SECONDS = 0
    SESSION_COOKIE_SECURE = False
    RUN_JOBS = False
    # the outbox tests step the job by hand; tests/services/test_alerts_at_once.py sends
    # at once
    ALERTS_AT_ONCE = False
    SCAN_FLUSH_SECONDS = 0.0  # tests read the counts right after the scans
    SMTP_HOST = ""  # tests start their own SMTP server and pass its address
    OUTBOUND_ALLOW_PRIVATE = True  # local stand-ins play WeCom, DingTalk, Feishu, webhooks
    # argon2's cheapest parameters: a production-cost hash per test account and login made
    # set-up most of the staff and admin tests' time; tests/staff/test_sessions.py checks
    # ProductionConfig's parameters
    PASSWORD_HASH_PARAMETERS: dict[str, int] = {
        "time_cost": 1, "memory_cost": 8, "parallelism": 1,
    }


class ProductionConfig(Config):
    """Production refuses to start without a real secret key and never seeds demo data."""

    ENV_NAME = "production"
    DEMO_ALLOWED = False

    @classmethod
    def finalize(cls, settings: dict[str, Any]) -> None:
        key = settings.get("SECRET_KEY") or ""
        if len(key) < 32:
            raise RuntimeError(
                "SECRET_KEY must be set to a random value of at least 32 characters in "
                "production (for example: python -c 'import secrets; print(secrets.token_hex(32))')"
            )
        if settings.get("OUTBOUND_ALLOW_PRIVATE"):
            raise RuntimeError("OUTBOUND_ALLOW_PRIVATE=1 is for development and tests, never "
                               "production (it lets alerts reach private addresses)")
        _finalize_sessions(settings)
        _finalize_engine(settings)


CONFIGS: dict[str, type[Config]] = {
    "development": Config,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def config_from_env() -> type[Config]:
    """The configuration class named by APP_ENV (development by default)."""
    name = os.environ.get("APP_ENV", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"APP_ENV must be one of {', '.join(CONFIGS)}, not {name!r}") from None

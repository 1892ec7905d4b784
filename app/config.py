"""Configuration classes, read from the environment (12-factor)."""

from __future__ import annotations

import os
import secrets
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


class Config:
    """Embedded default: SQLite in instance/, one process, in-memory rate limits."""

    ENV_NAME = "development"
    SECRET_KEY: str | None = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _database_url()
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:5000").rstrip("/")

    # gevent: one process holds thousands of mostly idle staff websockets as greenlets
    # (a few KB each) instead of one OS thread per socket as in "threading" mode; eventlet
    # is deprecated upstream. The Flask-SocketIO deployment docs pair it with
    # `gunicorn -k gevent -w 1` and simple-websocket for the websocket transport.
    SOCKETIO_ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE", "gevent")
    SOCKETIO_MESSAGE_QUEUE = os.environ.get("SOCKETIO_MESSAGE_QUEUE") or None
    # events a reconnecting client may be sent one by one; past this it is told to reload
    CATCHUP_LIMIT = int(os.environ.get("CATCHUP_LIMIT", "500"))

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    RATELIMIT_HEADERS_ENABLED = True
    # Open311 and the JSON API: reads per client, writes per API key
    OPEN311_READ_LIMIT = os.environ.get("OPEN311_READ_LIMIT", "120 per minute")
    OPEN311_WRITE_LIMIT = os.environ.get("OPEN311_WRITE_LIMIT", "30 per minute")
    OPEN311_CONTACT = os.environ.get("OPEN311_CONTACT", "")

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_CN", "en")

    WTF_CSRF_TIME_LIMIT = None  # a visitor may take a long time to write; the token is per session
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = BASE_URL.startswith("https://")
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"

    # a whole submission with its (up to 3) photos; past this: 413 before anything is read
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024
    PHOTO_DIR = os.environ.get("PHOTO_DIR") or str(INSTANCE_DIR / "photos")
    FEEDBACK_MAX_CHARS = 4000
    DEMO_ALLOWED = True
    # Visitor notifications. Without SMTP_HOST, e-mails are written to the log only.
    SMTP_HOST = os.environ.get("SMTP_HOST", "")
    SMTP_PORT = int(os.environ.get("SMTP_PORT", "587"))
    SMTP_USERNAME = os.environ.get("SMTP_USERNAME", "")
    SMTP_PASSWORD = os.environ.get("SMTP_PASSWORD", "")
    SMTP_FROM = os.environ.get("SMTP_FROM", "")
    SMTP_STARTTLS = os.environ.get("SMTP_STARTTLS", "1") == "1"
    SMTP_TIMEOUT = float(os.environ.get("SMTP_TIMEOUT", "15"))
    # "module:Class" of the SMS sender; the default writes to the sms_outbox table and the log
    SMS_SENDER = os.environ.get("SMS_SENDER", "app.services.sms:OutboxSmsSender")
    NOTIFY_MAX_ATTEMPTS = int(os.environ.get("NOTIFY_MAX_ATTEMPTS", "10"))
    # the server process runs the periodic jobs (SLA timers, auto-close...) in the background
    RUN_JOBS = os.environ.get("RUN_JOBS", "1") == "1"

    @classmethod
    def finalize(cls, settings: dict[str, Any]) -> None:
        """Fill in what must be computed when the app is created, not at import."""
        if not settings.get("SECRET_KEY"):
            settings["SECRET_KEY"] = _dev_secret_key()


class TestingConfig(Config):
    """Tests: a database per test session, threading mode for the Socket.IO test client."""

    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
    SOCKETIO_ASYNC_MODE = "threading"
    SOCKETIO_MESSAGE_QUEUE = None
    RATELIMIT_STORAGE_URI = "memory://"
    SESSION_COOKIE_SECURE = False
    RUN_JOBS = False
    SMTP_HOST = ""  # tests start their own SMTP server and pass its address


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

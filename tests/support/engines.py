"""Each test makes an app of its own, and with it a new SQLAlchemy engine; an engine keeps
the SQL it compiled for the statements it ran (keyed by its own dialect), so every test
compiled each statement again: a third of a test's time on PostgreSQL.

Every test of a process uses the same database: on PostgreSQL the worker's, emptied before
each test; on SQLite one path, a fresh copy of the template each test (tests/conftest.py,
tests/support/schema.py). So the apps of a test process share one engine per URL and
options: its compiled statements, and its pool (each test disposes of the pool at its end,
so no connection outlives the test). The app wires its SQLite settings to an engine once
(app/database.py, `configure_engine`); a URL of a test's own (the migration tests') gets an
engine of its own.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.engine import Engine

_engines: dict[tuple[str, str], Engine] = {}
_make_engine = SQLAlchemy._make_engine


def _shared_engine(self: SQLAlchemy, bind_key: str | None, options: dict[str, Any],
                   app: Flask) -> Engine:
    url = str(options["url"])
    key = (url, repr(sorted((name, value) for name, value in options.items()
                            if name != "url")))
    if key not in _engines:
        _engines[key] = _make_engine(self, bind_key, options, app)
    return _engines[key]


def reuse_engines() -> None:
    SQLAlchemy._make_engine = _shared_engine  # type: ignore[method-assign]

"""Database engine set-up (SQLite pragmas, PostgreSQL) and the write-transaction helper.

Statements built once: SQLAlchemy takes longer to build a statement and compute its cache
key (about 0.4 ms for a select with three conditions) than SQLite takes to run a small one
(0.03 ms). The statements every submission runs are therefore built on first use, with
`bindparam` for what changes, kept by `functools.cache`, and run with their parameters
(`session.scalar(statement, {...})`): 0.13 ms for that select. Elsewhere statements are
built where they are used, which reads better.

A statement that reads plain values (a number, an id, rows for a dataclass), not models,
runs on the session's connection in the same transaction: `session.connection().scalar(...)`
takes 0.03 to 0.05 ms where `session.scalar(...)` takes 0.12 to 0.18 ms, preparing to load
models and flushing first. Only where nothing pending in the session must be flushed first.
So is an insert of a row that nothing reads back as a model in its change (an audit entry):
the unit of work would sort and save its table in the next flush.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session

from app.extensions import db

# Writers queue for the lock rather than fail: SQLite's busy handler is not fair, and on a
# loaded machine (fsync on every commit) a writer among many can wait several seconds.
SQLITE_BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "park_mailbox_immediate"
# The database could not be reached in time: the pool had no free connection (a process
# under more load than it can serve), SQLite stayed locked past its busy timeout, or the
# server is away. Requests meet them with "503, try again"; nothing was written.
DATABASE_BUSY = (PoolTimeoutError, OperationalError)
RETRY_AFTER_SECONDS = 5
# reentrant: a write transaction opened inside another must not deadlock on itself
_SQLITE_WRITERS = threading.RLock()


def configure_engine(engine: Engine) -> None:
    """Apply per-connection settings; SQLite needs WAL, FULL sync and explicit BEGIN. Once
    per engine, however many apps use it."""
    if engine.dialect.name != "sqlite" or event.contains(engine, "connect", _sqlite_connect):
        return
    event.listen(engine, "connect", _sqlite_connect)
    event.listen(engine, "begin", _sqlite_begin)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # take transaction control from the sqlite3 module so that BEGIN is ours to choose
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # FULL: an acknowledged submission survives power loss, not only a process crash
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A write that starts as a read (deferred BEGIN) fails with SQLITE_BUSY_SNAPSHOT
    # when another writer committed in between, and busy_timeout cannot help. Writes
    # therefore take the write lock up front; reads stay deferred and never block.
    if connection.get_execution_options().get(IMMEDIATE):
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.exec_driver_sql("BEGIN")


@contextmanager
def write_transaction() -> Iterator[Session]:
    """Run one write transaction; commit on success, roll back on any error.

    Whatever read transaction the request had open is ended first, so rows read inside
    the block are current (objects loaded before are expired and reload on access).
    Keep the block free of network I/O: under gevent it holds SQLite's write lock.
    """
    session = db.session()
    if session.in_transaction():
        session.commit()
    # SQLite's busy handler polls with growing sleeps and no queue, so under load one
    # thread can lose the race again and again until busy_timeout ends it with "database
    # is locked". Writers of this process therefore queue on a lock (a gevent lock under
    # gunicorn's monkey-patching) and only other processes meet the busy handler.
    serialize = session.get_bind().dialect.name == "sqlite"
    if serialize:
        _SQLITE_WRITERS.acquire()
    try:
        session.connection(execution_options={IMMEDIATE: True})
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
    finally:
        if serialize:
            _SQLITE_WRITERS.release()

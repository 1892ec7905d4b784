"""PostgreSQL and Redis for tests: find them, create databases, run a private Redis.

Without REQUIRE_SERVICES=1 a test whose service is missing is skipped with the reason;
with it (as `.ci/run` sets) the test fails, so that CI can never pass by skipping.
"""

from __future__ import annotations

import functools
import os
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import psycopg
import pytest
import redis
from sqlalchemy.engine import make_url

REQUIRED = os.environ.get("REQUIRE_SERVICES") == "1"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/parkmailbox_test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def missing(reason: str) -> NoReturn:
    """Skip the test, or fail it when the services are required."""
    if REQUIRED:
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1: services are required)", pytrace=False)
    pytest.skip(reason)


def _libpq(url: str, database: str | None = None) -> str:
    """A SQLAlchemy URL as psycopg's connection string (optionally another database)."""
    parsed = make_url(url)
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


def of_this_worker(url: str) -> str:
    """Under pytest-xdist each worker has a PostgreSQL database of its own (`<name>_gw0`)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or not url.startswith("postgresql"):
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{worker}").render_as_string(
        hide_password=False)


def postgres_url() -> str:
    """The PostgreSQL of the test run: TEST_DATABASE_URL if it is one, or the default."""
    url = os.environ.get("TEST_DATABASE_URL", "")
    if not url.startswith("postgresql"):
        url = os.environ.get("TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)
    return of_this_worker(url)


@functools.cache
def database_problem(url: str) -> str | None:
    """None if the database answers (created when missing), else why not."""
    if not url.startswith("postgresql"):
        return None
    name = make_url(url).database or ""
    try:
        with psycopg.connect(_libpq(url, "postgres"), autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                  (name,)).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{name}"')
            _commit_without_waiting(conn, name)
    except psycopg.Error as error:
        return f"PostgreSQL not reachable at {make_url(url).render_as_string()}: {error}"
    return None


def scratch_database(purpose: str) -> str:
    """An empty database beside the test run's one, `<its name>_<purpose>`, for servers.

    The database is kept between runs and emptied at the start (dropping a schema, not the
    database: DROP DATABASE forces a checkpoint, which stalls a busy shared server).
    """
    base = postgres_url()
    problem = database_problem(base)
    if problem:
        missing(problem)
    url = make_url(base).set(database=f"{make_url(base).database}_{purpose}")
    rendered = url.render_as_string(hide_password=False)
    problem = database_problem(rendered)
    if problem:
        missing(problem)
    with psycopg.connect(_libpq(rendered), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return rendered


def copy_database(template: str, url: str) -> None:
    """Make the database at `url` a copy of the one at `template` (both SQLite files, or
    both PostgreSQL databases of this machine; nobody may be connected to either)."""
    if not url.startswith("postgresql"):
        source, target = (Path(u.removeprefix("sqlite:///")) for u in (template, url))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
            if Path(f"{source}{suffix}").exists():
                shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
        return
    name, source = make_url(url).database, make_url(template).database
    with psycopg.connect(_libpq(url, "postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        # FILE_COPY checkpoints (about a second here); the default, WAL_LOG, writes every
        # page of the template to the log (30 s here under load)
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{source}" STRATEGY FILE_COPY')
        _commit_without_waiting(conn, name)


def _commit_without_waiting(conn: psycopg.Connection[Any], name: str | None) -> None:
    """A commit in a test's database does not wait for the disk (5 ms each on this machine,
    thousands per run); no test crashes the PostgreSQL server itself, so nothing a test
    reads can be lost (a killed app server's commits are kept)."""
    conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')


def redis_url() -> str:
    """The shared Redis of the test run (TEST_REDIS_URL); skip or fail if it is away."""
    url = os.environ.get("TEST_REDIS_URL", DEFAULT_REDIS_URL)
    try:
        redis.Redis.from_url(url, socket_connect_timeout=5).ping()
    except redis.RedisError as error:
        missing(f"Redis not reachable at {url}: {error}")
    return url


def unique_name(prefix: str) -> str:
    """A pub/sub channel or key prefix of one test: runs sharing a Redis never mix."""
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass
class PrivateRedis:
    """A redis-server of the test's own, on a free port, that it may stop and start."""

    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port, socket_connect_timeout=1).ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None


@contextmanager
def private_redis(directory: Path) -> Iterator[PrivateRedis]:
    """Start a private redis-server (never the shared one); stopped afterwards."""
    if shutil.which("redis-server") is None:
        missing("redis-server is not installed (Debian package redis-server)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = PrivateRedis(port=port, directory=directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()

"""SQLite settings for durability and concurrent writers; health check."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Case
from tests.conftest import make_case

pytestmark = pytest.mark.usefixtures("app")


def sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite settings; this run is on " + db.engine.dialect.name)


@pytest.mark.sqlite
def test_sqlite_runs_in_wal_with_full_sync_and_a_busy_timeout(db):
    sqlite_only(db)
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 5000
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_concurrent_writers_all_succeed(app, db, spot, separate_cases):
    # every submission a new case ("me too" would fold them into one): nothing lost is a count
    """Eight threads x 25 submissions: no 'database is locked', nothing lost."""
    errors: list[BaseException] = []
    spot_id = spot.id

    def writer(n: int) -> None:
        with app.app_context():
            try:
                for i in range(25):
                    from app.services.cases.submission import submit_case

                    submit_case(spot_id=spot_id, category_code="toilets",
                                    body=f"writer {n} message {i}")
            except BaseException as error:  # collected and reported below
                errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Case)) == 200
    references = db.session.scalars(select(Case.reference)).all()
    assert len(set(references)) == 200


def test_a_write_after_a_stale_read_does_not_fail(app, db, spot, separate_cases):
    # the write is a new case, counted
    """The read-then-write pattern that gives SQLITE_BUSY_SNAPSHOT with a deferred BEGIN."""
    db.session.execute(select(Case)).all()  # the test's session now holds a snapshot
    done = threading.Event()

    def other_writer() -> None:
        with app.app_context():
            make_case(spot, body="from another connection")
            done.set()

    thread = threading.Thread(target=other_writer)
    thread.start()
    thread.join()
    assert done.is_set()
    make_case(spot, body="after the other writer committed")
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2


def test_health_check_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_health_check_fails_when_the_database_does_not_answer(app, client, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(_db.session, "execute", broken)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["status"] == "error"


def test_postgresql_pools_are_sized_from_the_environment_and_sqlite_skips_the_ping(
        monkeypatch):
    from app import create_app
    from app.config import TestingConfig

    monkeypatch.setenv("DATABASE_POOL_SIZE", "12")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "3")
    monkeypatch.setenv("DATABASE_POOL_TIMEOUT", "9")
    server = create_app(TestingConfig,
                        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://u@127.0.0.1:1/none")
    assert server.config["SQLALCHEMY_ENGINE_OPTIONS"] == {
        "pool_pre_ping": True, "pool_size": 12, "max_overflow": 3, "pool_timeout": 9}
    with server.app_context():
        pool = _db.engine.pool
        assert (pool.size(), pool._max_overflow, pool._timeout) == (12, 3, 9)
    local = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite:///:memory:")
    assert "pool_pre_ping" not in local.config["SQLALCHEMY_ENGINE_OPTIONS"]

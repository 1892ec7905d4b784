"""`flask --app wsgi backup PATH` and `restore PATH`: an online round trip on SQLite, with
the photos."""

from __future__ import annotations

import io
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db as _db
from app.models import Case, Message
from app.services.cases.photos import prepare_photos
from app.services.cases.submission import submit_case
from tests.conftest import make_case
from tests.support.images import png


def sqlite_only(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite backup API; PostgreSQL is covered by the pg_dump test")


def cases(path) -> tuple[int, int]:
    with sqlite3.connect(path) as connection:
        return (connection.execute("SELECT count(*) FROM feedback").fetchone()[0],
                connection.execute("SELECT count(*) FROM messages").fetchone()[0])


@pytest.mark.sqlite
def test_backup_while_submissions_continue_then_restore(app, db, spot, tmp_path,
                                                        separate_cases):
    # every submission a case of its own: the restore is checked by counting cases
    sqlite_only(db)
    make_case(spot, body="备份之前的留言")
    spot_id = spot.id
    stop = threading.Event()
    written: list[int] = []
    errors: list[BaseException] = []

    def visitor() -> None:
        with app.app_context():
            try:
                while not stop.is_set():
                    submit_case(spot_id=spot_id, category_code="toilets",
                                    body=f"备份期间的留言 {len(written)}")
                    written.append(1)
            except BaseException as error:  # reported below
                errors.append(error)

    thread = threading.Thread(target=visitor)
    thread.start()
    try:
        while len(written) < 5:
            stop.wait(0.05)
        runner = app.test_cli_runner()
        backup = tmp_path / "backups" / "parkmailbox.db"
        result = runner.invoke(args=["backup", str(backup)])
        assert result.exit_code == 0, result.output
        while len(written) < 15:  # and the writers went on after the copy
            stop.wait(0.05)
    finally:
        stop.set()
        thread.join()
    assert errors == []
    db.session.commit()
    live_total = db.session.scalar(select(func.count()).select_from(Case))
    backed_up, backed_up_messages = cases(backup)
    with sqlite3.connect(backup) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert 1 < backed_up < live_total
    assert backed_up_messages == backed_up  # every case with its first message: consistent

    result = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    _db.session.remove()
    assert _db.session.scalar(select(func.count()).select_from(Case)) == backed_up
    assert _db.session.scalar(select(func.count()).select_from(Message)) == backed_up
    assert "备份之前的留言" in _db.session.scalars(select(Case.body)).all()


@pytest.mark.sqlite
def test_backup_refuses_to_overwrite(app, db, tmp_path):
    sqlite_only(db)
    target = tmp_path / "exists.db"
    target.write_text("keep me")
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code != 0
    assert target.read_text() == "keep me"


@pytest.mark.sqlite
def test_restore_asks_first(app, db, tmp_path):
    sqlite_only(db)
    backup = tmp_path / "b.db"
    assert app.test_cli_runner().invoke(args=["backup", str(backup)]).exit_code == 0
    result = app.test_cli_runner().invoke(args=["restore", str(backup)], input="n\n")
    assert result.exit_code != 0


def test_postgresql_gets_pg_dump_instructions(app, tmp_path):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://park:secret@db.example/parks"
    result = app.test_cli_runner().invoke(args=["backup", str(tmp_path / "x.db")])
    assert result.exit_code != 0
    assert "pg_dump --format=custom" in result.output
    assert "pg_restore" in result.output
    assert "secret" not in result.output
    assert not (tmp_path / "x.db").exists()


@pytest.mark.sqlite
def test_backup_and_restore_carry_the_photos(app, db, spot, staff_client, tmp_path):
    sqlite_only(db)
    receipt = make_case(spot, photos=prepare_photos([io.BytesIO(png())]))
    (photo,) = receipt.case.photos
    url = f"/staff/cases/{receipt.case.id}/photos/{photo.id}"
    live = Path(app.config["PHOTO_DIR"]) / photo.storage_name
    original = live.read_bytes()
    backup = tmp_path / "backups" / "parkmailbox.db"
    result = app.test_cli_runner().invoke(args=["backup", str(backup)])
    assert result.exit_code == 0, result.output
    assert "1 photos" in result.output
    assert (backup.parent / "parkmailbox.db.photos" / photo.storage_name).read_bytes() == original

    live.unlink()  # the disk that held the photos is gone
    result = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert live.read_bytes() == original
    served = staff_client.get(url)
    assert served.status_code == 200
    assert served.get_data() == original

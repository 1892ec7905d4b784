"""Files that hold visitors' data (photos, backups) are the app's alone: 0600 files in 0700
folders, whatever the umask of the process that wrote them."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator

import pytest

from app.database import write_transaction
from app.models import Case
from app.services.cases.photos import add_photos, prepare_photo
from tests.conftest import make_case
from tests.support.images import png


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common default umask, under which new files are 0644 and folders 0755."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def store_photo(spot) -> None:
    receipt = make_case(spot, contact="13800000000")
    with write_transaction() as session:
        add_photos(session, session.get(Case, receipt.case.id), [prepare_photo(io.BytesIO(png()))])


def test_stored_photos_are_0600_in_a_0700_folder(app, spot, open_umask, tmp_path):
    folder = tmp_path / "photos"
    folder.mkdir(mode=0o755)  # made by an operator before the app ran
    app.config["PHOTO_DIR"] = str(folder)
    store_photo(spot)
    (photo,) = folder.iterdir()
    assert mode(folder) == 0o700
    assert mode(photo) == 0o600


@pytest.mark.sqlite
def test_a_backup_and_its_photos_are_0600_in_a_0700_folder(app, db, spot, open_umask,
                                                          tmp_path):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the SQLite backup; PostgreSQL backups are pg_dump's")
    store_photo(spot)
    target = tmp_path / "backups" / "parkmailbox.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert mode(target) == 0o600
    photos = target.with_name(target.name + ".photos")
    assert mode(photos) == 0o700
    copies = list(photos.iterdir())
    assert len(copies) == 1
    assert mode(copies[0]) == 0o600

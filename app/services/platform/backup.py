"""Online backups: a consistent copy of the database (and the photos) while serving.

SQLite: the online backup API copies the live database page by page under a read lock,
so writers keep going and the copy is one consistent moment. PostgreSQL: `pg_dump` is the
tool; these functions only say how to run it.
"""

from __future__ import annotations

import logging
import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

from app.security import PRIVATE_FILE_MODE, create_private_file, private_folder
from app.services.errors import DomainError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupReport:
    path: Path
    pages: int
    photos: int


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database URL, or None for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    if not url.database or url.database == ":memory:":
        raise DomainError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def pg_dump_instructions(database_url: str) -> str:
    """How to back up and restore a PostgreSQL database with its own tools."""
    url = make_url(database_url).set(drivername="postgresql")
    safe = url.render_as_string(hide_password=True)
    return (
        "This deployment uses PostgreSQL: back it up with its own tools, which take a "
        "consistent snapshot while the app keeps serving:\n"
        f"  pg_dump --format=custom --file=parkmailbox.dump '{safe}'\n"
        "and restore into an empty database with:\n"
        f"  pg_restore --clean --if-exists --no-owner --dbname='{safe}' parkmailbox.dump\n"
        "(pass the password through PGPASSWORD or ~/.pgpass). Copy PHOTO_DIR as well.")


def _copy_photos(source: Path, target: Path) -> int:
    """Copy the photos not there yet; the copies, like the folder, are the app's alone."""
    if not source.is_dir():
        return 0
    private_folder(target)
    copied = 0
    for photo in source.iterdir():
        if photo.is_file() and not (target / photo.name).exists():
            with photo.open("rb") as original, create_private_file(target / photo.name) as copy:
                shutil.copyfileobj(original, copy)
            shutil.copystat(photo, target / photo.name)  # times; the mode is 0600 again below
            (target / photo.name).chmod(PRIVATE_FILE_MODE)
            copied += 1
    return copied


def backup_sqlite(database: Path, target: Path, photo_dir: Path | None = None) -> BackupReport:
    """Copy a live SQLite database to `target` (and its photos to `<target>.photos/`)."""
    if target.exists():
        raise DomainError(f"{target} exists already; choose a new file")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    # the copy holds every visitor's contact: created 0600 before a byte is written
    partial.unlink(missing_ok=True)  # left by a copy that was cut off
    create_private_file(partial).close()
    source = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30)
    destination = sqlite3.connect(partial)
    try:
        # the whole copy in one step: a consistent snapshot even while writers commit
        source.backup(destination, pages=-1)
        pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
        check = destination.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise DomainError(f"the copy failed its integrity check: {check}")
    finally:
        destination.close()
        source.close()
    partial.replace(target)
    # photos are written before their rows commit, so a copy taken after the database
    # holds every photo the copied rows point to
    photos = _copy_photos(photo_dir, Path(str(target) + ".photos")) if photo_dir else 0
    log.info("backup of %s written to %s (%d pages, %d photos)", database, target, pages,
             photos)
    return BackupReport(path=target, pages=pages, photos=photos)


def restore_sqlite(backup: Path, database: Path, photo_dir: Path | None = None) -> BackupReport:
    """Replace the contents of a SQLite database with a backup (the app should be stopped)."""
    if not backup.is_file():
        raise DomainError(f"no backup at {backup}")
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        check = source.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise DomainError(f"the backup failed its integrity check: {check}")
        database.parent.mkdir(parents=True, exist_ok=True)
        destination = sqlite3.connect(database, timeout=30)
        try:
            source.backup(destination, pages=-1)
            pages = int(destination.execute("PRAGMA page_count").fetchone()[0])
        finally:
            destination.close()
    finally:
        source.close()
    photos = 0
    backup_photos = Path(str(backup) + ".photos")
    if photo_dir and backup_photos.is_dir():
        photos = _copy_photos(backup_photos, photo_dir)
    log.info("database %s restored from %s (%d pages, %d photos)", database, backup, pages,
             photos)
    return BackupReport(path=database, pages=pages, photos=photos)

"""What the database and the photo folder hold, to assert that a refused request stored nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.extensions import db

# written by the periodic-job loop, never by a request
IGNORED_TABLES = frozenset({"job_leases"})


def database_rows() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (its full content, not only a count), by table."""
    db.session.commit()
    return {table.name: [tuple(row) for row in db.session.execute(
                select(table).order_by(*table.primary_key.columns))]
            for table in db.metadata.sorted_tables if table.name not in IGNORED_TABLES}


def photo_files() -> set[str]:
    folder = Path(current_app.config["PHOTO_DIR"])
    return {path.name for path in folder.iterdir()} if folder.exists() else set()


def differences(before: dict[str, list[tuple[Any, ...]]],
                after: dict[str, list[tuple[Any, ...]]]) -> dict[str, str]:
    """The tables whose rows differ, with how many rows are gone and new (a changed row is
    both) and the first new one, short."""
    changed = {}
    for table, rows in before.items():
        gone = [row for row in rows if row not in after[table]]
        new = [row for row in after[table] if row not in rows]
        if gone or new:
            first = str(new[0] if new else gone[0])[:160]
            changed[table] = f"{len(gone)} gone, {len(new)} new, e.g. {first}"
    return changed


class Snapshot:
    """The rows and photo files at one moment, to compare with later."""

    def __init__(self) -> None:
        self.rows, self.files = database_rows(), photo_files()

    def assert_unchanged(self, where: str = "") -> None:
        changed = differences(self.rows, database_rows())
        assert changed == {}, f"{where}: changed rows {changed}"
        assert photo_files() == self.files, f"{where}: photo files written"


@contextmanager
def nothing_stored(where: str = "") -> Iterator[None]:
    """Assert that the block changes no row of any table and writes no photo file."""
    snapshot = Snapshot()
    yield
    snapshot.assert_unchanged(where)

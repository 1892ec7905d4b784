"""The test database's schema, made once per process instead of once per test.

SQLite: the schema is made once in a template file, and each test gets a copy of it (a
fresh file, as before). PostgreSQL: the first test of the process makes the schema, each
later test empties every table and restarts every sequence (ids start at 1 again); if a
test dropped tables (the migration tests do), the schema is made again.

Emptying is DELETE, children first, and one `setval` over all sequences, not TRUNCATE:
TRUNCATE gives each of the 38 tables a new file, synced at commit, about a second per test
(a third of the PostgreSQL pass), where DELETE on a test's few rows takes milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy import create_engine
from sqlalchemy.exc import DBAPIError

from app.extensions import db
from tests.support import infra

# PostgreSQL databases whose schema this process has made
_made: set[str] = set()

# every sequence of the schema back to 1 (setval is not transactional and writes no new file)
RESTART_SEQUENCES = """
    SELECT setval(c.oid, 1, false) FROM pg_class c
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'S' AND n.nspname = current_schema()"""


def sqlite_template(directory: Path) -> Path:
    """An SQLite file holding the empty schema, made once (the caller keeps the path)."""
    path = directory / "schema.db"
    engine = create_engine(f"sqlite:///{path}")
    db.metadata.create_all(engine)
    engine.dispose()
    return path


def copy_sqlite_template(template: Path, url: str) -> None:
    """Before the app opens it: the test's database file as a copy of the template (a new
    file, without the last test's write-ahead log, where the path is the same each test)."""
    infra.copy_database(f"sqlite:///{template}", url)


def reset_postgresql(url: str) -> None:
    """Inside the test's app context: an empty schema (see the module's docstring)."""
    if url in _made:
        try:
            with db.engine.begin() as connection:
                for table in reversed(db.metadata.sorted_tables):
                    connection.execute(table.delete())
                connection.exec_driver_sql(RESTART_SEQUENCES)
            return
        except DBAPIError:
            pass  # a table is missing: make the schema again
    db.drop_all()
    db.create_all()
    _made.add(url)


class MemoryBytecodeCache(BytecodeCache):
    """Compiled templates shared by the apps of one test process (each test makes an app;
    compiling every template again for each was a tenth of a page test's time)."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()

"""Fixtures: app -> db -> client -> staff_client, and factories for the domain objects."""

from __future__ import annotations

import contextvars
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event

from app import create_app
from app.config import TestingConfig
from app.extensions import db as _db
from app.models import Category, Membership, Park, Spot, StaffUser, Unit
from app.security import new_spot_code
from app.services.accounts.staff import hash_password
from app.services.cases.submission import Receipt, submit_case
from tests.support import infra, schema
from tests.support.engines import reuse_engines
from tests.support.openapi import reuse_openapi_documents
from tests.support.routing import reuse_url_builders

TEMPLATES = schema.MemoryBytecodeCache()
reuse_url_builders()  # each test's app is made in a quarter of the time (the module says why)
reuse_engines()  # and its SQL is not compiled again in every test (the same)
reuse_openapi_documents()  # nor its OpenAPI document written again (the same)

PASSWORD = "correct horse battery"  # noqa: S105 - test accounts only
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


# Tests whose outcome may depend on the database: the SQLite pass of `make test` runs them
# (marker "database"; README, "Tests"), the PostgreSQL pass runs everything but "sqlite".
DATABASE_SENSITIVE = (
    "services/", "visitor/", "bureau/", "api/", "staff/test_inbox.py", "test_database.py",
    "test_database_busy.py", "test_backup.py", "test_migrations.py", "test_migrations_data.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        if not item.path.is_relative_to(tests):
            continue
        where = item.path.relative_to(tests).as_posix()
        if where.startswith(DATABASE_SENSITIVE):
            item.add_marker(pytest.mark.database)
        if where.startswith("browser/"):  # every test there drives Chromium
            item.add_marker(pytest.mark.browser)


def database_url(tmp_path: Any) -> str:
    """SQLite in a fresh file per test, or TEST_DATABASE_URL (PostgreSQL) when given (one
    database per xdist worker)."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'test.db'}"
    url = infra.of_this_worker(url)
    problem = infra.database_problem(url)
    if problem:
        infra.missing(problem)
    return url


class IsolatedClient(FlaskClient):
    """A test client whose requests run as they would in a server: in their own context.

    Tests hold an app context open for factories and assertions; without this, requests
    would share its `g` (cached CSRF token, logged-in user) and its database session.
    The test's session is committed first, so that it sees what the request wrote.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        if has_app_context():
            _db.session.commit()
        return contextvars.Context().run(super().open, *args, **kwargs)


def isolated(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a call (a Socket.IO test client connecting, say) outside the test's app context."""
    if has_app_context():
        _db.session.commit()
    return contextvars.Context().run(function, *args, **kwargs)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return schema.sqlite_template(tmp_path_factory.mktemp("schema"))


@pytest.fixture(scope="session")
def database_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the SQLite file of every test's app of this process is (emptied for each
    test): one path, so one engine for them all (tests/support/engines.py)."""
    return tmp_path_factory.mktemp("database")


@pytest.fixture
def app(tmp_path: Any, request: pytest.FixtureRequest, sqlite_template: Path,
        database_folder: Path) -> Iterator[Flask]:
    """An app of the test's own, on an empty database (tests/support/schema.py)."""
    # @pytest.mark.config(NAME=value, ...) on a test overrides settings of its app
    marker = request.node.get_closest_marker("config")
    settings = {"BASE_URL": "https://parks.example.org", "PHOTO_DIR": str(tmp_path / "photos"),
                **(marker.kwargs if marker else {})}
    url = database_url(database_folder)
    if url.startswith("sqlite"):
        schema.copy_sqlite_template(sqlite_template, url)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url, **settings)
    app.test_client_class = IsolatedClient
    app.jinja_env.bytecode_cache = TEMPLATES
    with app.app_context():
        if not url.startswith("sqlite"):
            schema.reset_postgresql(url)
        yield app
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask) -> Any:
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@contextmanager
def sql_statements(engine: Any) -> Iterator[list[str]]:
    """The SQL statements the engine runs inside the block, in order."""
    seen: list[str] = []

    def remember(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", remember)


def csrf_token(client: FlaskClient, url: str) -> str:
    """The CSRF token of the form on a page, as a browser would submit it."""
    page = client.get(url)
    match = CSRF_INPUT.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {url} ({page.status_code})"
    return match.group(1)


# --- factories -------------------------------------------------------------------------

def make_unit(code: str = "RT", **overrides: Any) -> Unit:
    # the production defaults (Unit's column defaults: "me too" on, 24 h); a test that needs
    # separate cases at one spot says so (me_too_window_hours=0) and why
    unit = Unit(code=code, name_zh=overrides.pop("name_zh", f"{code}管理处"),
                name_en=overrides.pop("name_en", f"{code} office"), **overrides)
    unit.categories.extend([
        Category(code="toilets", name_zh="厕所与保洁", name_en="Toilets", icon="🚻",
                 role="cleaning", sort_order=0),
        Category(code="noise", name_zh="噪音", name_en="Noise", icon="🔊", role="security",
                 sort_order=1),
    ])
    park = Park(name_zh=f"{code}公园", name_en=f"{code} Park")
    park.spots.append(Spot(code=new_spot_code(), name_zh="北门厕所",
                             name_en="North gate toilet"))
    unit.parks.append(park)
    _db.session.add(unit)
    _db.session.commit()
    return unit


def make_staff(unit: Unit | None, email: str, roles: tuple[str, ...] = ("director",),
               **overrides: Any) -> StaffUser:
    user = StaffUser(email=email, name=overrides.pop("name", email.split("@")[0]),
                     password_hash=hash_password(PASSWORD), **overrides)
    for role in roles:
        assert unit is not None
        user.memberships.append(Membership(unit_id=unit.id, role=role))
    _db.session.add(user)
    _db.session.commit()
    return user


def make_case(spot: Spot, **overrides: Any) -> Receipt:
    fields: dict[str, Any] = {"category_code": "toilets", "body": "厕所没有纸了"}
    fields.update(overrides)
    return submit_case(spot_id=spot.id, **fields)


def log_in(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client, "/staff/login")
    return client.post("/staff/login", data={"email": email, "password": password,
                                             "csrf_token": token})


@pytest.fixture
def unit(app: Flask) -> Unit:
    return make_unit("RT")


@pytest.fixture
def other_unit(app: Flask) -> Unit:
    return make_unit("XY")


@pytest.fixture
def separate_cases(unit: Unit) -> Unit:
    """"Me too" off for the unit (production: on, 24 h). Only for a test that submits
    several reports at one spot and category and counts them as cases of their own; it
    says why where it asks for this."""
    unit.me_too_window_hours = 0
    _db.session.commit()
    return unit


@pytest.fixture
def spot(unit: Unit) -> Spot:
    return unit.parks[0].spots[0]


@pytest.fixture
def staff(unit: Unit) -> StaffUser:
    return make_staff(unit, "director@rt.test")


@pytest.fixture
def staff_client(app: Flask, staff: StaffUser) -> FlaskClient:
    client = app.test_client()
    response = log_in(client, staff.email)
    assert response.status_code == 303
    return client

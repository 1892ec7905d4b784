"""Logged-in clients of the bureau's two roles."""

from __future__ import annotations

import pytest

from tests.conftest import log_in, make_staff


def bureau_login(app, email: str, role: str):
    make_staff(None, email, roles=(), bureau_role=role)
    client = app.test_client()
    assert log_in(client, email).status_code == 303
    return client


@pytest.fixture
def bureau_client(app, unit, other_unit):
    """A read-only bureau user; two units exist."""
    return bureau_login(app, "viewer@bureau.test", "viewer")


@pytest.fixture
def admin_client(app, unit):
    """A bureau administrator."""
    return bureau_login(app, "admin@bureau.test", "admin")


@pytest.fixture(params=["viewer", "director"])
def reader_client(request, app, unit):
    """A bureau viewer, then a director: both read /bureau, neither may change the city."""
    if request.param == "viewer":
        return bureau_login(app, "viewer@bureau.test", "viewer")
    make_staff(unit, "director@rt.test")
    client = app.test_client()
    assert log_in(client, "director@rt.test").status_code == 303
    return client

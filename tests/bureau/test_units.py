"""Onboarding at /bureau/units/new: bureau administrators only, password shown once; the CLI."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditLog, Unit
from app.services.accounts.staff import authenticate
from tests.conftest import csrf_token, log_in
from tests.support.db_snapshot import nothing_stored
from tests.support.pages import page_text

SECRET = re.compile(r'data-role="temporary-password">([^<]+)<')


def form(client, **overrides):
    data = {"csrf_token": csrf_token(client, "/bureau/units/new"), "name_zh": "龙潭公园管理处",
            "name_en": "Longtan office", "code": "LT",
            "parks": "龙潭公园 | Longtan Park\r\n龙潭西湖公园", "director_name": "刘园长",
            "director_email": "boss@lt.test", "credential": "password"}
    data.update(overrides)
    return data


def units():
    return db.session.scalar(select(func.count()).select_from(Unit))


def test_admin_onboards_a_unit_and_sees_the_password_once(admin_client):
    response = admin_client.post("/bureau/units/new", data=form(admin_client))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = SECRET.search(response.get_data(as_text=True)).group(1)
    assert authenticate("boss@lt.test", password) is not None
    unit = db.session.scalars(select(Unit).where(Unit.code == "LT")).one()
    assert [park.name_zh for park in unit.parks] == ["龙潭公园", "龙潭西湖公园"]
    entry = db.session.scalars(select(AuditLog).where(AuditLog.action == "unit.onboarded")).one()
    assert entry.user_id is not None
    # the new parks are on the league table at once
    assert password not in page_text(admin_client, "/bureau/", "龙潭西湖公园")


def test_a_new_director_can_log_in_and_open_the_settings(app, admin_client):
    page = admin_client.post("/bureau/units/new", data=form(admin_client)).get_data(as_text=True)
    password = SECRET.search(page).group(1)
    director = app.test_client()
    assert log_in(director, "boss@lt.test", password).status_code == 303
    # a temporary password: first the director chooses their own
    assert director.get("/admin/").headers["Location"].startswith("/staff/password")
    response = director.post("/staff/password", data={
        "csrf_token": csrf_token(director, "/staff/password"), "current": password,
        "password": "the director's own passphrase",
        "confirm": "the director's own passphrase"})
    assert response.status_code == 303
    assert director.get("/admin/").status_code == 200


def test_bad_input_shows_the_form_again_and_changes_nothing(admin_client):
    taken = form(admin_client, code="RT")
    with nothing_stored("a code in use"):
        response = admin_client.post("/bureau/units/new", data=taken)
    assert response.status_code == 400
    assert "RT" in response.get_data(as_text=True)
    no_parks = form(admin_client, parks="")
    with nothing_stored("no parks"):
        response = admin_client.post("/bureau/units/new", data=no_parks)
    assert response.status_code == 400


def test_missing_csrf_is_refused(admin_client):
    data = form(admin_client)
    del data["csrf_token"]
    with nothing_stored("no CSRF token"):
        assert admin_client.post("/bureau/units/new", data=data).status_code == 400


def test_viewers_and_directors_get_403(reader_client):
    client = reader_client
    assert client.get("/bureau/units/new").status_code == 403
    data = {"csrf_token": csrf_token(client, "/bureau/"),
            "name_zh": "x", "code": "XX", "parks": "x",
            "director_name": "x", "director_email": "x@x.test"}
    with nothing_stored("not a bureau admin"):
        assert client.post("/bureau/units/new", data=data).status_code == 403
    assert units() == 1


def test_anonymous_is_sent_to_login(client):
    response = client.get("/bureau/units/new")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_cli_creates_the_first_bureau_admin(app):
    result = app.test_cli_runner().invoke(args=["users", "create-bureau-admin",
                                                "chief@bureau.test"])
    assert result.exit_code == 0, result.output
    password = re.search(r"temporary password \(shown only now\): (\S+)", result.output).group(1)
    assert authenticate("chief@bureau.test", password).bureau_role == "admin"
    again = app.test_cli_runner().invoke(args=["users", "create-bureau-admin",
                                               "chief@bureau.test"])
    assert again.exit_code == 1


def test_cli_creates_a_unit_with_its_director(app):
    result = app.test_cli_runner().invoke(args=[
        "units", "create", "龙潭公园管理处", "--code", "LT", "--park", "龙潭公园|Longtan Park",
        "--park", "龙潭西湖公园", "--director", "boss@lt.test"])
    assert result.exit_code == 0, result.output
    assert "unit LT created with 2 park(s)" in result.output
    password = re.search(r"temporary password \(shown only now\): (\S+)", result.output).group(1)
    assert authenticate("boss@lt.test", password) is not None


def test_cli_refuses_a_bad_unit_and_changes_nothing(app):
    result = app.test_cli_runner().invoke(args=[
        "units", "create", "龙潭", "--code", "1", "--park", "龙潭公园", "--director", "b@lt.test"])
    assert result.exit_code == 1
    assert "Error" in result.output
    assert units() == 0


def test_the_page_lists_the_units_so_far(admin_client, other_unit):
    page = admin_client.get("/bureau/units/new").get_data(as_text=True)
    assert "RT管理处" in page
    assert "XY公园" in page

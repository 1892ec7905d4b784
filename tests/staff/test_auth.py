"""Staff login, logout and the pages that need a login."""

from __future__ import annotations

import pytest

from app.services.demo.ritan import create_demo_data
from tests.conftest import PASSWORD, csrf_token, log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.pages import page_text

PROTECTED = [
    ("get", "/staff/"),
    ("get", "/staff/cases/1"),
    ("post", "/staff/cases/1/reply"),
    ("post", "/staff/logout"),
]


@pytest.mark.parametrize(("method", "url"), PROTECTED)
def test_protected_urls_need_a_login(client, spot, method, url):
    make_case(spot)  # case 1 exists: only the missing login can refuse
    # with the CSRF token of the login form, as a browser would send: the login check answers
    data = {"csrf_token": csrf_token(client, "/staff/login")} if method == "post" else None
    with nothing_stored(url):
        response = client.open(url, method=method.upper(), data=data)
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_login_with_right_password(client, staff):
    response = log_in(client, staff.email)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/")
    assert client.get("/staff/").status_code == 200


def test_login_is_case_insensitive_on_email(client, staff):
    assert log_in(client, staff.email.upper()).status_code == 303


def test_wrong_password_is_refused(client, staff):
    response = log_in(client, staff.email, "not the password")
    assert response.status_code == 401
    assert client.get("/staff/").status_code == 302


def test_unknown_email_is_refused_the_same_way(client, unit):
    response = log_in(client, "nobody@rt.test", PASSWORD)
    assert response.status_code == 401


def test_inactive_account_cannot_log_in(client, unit, db):
    user = make_staff(unit, "gone@rt.test", active=False)
    assert log_in(client, user.email).status_code == 401


def test_login_without_csrf_token_is_400(client, staff):
    client.get("/staff/login")
    response = client.post("/staff/login", data={"email": staff.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_next_is_followed_only_for_local_paths(client, staff):
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login?next=https://evil.example/", data={
        "email": staff.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"].endswith("/staff/")


def test_logout_ends_the_session_server_side(app, staff_client, staff):
    cookie = staff_client.get_cookie("session")
    token = csrf_token(staff_client, "/staff/")
    assert staff_client.post("/staff/logout", data={"csrf_token": token}).status_code == 303
    # a copy of the old cookie is worthless now
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert replay.get("/staff/").status_code == 302


def test_demo_logins_are_listed_only_when_demo_data_is_loaded(client, db):
    assert "director@ritan.demo" not in page_text(client, "/staff/login", 'name="password"')
    create_demo_data()
    html = client.get("/staff/login").get_data(as_text=True)
    for email in ("director@ritan.demo", "security@ritan.demo", "cleaning@ritan.demo",
                  "bureau@parks.demo"):
        assert email in html


def test_demo_accounts_log_in_with_the_published_password(client, db):
    create_demo_data()
    assert log_in(client, "security@ritan.demo", "demo12345").status_code == 303

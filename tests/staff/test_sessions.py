"""Staff accounts and sessions: passwords, login throttling, cookies, timeouts, origins."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from argon2 import Type, extract_parameters
from sqlalchemy import func, select

from app.config import ProductionConfig
from app.extensions import socketio
from app.models import Case, StaffUser
from app.models.types import utcnow
from app.realtime import NAMESPACE
from app.security import make_socket_origin_check
from app.services.accounts.staff import (
    MIN_PASSWORD_LENGTH,
    accept_invite,
    make_invite_token,
    validate_new_password,
)
from app.services.errors import DomainError
from tests.conftest import PASSWORD, csrf_token, isolated, log_in, make_staff

# --- passwords -------------------------------------------------------------------------

@pytest.mark.parametrize("password", ["", "short", "x" * (MIN_PASSWORD_LENGTH - 1), "y" * 129,
                                      "director@rt.test"])
def test_weak_new_passwords_are_refused(password):
    with pytest.raises(DomainError):
        validate_new_password(password, "director@rt.test")


def test_setting_a_password_checks_it_and_ends_other_sessions(app, db, staff, staff_client):
    token = make_invite_token(staff)
    for weak in ("too short", staff.email.upper()):
        with pytest.raises(DomainError):
            accept_invite(token, weak)
    assert staff_client.get("/staff/").status_code == 200  # a refused password changed nothing
    accept_invite(token, "a much longer passphrase")
    assert staff_client.get("/staff/").status_code == 302  # the old session is gone
    assert log_in(app.test_client(), staff.email, "a much longer passphrase").status_code == 303


# the one test at production cost: the others run with TestingConfig's cheap parameters
@pytest.mark.config(PASSWORD_HASH_PARAMETERS=ProductionConfig.PASSWORD_HASH_PARAMETERS)
def test_passwords_are_hashed_with_argon2id_at_owasp_parameters(app, staff):
    assert log_in(app.test_client(), staff.email).status_code == 303
    parameters = extract_parameters(staff.password_hash)
    assert parameters.type is Type.ID
    # OWASP Password Storage Cheat Sheet: at least m = 19 MiB, t = 2, p = 1
    assert parameters.memory_cost >= 19 * 1024
    assert parameters.time_cost >= 2
    assert parameters.parallelism >= 1


# --- login throttling and logging ------------------------------------------------------

@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMIT="5 per minute")
def test_sixth_failed_login_is_throttled_even_from_other_addresses(app, staff, unit):
    for n in range(5):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"203.0.113.{n}"
        assert log_in(client, staff.email, f"wrong guess {n}").status_code == 401
    # the 6th attempt, even with the right password and from yet another address
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = "198.51.100.1"
    response = log_in(client, staff.email, PASSWORD)
    assert response.status_code == 429
    # says when to come back: within the minute the failures are counted in
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert client.get("/staff/").status_code == 302
    # another account is not affected
    other = make_staff(unit, "guard@rt.test", roles=("security",))
    assert log_in(app.test_client(), other.email).status_code == 303


@pytest.mark.config(RATELIMIT_ENABLED=True, LOGIN_FAILURE_LIMIT="5 per minute")
def test_the_throttle_ends_after_the_window(app, staff):
    with time_machine.travel(utcnow(), tick=False) as clock:
        for n in range(5):
            log_in(app.test_client(), staff.email, f"wrong guess {n}")
        assert log_in(app.test_client(), staff.email).status_code == 429
        clock.shift(timedelta(seconds=61))
        assert log_in(app.test_client(), staff.email).status_code == 303


def test_attempts_are_logged_without_the_password(app, staff, caplog):
    caplog.set_level(logging.INFO)
    log_in(app.test_client(), staff.email, "secret-wrong-guess")
    log_in(app.test_client(), staff.email, PASSWORD)
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "failed login for director@rt.test" in text
    assert f"login by user {staff.id}" in text
    assert "secret-wrong-guess" not in text
    assert PASSWORD not in text


# --- cookies and sessions --------------------------------------------------------------

@pytest.mark.config(SESSION_COOKIE_SECURE=None)  # decided from BASE_URL (https in tests)
def test_session_cookie_flags_over_https(app, staff):
    client = app.test_client()
    response = log_in(client, staff.email)
    cookie = next(v for k, v in response.headers.items()
                  if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert "Secure" in cookie
    assert "Expires=" in cookie  # ends with the absolute timeout, not "never"


@pytest.mark.config(SESSION_COOKIE_SECURE=None, BASE_URL="http://127.0.0.1:5000")
def test_session_cookie_is_not_secure_over_plain_http(app, staff):
    response = log_in(app.test_client(), staff.email)
    cookie = next(v for k, v in response.headers.items()
                  if k == "Set-Cookie" and v.startswith("session="))
    assert "Secure" not in cookie


def test_login_starts_a_new_session(app, staff):
    client = app.test_client()
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    log_in(client, staff.email)
    with client.session_transaction() as session:
        assert "planted" not in session
        assert "login_at" in session


@pytest.mark.config(SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=12)
def test_idle_session_ends(app, staff):
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = app.test_client()
        log_in(client, staff.email)
        clock.shift(timedelta(minutes=25))
        assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=25))  # 25 minutes since the last request: still on
        assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/staff/")
        assert response.status_code == 302
        assert "/staff/login" in response.headers["Location"]


@pytest.mark.config(SESSION_IDLE_MINUTES=30, SESSION_MAX_HOURS=2)
def test_session_ends_at_the_absolute_timeout_even_when_used(app, staff):
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = app.test_client()
        log_in(client, staff.email)
        for _ in range(4):
            clock.shift(timedelta(minutes=29))
            assert client.get("/staff/").status_code == 200
        clock.shift(timedelta(minutes=10))  # 126 minutes after login
        assert client.get("/staff/").status_code == 302


@pytest.mark.config(SESSION_IDLE_MINUTES=30)
def test_an_expired_session_cannot_open_the_socket(app, staff):
    with time_machine.travel(utcnow(), tick=False) as clock:
        client = app.test_client()
        log_in(client, staff.email)
        clock.shift(timedelta(minutes=31))
        socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                          flask_test_client=client)
        assert not socket.is_connected(NAMESPACE)


def test_logout_invalidates_the_session_server_side(app, db, staff, staff_client):
    cookie = staff_client.get_cookie("session")
    staff_client.post("/staff/logout", data={"csrf_token": csrf_token(staff_client, "/staff/")})
    replay = app.test_client()
    replay.set_cookie("session", cookie.value)
    assert replay.get("/staff/").status_code == 302
    nonce = db.session.get(StaffUser, staff.id).session_nonce
    assert nonce not in cookie.value


# --- CSRF and origins ------------------------------------------------------------------

def count_cases(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Case))


def test_post_from_a_foreign_origin_is_403_and_stores_nothing(client, db, spot):
    token = csrf_token(client, f"/q/{spot.code}")
    response = client.post(f"/q/{spot.code}", headers={"Origin": "https://evil.example"},
                           data={"category": "toilets", "body": "csrf", "csrf_token": token})
    assert response.status_code == 403
    assert count_cases(db) == 0


@pytest.mark.parametrize("origin", ["https://parks.example.org", "http://localhost", "null"])
def test_post_from_our_own_origin_is_accepted(client, db, spot, origin):
    token = csrf_token(client, f"/q/{spot.code}")
    response = client.post(f"/q/{spot.code}", headers={"Origin": origin},
                           data={"category": "toilets", "body": "ok", "csrf_token": token})
    assert response.status_code == 303
    assert count_cases(db) == 1


@pytest.mark.config(ALLOWED_ORIGINS=("https://intranet.parks.example",))
def test_extra_allowed_origins(client, db, spot):
    token = csrf_token(client, f"/q/{spot.code}")
    response = client.post(f"/q/{spot.code}",
                           headers={"Origin": "https://intranet.parks.example"},
                           data={"category": "toilets", "body": "ok", "csrf_token": token})
    assert response.status_code == 303


def test_staff_post_from_a_foreign_origin_is_refused(db, staff_client, spot):
    from tests.conftest import make_case

    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    response = staff_client.post(f"/staff/cases/{receipt.case.id}/reply",
                                 headers={"Origin": "https://evil.example"},
                                 data={"body": "forged", "csrf_token": token})
    assert response.status_code == 403
    assert len(db.session.get(Case, receipt.case.id).messages) == 1


def test_socket_origin_check():
    check = make_socket_origin_check({"BASE_URL": "https://parks.example.org",
                                      "ALLOWED_ORIGINS": ("https://intranet.example",)})
    environ = {"HTTP_HOST": "10.0.0.5:8000", "wsgi.url_scheme": "http"}
    assert check("https://parks.example.org", environ)
    assert check("https://intranet.example", environ)
    assert check("http://10.0.0.5:8000", environ)  # the host the socket was opened on
    assert not check("https://evil.example", environ)
    assert not check("null", environ)
    assert check(None, environ)  # not a browser: the session cookie decides


def test_the_socket_server_accepts_only_the_site_origins(app):
    allowed = socketio.server.eio.cors_allowed_origins
    assert allowed != "*"
    assert callable(allowed)
    environ = {"HTTP_HOST": "127.0.0.1:5000", "wsgi.url_scheme": "http"}
    assert allowed("https://parks.example.org", environ)
    assert not allowed("https://evil.example", environ)

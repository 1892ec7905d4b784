"""People change their own password; a temporary one someone else chose must go first."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db as _db
from app.models import AuditLog, StaffUser
from app.services.accounts.staff import authenticate
from tests.admin.test_staff_accounts import create, shown_secret
from tests.conftest import PASSWORD, csrf_token, log_in, make_staff

NEW = "a brand new passphrase"


def change(client, current, new, confirm=None, url="/staff/password"):
    return client.post(url, data={"csrf_token": csrf_token(client, "/staff/password"),
                                  "current": current, "password": new,
                                  "confirm": new if confirm is None else confirm})


def account(email):
    _db.session.expire_all()
    return _db.session.scalar(select(StaffUser).where(StaffUser.email == email))


@pytest.fixture
def newcomer(app, staff_client, unit):
    """A cleaner whose director made the account with a temporary password, logged in."""
    password = shown_secret(create(staff_client))
    client = app.test_client()
    assert log_in(client, "wang@rt.test", password).status_code == 303
    return client, password


def test_a_temporary_password_must_be_changed_before_anything_else(newcomer, spot):
    client, _password = newcomer
    assert account("wang@rt.test").password_change_required
    for path in ("/staff/", "/admin/", "/bureau/"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["Location"].startswith("/staff/password?next=")
    api = client.get("/api/v1/cases")
    assert api.status_code == 403
    assert "password" in api.get_json()["message"]
    open311 = client.get("/open311/v2/services.json")  # in the Open311 spec's error shape
    assert open311.status_code == 403
    assert "password" in open311.get_json()[0]["description"]
    page = client.get("/staff/password")
    assert page.status_code == 200
    assert "临时密码" in page.get_data(as_text=True)


def test_changing_it_lets_them_in_and_ends_the_old_password(app, newcomer):
    client, password = newcomer
    other_session = app.test_client()
    assert log_in(other_session, "wang@rt.test", password).status_code == 303
    response = change(client, password, NEW)
    assert response.status_code == 303
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200  # this session goes on
    user = account("wang@rt.test")
    assert not user.password_change_required
    assert authenticate("wang@rt.test", password) is None
    assert authenticate("wang@rt.test", NEW) is not None
    # the other session, opened with the temporary password, is logged out
    assert other_session.get("/staff/").headers["Location"].startswith("/staff/login")
    entry = _db.session.scalar(select(AuditLog).where(AuditLog.action == "staff.password_changed"))
    assert entry.target_id == user.id
    assert NEW not in str(entry.after)


@pytest.mark.parametrize(("current", "new", "confirm"), [
    ("wrong password!!", NEW, NEW),        # the current one is wrong
    (None, NEW, "something else entirely"),  # the two differ
    (None, "short", "short"),               # too short
    (None, "WANG@rt.test", "WANG@rt.test"),  # the e-mail address (validate_new_password)
    (None, None, None),                     # the same as the temporary one
])
def test_a_refused_change_changes_nothing(newcomer, current, new, confirm):
    client, password = newcomer
    before = account("wang@rt.test").password_hash
    response = change(client, current or password, new or password, confirm or new or password)
    assert response.status_code == 400
    assert 'class="field-errors"' in response.get_data(as_text=True) or\
        "form-problem" in response.get_data(as_text=True)
    user = account("wang@rt.test")
    assert (user.password_hash, user.password_change_required) == (before, True)


def test_anyone_may_change_their_password_from_the_menu(staff_client, staff):
    assert 'href="/staff/password"' in staff_client.get("/staff/").get_data(as_text=True)
    assert not account(staff.email).password_change_required
    assert change(staff_client, PASSWORD, NEW).status_code == 303
    assert authenticate(staff.email, NEW) is not None


def test_a_reset_to_a_temporary_password_requires_a_change_a_link_does_not(
        staff_client, unit):
    member = make_staff(unit, "guard@rt.test", roles=("security",))
    response = staff_client.post(f"/admin/staff/{member.id}/password", data={
        "csrf_token": csrf_token(staff_client, f"/admin/staff/{member.id}"),
        "credential": "password"})
    assert response.status_code == 200
    assert account("guard@rt.test").password_change_required


def test_a_socket_waits_for_the_new_password(app, newcomer):
    from app.extensions import socketio
    from app.realtime import NAMESPACE

    client, _password = newcomer
    socket = socketio.test_client(app, namespace=NAMESPACE, flask_test_client=client)
    assert not socket.is_connected(NAMESPACE)

"""Flask-Login's session protection guards staff sessions, and leaves a visitor's alone
(app/extensions.py, `StaffLoginManager`)."""

from __future__ import annotations

from sqlalchemy import select

from app.models import Case
from tests.conftest import csrf_token

PHONE = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Mobile Safari/537.36"}


def session_cookies(response) -> list[str]:
    return [header for header in response.headers.getlist("Set-Cookie")
            if header.startswith("session=")]


def test_a_visitors_report_does_not_rewrite_their_session_cookie(client, db, spot):
    """The form page gives the session (its CSRF token); sending the form changes nothing
    in it, so the answer sets no session cookie again."""
    token = csrf_token(client, f"/q/{spot.code}")
    answer = client.post(f"/q/{spot.code}", headers=PHONE, data={
        "csrf_token": token, "category": "toilets", "body": "北门厕所没有纸了"})
    assert answer.status_code == 303
    assert session_cookies(answer) == []
    with client.session_transaction() as session:
        assert "_fresh" not in session
    assert db.session.scalar(select(Case.body).where(Case.spot_id == spot.id)) == "北门厕所没有纸了"


def test_a_staff_session_used_from_another_browser_is_no_longer_fresh(staff_client):
    """Session protection ("basic") still marks a logged-in session seen from another
    address and browser as not fresh; the staff member stays logged in."""
    with staff_client.session_transaction() as session:
        assert session.get("_fresh") is True
        assert session.get("_user_id")
    page = staff_client.get("/staff/", headers=PHONE,
                            environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert page.status_code == 200
    with staff_client.session_transaction() as session:
        assert session.get("_fresh") is False
        assert session.get("_user_id")

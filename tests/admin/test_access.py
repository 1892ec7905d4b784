"""/admin is for directors of the unit only."""

from __future__ import annotations

from tests.conftest import log_in, make_staff


def test_anonymous_is_sent_to_login(client, unit):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_non_director_gets_403(app, unit):
    guard = make_staff(unit, "security@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, guard.email)
    assert client.get("/admin/").status_code == 403


def test_director_sees_settings(staff_client):
    response = staff_client.get("/admin/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"

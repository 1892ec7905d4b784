"""/admin/api-keys: directors issue and revoke their unit's keys; bureau admins any key."""

from __future__ import annotations

import re

from app.models import ApiKey, AuditLog
from app.services.accounts.api_keys import find_api_key, hash_api_key, issue_api_key
from tests.conftest import csrf_token, log_in, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.pages import page_text

SECRET = re.compile(r'<code class="secret" id="new-key">(pmk_[^<]+)</code>')


def issue(client, name="12345 hotline", unit="1"):
    token = csrf_token(client, "/admin/api-keys")
    return client.post("/admin/api-keys", data={"name": name, "unit": unit,
                                                "csrf_token": token})


def test_anonymous_is_sent_to_login(client, unit):
    response = client.get("/admin/api-keys")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


def test_security_staff_get_403(app, unit):
    guard = make_staff(unit, "security@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, guard.email)
    assert client.get("/admin/api-keys").status_code == 403


def test_director_issues_a_key_shown_once_and_stored_hashed(staff_client, db, unit):
    response = issue(staff_client, unit=str(unit.id))
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    secret = SECRET.search(response.get_data(as_text=True)).group(1)
    key = db.session.query(ApiKey).one()
    assert key.unit_id == unit.id
    assert key.key_hash == hash_api_key(secret)
    assert secret not in page_text(staff_client, "/admin/api-keys", "12345 hotline", key.prefix)
    assert find_api_key(secret).id == key.id
    assert db.session.query(AuditLog).filter_by(action="api_key.issue").count() == 1


def test_director_cannot_issue_for_another_unit(staff_client, db, unit, other_unit):
    token = csrf_token(staff_client, "/admin/api-keys")
    with nothing_stored("a key for another unit"):
        response = staff_client.post("/admin/api-keys", data={
            "name": "12345 hotline", "unit": str(other_unit.id), "csrf_token": token})
    assert response.status_code == 400  # not one of the form's choices


def test_director_revokes_a_key(staff_client, db, staff, unit):
    issued = issue_api_key(user=staff, unit_id=unit.id, name="old system")
    token = csrf_token(staff_client, "/admin/api-keys")
    response = staff_client.post(f"/admin/api-keys/{issued.key.id}/revoke",
                                 data={"csrf_token": token})
    assert response.status_code == 303
    assert find_api_key(issued.secret) is None
    assert db.session.query(AuditLog).filter_by(action="api_key.revoke").count() == 1


def test_another_units_key_is_404(app, staff_client, other_unit):
    outsider = make_staff(other_unit, "director@xy.test")
    theirs = issue_api_key(user=outsider, unit_id=other_unit.id, name="theirs")
    token = csrf_token(staff_client, "/admin/api-keys")
    response = staff_client.post(f"/admin/api-keys/{theirs.key.id}/revoke",
                                 data={"csrf_token": token})
    assert response.status_code == 404
    assert find_api_key(theirs.secret) is not None
    issue(staff_client, name="ours")
    assert "theirs" not in page_text(staff_client, "/admin/api-keys", "ours")


def test_revoke_without_csrf_is_refused(staff_client, staff, unit):
    issued = issue_api_key(user=staff, unit_id=unit.id, name="kept")
    with nothing_stored("a revoke without CSRF"):
        response = staff_client.post(f"/admin/api-keys/{issued.key.id}/revoke")
    assert response.status_code == 400
    assert find_api_key(issued.secret) is not None


def test_bureau_admin_issues_a_bureau_wide_key(app, db, unit, other_unit):
    admin = make_staff(None, "admin@bureau.test", roles=(), bureau_role="admin")
    client = app.test_client()
    log_in(client, admin.email)
    page = client.get("/admin/api-keys").get_data(as_text=True)
    assert "XY管理处" in page
    assert "RT管理处" in page
    response = issue(client, unit="bureau")
    assert response.status_code == 200
    assert db.session.query(ApiKey).one().unit_id is None


def test_bureau_viewer_gets_403(app, unit):
    viewer = make_staff(None, "viewer@bureau.test", roles=(), bureau_role="viewer")
    client = app.test_client()
    log_in(client, viewer.email)
    assert client.get("/admin/api-keys").status_code == 403


def test_the_bureau_dashboard_links_admins_to_their_keys(app, unit):
    admin = make_staff(None, "admin@bureau.test", roles=(), bureau_role="admin")
    viewer = make_staff(None, "viewer@bureau.test", roles=(), bureau_role="viewer")
    for user, linked in ((admin, True), (viewer, False)):
        client = app.test_client()
        log_in(client, user.email)
        page = client.get("/bureau/").get_data(as_text=True)
        assert ('href="/admin/api-keys"' in page) is linked

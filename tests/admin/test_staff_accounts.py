"""Directors manage their unit's staff: create or invite, roles, deactivate, reset."""

from __future__ import annotations

import re

import time_machine
from sqlalchemy import select

from app.models import Membership, StaffUser
from app.models.types import utcnow
from tests.admin.helpers import audit_entries, submit
from tests.conftest import csrf_token, log_in, make_staff
from tests.support.db_snapshot import nothing_stored

SECRET = re.compile(r'data-role="(temporary-password|invite-link)">([^<]+)<')


def shown_secret(response):
    match = SECRET.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)
    return match.group(2).strip()


def create(client, **overrides):
    data = {"name": "王师傅", "email": "Wang@RT.test", "roles": ["cleaning"],
            "credential": "password", **overrides}
    return submit(client, "/admin/staff/new", data)


def test_list_shows_the_units_staff_only(staff_client, unit, other_unit):
    make_staff(unit, "guard@rt.test", roles=("security",), name="保安李")
    make_staff(other_unit, "other@xy.test", roles=("security",), name="别的单位")
    html = staff_client.get("/admin/staff").get_data(as_text=True)
    assert "保安李" in html
    assert "别的单位" not in html


def test_create_with_a_temporary_password_shown_once(app, staff_client, db, unit, staff):
    response = create(staff_client)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    password = shown_secret(response)
    user = db.session.scalar(select(StaffUser).where(StaffUser.email == "wang@rt.test"))
    assert user.roles_in(unit.id) == {"cleaning"}
    assert user.password_hash.startswith("$argon2id$")
    assert password not in user.password_hash
    [entry] = audit_entries("staff.created")
    assert entry.user_id == staff.id
    assert entry.after["roles"] == ["cleaning"]
    assert password not in str(entry.after)
    newcomer = app.test_client()
    assert log_in(newcomer, "wang@rt.test", password).status_code == 303
    # shown once: the member's page never repeats it
    page = staff_client.get(f"/admin/staff/{user.id}").get_data(as_text=True)
    assert password not in page


def test_an_existing_email_is_refused(staff_client, db, unit):
    make_staff(unit, "wang@rt.test", roles=("cleaning",))
    with nothing_stored("an existing e-mail"):
        response = create(staff_client)
    assert response.status_code == 400


def test_create_with_an_invite_link(app, staff_client, db, unit):
    link = shown_secret(create(staff_client, credential="link"))
    assert link.startswith("https://parks.example.org/admin/invite/")
    path = link.removeprefix("https://parks.example.org")
    visitor = app.test_client()
    assert log_in(visitor, "wang@rt.test", "").status_code != 303
    page = visitor.get(path)
    assert page.status_code == 200
    assert "wang@rt.test" in page.get_data(as_text=True)
    response = submit(visitor, path, {"password": "a new password", "confirm": "a new password"})
    assert response.status_code == 303
    assert log_in(app.test_client(), "wang@rt.test", "a new password").status_code == 303
    # used once: the link is dead now
    assert visitor.get(path).status_code == 404
    assert len(audit_entries("staff.password_set")) == 1


def test_an_invite_link_expires(app, staff_client, db, unit):
    link = shown_secret(create(staff_client, credential="link"))
    path = link.removeprefix("https://parks.example.org")
    later = utcnow().timestamp() + app.config["STAFF_INVITE_HOURS"] * 3600 + 60
    with time_machine.travel(later, tick=False):
        response = app.test_client().get(path)
    assert response.status_code == 410


def test_a_forged_invite_link_is_404(client, unit):
    assert client.get("/admin/invite/not-a-real-token").status_code == 404


def test_set_roles(staff_client, db, unit, staff):
    member = make_staff(unit, "guard@rt.test", roles=("security",))
    response = submit(staff_client, f"/admin/staff/{member.id}/roles",
                      {"roles": ["security", "maintenance"]},
                      form_url=f"/admin/staff/{member.id}")
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(StaffUser, member.id).roles_in(unit.id) == {"security", "maintenance"}
    [entry] = audit_entries("staff.roles_set")
    assert (entry.before, entry.after) == ({"roles": ["security"]},
                                           {"roles": ["maintenance", "security"]})


def test_roles_elsewhere_are_untouched(staff_client, db, unit, other_unit):
    member = make_staff(unit, "both@rt.test", roles=("security",))
    db.session.add(Membership(user_id=member.id, unit_id=other_unit.id, role="director"))
    db.session.commit()
    submit(staff_client, f"/admin/staff/{member.id}/roles", {"roles": ["cleaning"]},
           form_url=f"/admin/staff/{member.id}")
    db.session.expire_all()
    member = db.session.get(StaffUser, member.id)
    assert member.roles_in(unit.id) == {"cleaning"}
    assert member.roles_in(other_unit.id) == {"director"}


def test_a_director_keeps_their_own_director_role(staff_client, db, unit, staff):
    with nothing_stored("a director's own director role"):
        response = submit(staff_client, f"/admin/staff/{staff.id}/roles",
                          {"roles": ["security"]}, form_url=f"/admin/staff/{staff.id}")
    assert response.status_code == 400


def test_deactivate_logs_out_everywhere_and_reactivate(app, staff_client, db, unit):
    member = make_staff(unit, "guard@rt.test", roles=("security",))
    guard_phone = app.test_client()
    log_in(guard_phone, member.email)
    assert guard_phone.get("/staff/").status_code == 200
    response = submit(staff_client, f"/admin/staff/{member.id}/deactivate", {},
                      form_url=f"/admin/staff/{member.id}")
    assert response.status_code == 303
    assert guard_phone.get("/staff/").status_code == 302  # logged out
    assert log_in(app.test_client(), member.email).status_code != 303
    submit(staff_client, f"/admin/staff/{member.id}/reactivate", {},
           form_url=f"/admin/staff/{member.id}")
    assert log_in(app.test_client(), member.email).status_code == 303
    assert [e.action for e in audit_entries("staff.deactivated") + audit_entries(
        "staff.activated")] == ["staff.deactivated", "staff.activated"]


def test_reset_password_logs_out_and_shows_a_new_one(app, staff_client, db, unit):
    member = make_staff(unit, "guard@rt.test", roles=("security",))
    guard_phone = app.test_client()
    log_in(guard_phone, member.email)
    response = submit(staff_client, f"/admin/staff/{member.id}/password",
                      {"credential": "password"}, form_url=f"/admin/staff/{member.id}")
    assert response.status_code == 200
    password = shown_secret(response)
    assert guard_phone.get("/staff/").status_code == 302
    assert log_in(app.test_client(), member.email).status_code != 303  # the old one is dead
    assert log_in(app.test_client(), member.email, password).status_code == 303
    assert audit_entries("staff.password_reset")[0].after == {"credential": "password"}


def test_a_newer_link_replaces_an_older_one(app, staff_client, db, unit):
    member = make_staff(unit, "guard@rt.test", roles=("security",))
    first, second = (shown_secret(submit(staff_client, f"/admin/staff/{member.id}/password",
                                         {"credential": "link"},
                                         form_url=f"/admin/staff/{member.id}"))
                     for _ in range(2))
    visitor = app.test_client()
    assert visitor.get(first.removeprefix("https://parks.example.org")).status_code == 404
    assert visitor.get(second.removeprefix("https://parks.example.org")).status_code == 200


def test_no_account_wide_change_to_oneself_or_a_shared_account(staff_client, db, unit,
                                                               other_unit, staff):
    shared = make_staff(unit, "both@rt.test", roles=("security",))
    db.session.add(Membership(user_id=shared.id, unit_id=other_unit.id, role="security"))
    db.session.commit()
    token = csrf_token(staff_client, "/admin/staff")
    for target in (staff.id, shared.id):
        for action, data in (("deactivate", {}), ("password", {"credential": "password"})):
            with nothing_stored(f"{action} of {target}"):
                response = staff_client.post(f"/admin/staff/{target}/{action}",
                                             data={**data, "csrf_token": token})
            assert response.status_code == 400, (target, action)

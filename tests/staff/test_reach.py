"""How alerts reach each person (issue 16, point 4): their own settings on /staff/alerts,
login by mobile, quiet hours against urgent pushes, and the directors' reachability
warning."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, PushDelivery, PushSubscription, Spot, StaffUser, Unit
from app.services.accounts.reach import normalise_mobile, routing_gaps
from app.services.errors import DomainError
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored

# 11:00 in Beijing
MORNING = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)


def reach_form(**overrides: str) -> dict[str, str]:
    return {"mobile": "138 0013 8000", "alert_push": "y", "alert_sms": "y",
            "quiet_start": "", "quiet_end": "", "on_call": "y", **overrides}


def post_reach(client, **overrides: str):
    data = {**reach_form(**overrides), "csrf_token": csrf_token(client, "/staff/alerts")}
    return client.post("/staff/alerts/reach", data=data)


@pytest.mark.parametrize("raw", ["13800138000", "138 0013 8000", "+86 138-0013-8000",
                                 "008613800138000", "8613800138000"])
def test_chinese_mobiles_are_normalised(raw: str) -> None:
    assert normalise_mobile(raw) == "+8613800138000"


@pytest.mark.parametrize("raw", ["1380013800", "23800138000", "12800138000", "+1 415 555 0100",
                                 "138001380001", "abc"])
def test_other_numbers_are_refused(raw: str) -> None:
    with pytest.raises(DomainError):
        normalise_mobile(raw)


def test_a_person_sets_how_alerts_reach_them(app: Flask, staff: StaffUser, staff_client) -> None:
    answer = post_reach(staff_client, quiet_start="22:00", quiet_end="07:00")
    assert answer.status_code == 303
    db.session.expire_all()
    person = db.session.get(StaffUser, staff.id)
    assert person is not None
    assert (person.mobile, person.alert_sms, person.quiet_start, person.quiet_end,
            person.on_call) == ("+8613800138000", True, "22:00", "07:00", True)
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "account.reach_updated"))
    assert entry is not None
    assert "13800138000" not in str(entry.after)  # the log keeps only the last four
    page = staff_client.get("/staff/alerts").get_data(as_text=True)
    assert 'value="+8613800138000"' in page


@pytest.mark.parametrize(("overrides", "reason"), [
    ({"mobile": "12345"}, "11"),
    ({"mobile": "", "alert_sms": "y"}, "mobile"),
    ({"quiet_start": "22:00", "quiet_end": ""}, "start"),
    ({"quiet_start": "25:00", "quiet_end": "07:00"}, "22:00"),
])
def test_bad_input_shows_the_form_again_with_the_reason(staff_client, overrides, reason) -> None:
    staff_client.get("/staff/alerts?lang=en")  # the reasons read in English
    with nothing_stored("/staff/alerts/reach"):
        answer = post_reach(staff_client, **overrides)
    assert answer.status_code == 400
    page = answer.get_data(as_text=True)
    assert 'id="reach"' in page
    assert reason in page


def test_a_mobile_another_account_has_is_refused(app: Flask, unit: Unit, staff_client) -> None:
    make_staff(unit, "other@rt.test", ("cleaning",), mobile="+8613800138000")
    with nothing_stored("/staff/alerts/reach"):
        assert post_reach(staff_client).status_code == 400


def test_a_viewer_sets_nothing(app: Flask, unit: Unit) -> None:
    viewer = make_staff(unit, "viewer@rt.test", ("viewer",))
    client = app.test_client()
    assert log_in(client, viewer.email).status_code == 303
    with nothing_stored("/staff/alerts/reach"):
        assert post_reach(client).status_code == 403
    assert 'id="reach"' not in client.get("/staff/alerts").get_data(as_text=True)


def test_staff_log_in_with_their_mobile(app: Flask, unit: Unit, client) -> None:
    make_staff(unit, "guard@rt.test", ("security",), mobile="+8613900139000")
    assert log_in(client, "139 0013 9000").status_code == 303
    assert client.get("/staff/").status_code == 200


def test_a_wrong_password_with_a_mobile_is_refused(app: Flask, unit: Unit, client) -> None:
    make_staff(unit, "guard@rt.test", ("security",), mobile="+8613900139000")
    assert log_in(client, "13900139000", "wrong password").status_code == 401
    assert log_in(client, "13900139001").status_code == 401  # nobody's number


# --- quiet hours against urgent pushes ----------------------------------------------------

def _phone_of(user: StaffUser) -> None:
    db.session.add(PushSubscription(user_id=user.id, endpoint=f"https://push.test/{user.id}",
                                    p256dh="x", auth="y"))
    db.session.commit()


def _pushed_events() -> list[str]:
    db.session.commit()
    return list(db.session.scalars(select(PushDelivery.event)))


@time_machine.travel(MORNING, tick=False)
def test_quiet_hours_hold_back_an_ordinary_case(app: Flask, unit: Unit, spot: Spot) -> None:
    cleaner = make_staff(unit, "cleaner@rt.test", ("cleaning",), quiet_start="10:00",
                         quiet_end="12:00")
    _phone_of(cleaner)
    make_case(spot)
    assert _pushed_events() == []


@time_machine.travel(MORNING, tick=False)
def test_an_urgent_case_comes_in_quiet_hours(app: Flask, unit: Unit, spot: Spot) -> None:
    cleaner = make_staff(unit, "cleaner@rt.test", ("cleaning",), quiet_start="10:00",
                         quiet_end="12:00")
    _phone_of(cleaner)
    make_case(spot, body="有人落水了，快来")  # a danger named: urgent
    assert _pushed_events() == ["feedback.created"]


@time_machine.travel(MORNING, tick=False)
def test_quiet_hours_end(app: Flask, unit: Unit, spot: Spot) -> None:
    cleaner = make_staff(unit, "cleaner@rt.test", ("cleaning",), quiet_start="22:00",
                         quiet_end="07:00")
    _phone_of(cleaner)
    make_case(spot)
    assert _pushed_events() == ["feedback.created"]


def test_push_turned_off_gets_none(app: Flask, unit: Unit, spot: Spot) -> None:
    cleaner = make_staff(unit, "cleaner@rt.test", ("cleaning",), alert_push=False)
    _phone_of(cleaner)
    make_case(spot)
    assert _pushed_events() == []


# --- the directors' warning ---------------------------------------------------------------

def test_a_role_nobody_holds_is_warned_of(app: Flask, unit: Unit, staff_client) -> None:
    gaps = {gap.role: gap.nobody for gap in routing_gaps(unit.id)}
    assert gaps == {"cleaning": True, "security": True}
    for url in ("/admin/unit", "/admin/categories", "/admin/routing", "/admin/staff", "/staff/"):
        page = staff_client.get(url).get_data(as_text=True)
        assert 'id="reach-warnings"' in page, url


def test_a_holder_nobody_can_reach_is_warned_of(app: Flask, unit: Unit, staff_client) -> None:
    cleaner = make_staff(unit, "cleaner@rt.test", ("cleaning",))
    assert {gap.role: gap.nobody for gap in routing_gaps(unit.id)}["cleaning"] is False
    cleaner.mobile, cleaner.alert_sms = "+8613800138000", True
    make_staff(unit, "guard@rt.test", ("security",)).alert_push = True
    db.session.commit()
    _phone_of(db.session.scalars(select(StaffUser).where(
        StaffUser.email == "guard@rt.test")).one())
    assert routing_gaps(unit.id) == []
    assert 'id="reach-warnings"' not in staff_client.get("/staff/").get_data(as_text=True)
    table = staff_client.get("/admin/unit").get_data(as_text=True)
    assert "+86 ••• 8000" in table
    assert "13800138000" not in table


def test_other_staff_see_no_warning(app: Flask, unit: Unit) -> None:
    cleaner = make_staff(unit, "cleaner@rt.test", ("cleaning",))
    client = app.test_client()
    assert log_in(client, cleaner.email).status_code == 303
    assert 'id="reach-warnings"' not in client.get("/staff/").get_data(as_text=True)

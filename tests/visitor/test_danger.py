"""Danger first: every form shows the emergency numbers; a message naming an immediate danger
is urgent, its visitor is told to call now, staff get the urgent alert, and it never joins
another case as "me too"."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import socketio
from app.models import AuditLog, Case, Unit
from app.realtime import NAMESPACE
from app.services.accounts.settings import UnitSettings, update_unit_settings
from app.services.cases.danger import names_a_danger
from app.services.cases.inbox import InboxFilter, inbox_query
from app.services.errors import DomainError
from tests.conftest import csrf_token, isolated, make_case, make_staff


@pytest.mark.parametrize("text", [
    "有个小孩掉进湖里了", "有人落水了，快来人", "东门起火了", "湖边有人打人", "有人持刀",
    "一位老人晕倒在长椅旁", "孩子走丢了，穿红衣服", "Someone fell into the lake!",
    "There is a fire near the pavilion", "A man collapsed by the gate", "lost child at the zoo",
    "two men are fighting with a knife",
])
def test_words_of_an_immediate_danger_are_found(text):
    assert names_a_danger(text)


@pytest.mark.parametrize("text", [
    "今天的火烧云真好看", "The fire-red maple by the lake is lovely",
    "The kids fought over the swing", "垃圾桶满了", "广场舞音响太吵", "小朋友拿水枪玩，水溅到路人",
    "湖里的鸭子很可爱", "Kids had a water gun fight near the fountain",
])
def test_everyday_words_are_not_a_danger(text):
    assert names_a_danger(text) is None


def test_a_units_own_words_and_exceptions(unit):
    assert names_a_danger("马蜂窝掉下来了") is None
    assert names_a_danger("马蜂窝掉下来了", "马蜂") == "马蜂"
    assert names_a_danger("湖边起火了", "!起火") is None


def submit(client, code, body, category="toilets"):
    return client.post(f"/q/{code}", data={
        "category": category, "body": body, "csrf_token": csrf_token(client, f"/q/{code}")})


def test_every_form_shows_the_numbers_to_call(client, spot):
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    for number in ("110", "119", "120"):
        assert f'href="tel:{number}"' in html
    assert "有人身危险" in html
    english = client.get(f"/q/{spot.code}?lang=en").get_data(as_text=True)
    assert "Ambulance" in english


def test_a_danger_is_urgent_and_its_visitor_is_told_to_call(app, db, client, spot, staff,
                                                           staff_client):
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    ordinary = submit(client, spot.code, "垃圾桶满了", category="noise")
    response = submit(client, spot.code, "有个小孩掉进湖里了")
    assert response.status_code == 303
    case = db.session.scalars(select(Case).order_by(Case.id.desc())).first()
    assert (case.urgent, case.urgent_reason) == (True, "words")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    first = page.index('data-role="emergency"')
    assert first < page.index('class="reference"')  # the numbers come first
    assert 'role="alert"' in page[first - 200:first + 200]
    assert 'href="tel:120"' in page
    # an ordinary case's page does not lead with them
    assert 'data-role="emergency"' not in client.get(ordinary.headers["Location"]).get_data(
        as_text=True)
    created = [e["args"][0] for e in socket.get_received(NAMESPACE)
               if e["name"] == "feedback.created"]
    assert [event["urgent"] for event in created] == [False, True]
    (first_in_inbox, *_rest) = db.session.scalars(
        inbox_query(staff, InboxFilter(), case.created_at)).all()
    assert first_in_inbox.id == case.id


def test_a_danger_never_joins_an_open_case_as_me_too(db, client, spot, unit):
    assert unit.me_too_window_hours == 24
    submit(client, spot.code, "垃圾桶满了")
    submit(client, spot.code, "有人落水了")
    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert [(c.body, c.me_too_count, c.urgent) for c in cases] == [
        ("垃圾桶满了", 0, False), ("有人落水了", 0, True)]


def test_staff_lower_a_false_alarm_and_the_change_is_audited(db, staff, staff_client, spot):
    case = make_case(spot, body="有人在湖边打人").case
    assert case.urgent
    token = csrf_token(staff_client, f"/staff/cases/{case.id}")
    response = staff_client.post(f"/staff/cases/{case.id}/urgent",
                                 data={"csrf_token": token, "urgent": "0"})
    assert response.status_code == 303
    db.session.expire_all()
    case = db.session.get(Case, case.id)
    assert (case.urgent, case.urgent_reason) == (False, "staff")
    audit = db.session.scalar(select(AuditLog).where(AuditLog.target_id == case.id,
                                                     AuditLog.user_id == staff.id))
    assert audit is not None
    page = staff_client.get(f"/staff/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "marked the case not urgent" in page


def test_a_viewer_cannot_change_urgency(app, db, unit, spot):
    from tests.conftest import log_in

    case = make_case(spot, body="有人落水了").case
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, viewer.email)
    token = csrf_token(client, f"/staff/cases/{case.id}")
    response = client.post(f"/staff/cases/{case.id}/urgent", data={"csrf_token": token,
                                                                   "urgent": "0"})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Case, case.id).urgent


def test_a_director_sets_the_units_numbers_and_bad_ones_change_nothing(db, client, staff, unit,
                                                                      spot):
    settings = UnitSettings("08:00", "18:00", "12345", 7, 24,
                            emergency_numbers="110 报警 Police\n12345 市民热线 Hotline",
                            danger_words="马蜂")
    update_unit_settings(user=staff, unit_id=unit.id, settings=settings)
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert 'href="tel:12345"' in html
    assert 'href="tel:119"' not in html
    with pytest.raises(DomainError):
        update_unit_settings(user=staff, unit_id=unit.id, settings=UnitSettings(
            "08:00", "18:00", "12345", 7, 24, emergency_numbers="call the police"))
    db.session.expire_all()
    assert "12345" in db.session.get(Unit, unit.id).emergency_numbers
    assert make_case(spot, body="树上有马蜂窝").case.urgent

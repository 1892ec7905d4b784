"""POST /api/v1/hotline/tickets (issue 19, point 2): the hotline platform sends a ticket
with the unit's API key, or staff in a session; the same checks as a row of a file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from app.models import Case, HotlineTicket
from app.services.accounts.api_keys import issue_api_key
from tests.conftest import log_in, make_staff
from tests.support.db_snapshot import nothing_stored

TICKET = {"ticket_id": "GD20261202001", "received_at": "2026-12-02T09:00:00+08:00",
          "address": "RT公园 北门厕所", "category": "厕所与保洁", "text": "北门厕所没有纸了",
          "contact": "13912345678"}


def send(client, body, **headers):
    return client.post("/api/v1/hotline/tickets", json=body, headers=headers)


def test_the_hotline_sends_a_ticket_with_the_units_key(app, db, staff, unit):
    secret = issue_api_key(user=staff, unit_id=unit.id, name="12345").secret
    client = app.test_client()
    response = send(client, TICKET, **{"X-API-Key": secret})
    assert response.status_code == 201
    answer = response.get_json()
    case = db.session.get(Case, answer["case_id"])
    assert answer == {"ticket_id": "GD20261202001", "unit_id": unit.id, "taken_in": True,
                      "needs_place": False, "case_id": case.id, "reference": case.reference}
    assert case.source == "hotline"
    assert case.contact is None
    received = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)
    assert case.reply_due_at == received + timedelta(hours=24)
    # the same ticket again: 200, nothing added
    again = send(client, TICKET, **{"X-API-Key": secret})
    assert again.status_code == 200
    assert again.get_json()["taken_in"] is False
    assert db.session.scalar(select(func.count()).select_from(HotlineTicket)) == 1
    # an address that names no spot: kept, waiting for a person
    waiting = send(client, {**TICKET, "ticket_id": "GD2", "address": "某街道",
                            "received_at": "2026-12-02 10:00:00"}, **{"X-API-Key": secret})
    assert waiting.status_code == 201
    assert waiting.get_json()["needs_place"] is True
    assert waiting.get_json()["case_id"] is None
    stored = db.session.scalar(select(HotlineTicket).where(HotlineTicket.ticket_id == "GD2"))
    # no offset: the unit's local time (Asia/Shanghai)
    assert stored.received_at == datetime(2026, 12, 2, 2, 0, tzinfo=UTC)


def test_bad_tickets_and_strangers_change_nothing(app, db, staff, unit, other_unit):
    secret = issue_api_key(user=staff, unit_id=unit.id, name="12345").secret
    others = issue_api_key(user=make_staff(other_unit, "d@xy.test"), unit_id=other_unit.id,
                           name="xy").secret
    client = app.test_client()
    with nothing_stored("bad hotline tickets"):
        assert send(client, TICKET).status_code == 401
        for bad in ({"text": ""}, {"received_at": "soon"}, {"ticket_id": "x" * 65},
                    {"text": "a\x00b"}, {"contact": "1" * 121}):
            response = send(client, {**TICKET, **bad}, **{"X-API-Key": secret})
            assert response.status_code == 422, bad
        # a key of another unit cannot name this unit
        response = send(client, {**TICKET, "unit_id": unit.id}, **{"X-API-Key": others})
        assert response.status_code == 404


def test_staff_in_a_session_and_viewers(app, db, staff, staff_client, unit):
    token = staff_client.get("/api/v1/session").get_json()["csrf_token"]
    assert send(staff_client, TICKET, **{"X-CSRFToken": token}).status_code == 201
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, viewer.email)
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    with nothing_stored("a viewer's ticket"):
        response = send(client, {**TICKET, "ticket_id": "GD3"}, **{"X-CSRFToken": token})
    assert response.status_code == 403
    without_csrf = send(staff_client, {**TICKET, "ticket_id": "GD4"})
    assert without_csrf.status_code in (400, 403)

"""Moving a case to whoever owns it (转办) from its page (issue 23, point 3)."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditLog, Case, Event, MessageKind, Park, Status
from tests.conftest import csrf_token, log_in, make_case, make_staff


def _second_park(unit) -> Park:
    park = Park(unit_id=unit.id, name_zh="百子湾园", name_en="Baiziwan Park")
    db.session.add(park)
    db.session.commit()
    return park


def _transfer(client, case_id: int, **data: str):
    token = csrf_token(client, f"/staff/cases/{case_id}")
    return client.post(f"/staff/cases/{case_id}/transfer", data={"csrf_token": token, **data})


def test_transfer_to_another_park_of_the_unit(staff_client, unit, spot):
    park = _second_park(unit)
    case = make_case(spot, category_code="noise", body="广场舞音响太吵").case
    page = staff_client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert f'value="{park.park_code}"' in page
    response = _transfer(staff_client, case.id, park=park.park_code,
                         note="这里属于百子湾园，已转给他们处理。")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/cases/{case.id}")
    moved = db.session.get(Case, case.id)
    assert moved.park_id == park.id
    assert moved.spot_id is None
    assert moved.responsible_role == "security"
    assert moved.assignee_id is None
    assert moved.is_open  # the receiving park still has to deal with it
    assert moved.transferred_at is None  # it stays in the parks: not counted as transferred
    transfer = moved.transfers[0]
    assert (transfer.kind, transfer.from_park_id, transfer.to_park_id) == ("park", spot.park_id,
                                                                           park.id)
    assert "北门厕所" in transfer.place


def test_the_note_answers_the_case(staff_client, unit, spot):
    park = _second_park(unit)
    case = make_case(spot).case
    assert case.first_response_at is None
    _transfer(staff_client, case.id, park=park.park_code, note="已转给百子湾园")
    moved = db.session.get(Case, case.id)
    assert moved.first_response_at is not None
    assert moved.status == Status.ACKNOWLEDGED
    replies = [m.body for m in moved.messages if m.kind == MessageKind.REPLY]
    assert replies == ["已转给百子湾园"]


def test_the_receiving_park_is_alerted_and_the_change_audited(staff_client, unit, spot):
    park = _second_park(unit)
    case = make_case(spot).case
    _transfer(staff_client, case.id, park=park.park_code, note="已转给百子湾园")
    created = db.session.scalars(select(Event).where(
        Event.case_id == case.id, Event.kind == "feedback.created")).all()
    assert [event.park_id for event in created] == [spot.park_id, park.id]
    assert created[-1].payload["transferred_from"] == spot.park.name_zh
    gone = db.session.scalar(select(Event).where(
        Event.case_id == case.id, Event.kind == "case.updated", Event.park_id == spot.park_id))
    assert gone is not None
    assert gone.payload["change"] == "transferred"
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "case.transferred"))
    assert audit is not None
    assert audit.target_id == case.id


def test_the_visitor_sees_where_it_went_and_the_note(staff_client, client, unit, spot):
    park = _second_park(unit)
    receipt = make_case(spot)
    _transfer(staff_client, receipt.case.id, park=park.park_code,
              note="This belongs to Baiziwan: they have it now.")
    page = client.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert 'id="transfers"' in page
    assert "百子湾园" in page
    assert "This belongs to Baiziwan: they have it now." in page


def test_the_api_lists_the_transfers(staff_client, unit, spot):
    park = _second_park(unit)
    case = make_case(spot).case
    assert staff_client.get(f"/api/v1/cases/{case.id}").get_json()["transfers"] == []
    _transfer(staff_client, case.id, park=park.park_code, note="已转给百子湾园")
    transfers = staff_client.get(f"/api/v1/cases/{case.id}").get_json()["transfers"]
    assert len(transfers) == 1
    assert transfers[0]["note"] == "已转给百子湾园"
    assert transfers[0]["to"] == {"kind": "park", "park": park.park_code, "office": None,
                                  "name": "百子湾园"}
    assert transfers[0]["at"]


def test_a_note_is_required(staff_client, unit, spot):
    park = _second_park(unit)
    case = make_case(spot).case
    response = _transfer(staff_client, case.id, park=park.park_code, note=" ")
    assert response.status_code == 400
    assert db.session.get(Case, case.id).park_id == spot.park_id


def test_a_park_or_an_office_is_required(staff_client, spot):
    case = make_case(spot).case
    assert _transfer(staff_client, case.id, note="转走").status_code == 400
    assert _transfer(staff_client, case.id, park="no-such-park", note="转走").status_code == 400
    assert _transfer(staff_client, case.id, park=spot.park.park_code,
                     note="转走").status_code == 400  # its own park
    assert db.session.get(Case, case.id).transfers == []


def test_a_closed_case_is_not_transferred(staff_client, unit, spot):
    park = _second_park(unit)
    case = make_case(spot).case
    token = csrf_token(staff_client, f"/staff/cases/{case.id}")
    staff_client.post(f"/staff/cases/{case.id}/status",
                      data={"status": "spam", "csrf_token": token})
    assert _transfer(staff_client, case.id, park=park.park_code, note="转走").status_code == 400


def test_a_viewer_may_not_transfer(app, unit, spot):
    park = _second_park(unit)
    make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, "viewer@rt.test")
    case = make_case(spot).case
    response = _transfer(client, case.id, park=park.park_code, note="转走")
    assert response.status_code == 403
    assert db.session.get(Case, case.id).park_id == spot.park_id


def test_another_units_case_is_not_found(app, unit, other_unit, spot):
    park = _second_park(unit)
    make_staff(other_unit, "guard@xy.test", roles=("security",))
    client = app.test_client()
    log_in(client, "guard@xy.test")
    case = make_case(spot).case
    token = csrf_token(client, "/staff/")
    response = client.post(f"/staff/cases/{case.id}/transfer",
                           data={"csrf_token": token, "park": park.park_code, "note": "转走"})
    assert response.status_code == 404
    assert db.session.get(Case, case.id).park_id == spot.park_id


# --- to a park of another unit (step 2) ----------------------------------------------------

def _to_other_unit(staff_client, other_unit, spot, **case_fields):
    receipt = make_case(spot, contact="13800138000", **case_fields)
    target = other_unit.parks[0]
    response = _transfer(staff_client, receipt.case.id, park=target.park_code,
                         note="这里归XY管理处管，已转给他们。")
    return receipt, target, response


def test_a_case_moved_to_another_unit_leaves_the_inbox(staff_client, unit, other_unit, spot):
    receipt, target, response = _to_other_unit(staff_client, other_unit, spot,
                                               category_code="noise")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/staff/")
    moved = db.session.get(Case, receipt.case.id)
    assert (moved.unit_id, moved.park_id) == (other_unit.id, target.id)
    assert moved.category.unit_id == other_unit.id
    assert moved.category.code == "noise"
    assert moved.contact == "13800138000"  # the receiving unit answers the visitor
    assert staff_client.get(f"/staff/cases/{moved.id}").status_code == 404
    assert moved.reference not in staff_client.get("/staff/").get_data(as_text=True)


def test_the_other_units_staff_are_alerted_and_see_it(app, staff_client, unit, other_unit,
                                                     spot):
    make_staff(other_unit, "guard@xy.test", roles=("security",))
    receipt, target, _response = _to_other_unit(staff_client, other_unit, spot)
    created = db.session.scalars(select(Event).where(
        Event.case_id == receipt.case.id, Event.kind == "feedback.created")
        .order_by(Event.id)).all()
    assert [(e.unit_id, e.park_id) for e in created] == [(unit.id, spot.park_id),
                                                         (other_unit.id, target.id)]
    client = app.test_client()
    log_in(client, "guard@xy.test")
    page = client.get(f"/staff/cases/{receipt.case.id}").get_data(as_text=True)
    assert "这里归XY管理处管，已转给他们。" in page
    document = client.get(f"/api/v1/cases/{receipt.case.id}").get_json()
    assert document["transfers"][0]["to"]["kind"] == "unit"


def test_the_sending_unit_keeps_a_record_without_the_contact(staff_client, other_unit, spot):
    receipt, target, _response = _to_other_unit(staff_client, other_unit, spot,
                                                body="隔壁公园的路灯坏了")
    page = staff_client.get("/staff/transfers").get_data(as_text=True)
    assert receipt.case.reference in page
    assert "隔壁公园的路灯坏了" in page
    assert "北门厕所" in page  # the place as sent
    assert target.name_zh in page
    assert "13800138000" not in page


def test_the_record_is_the_sending_units_only(app, staff_client, unit, other_unit, spot):
    make_staff(other_unit, "guard@xy.test", roles=("security",))
    receipt, _target, _response = _to_other_unit(staff_client, other_unit, spot)
    client = app.test_client()
    log_in(client, "guard@xy.test")
    assert receipt.case.reference not in client.get("/staff/transfers").get_data(as_text=True)


def test_the_visitor_follows_it_at_the_other_unit(staff_client, client, other_unit, spot):
    receipt, target, _response = _to_other_unit(staff_client, other_unit, spot)
    page = client.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert target.name_zh in page
    assert "这里归XY管理处管，已转给他们。" in page

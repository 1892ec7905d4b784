"""12345 tickets into the inbox (issue 19, points 2 and 4): the hotline platform's export
(CSV in GB18030 or UTF-8, or XLSX) becomes cases with the hotline's time limits; a ticket
taken in twice is one case; a ticket whose address names no spot waits for a place; the
回单 is the case's reply and is exported in the platform's columns."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from app.models import AuditLog, Case, HotlineTicket, Message, Spot, Status
from app.services.spots.spots import local_day, new_spot_code
from tests.conftest import csrf_token, log_in, make_staff
from tests.support.db_snapshot import nothing_stored

HEADER = "工单编号,受理时间,地址,诉求类别,诉求内容,联系电话,联系时限,办结时限\n"
PLACED = "GD20261201001,2026-12-01 09:30,RT公园北门厕所,厕所与保洁,北门厕所没有纸了,13912345678,,\n"
UNPLACED = "GD20261201002,2026-12-01 10:00,朝阳区某街道12号,噪音,晚上广场舞太吵,13800001111,,\n"
OWN_LIMITS = ("GD20261201003,2026/12/01 11:00,RT公园,厕所与保洁,洗手池漏水,,"
              "2026-12-01 13:00,2026-12-03 18:00\n")


def upload(client, data: bytes, name: str = "tickets.csv", lang: str = "zh"):
    token = csrf_token(client, "/staff/hotline")
    return client.post(f"/staff/hotline?lang={lang}", data={
        "csrf_token": token, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def ticket(db, number: str) -> HotlineTicket:
    return db.session.scalar(select(HotlineTicket).where(HotlineTicket.ticket_id == number))


def beijing(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


def test_the_hotline_export_becomes_cases_with_the_hotlines_limits(db, staff, staff_client,
                                                                   unit):
    data = (HEADER + PLACED + UNPLACED + OWN_LIMITS).encode("gb18030")
    response = upload(staff_client, data)
    assert response.status_code == 303
    placed = ticket(db, "GD20261201001")
    case = db.session.get(Case, placed.case_id)
    assert (case.source, case.body, case.category.code) == ("hotline", "北门厕所没有纸了",
                                                            "toilets")
    # the citizen's contact stays on the ticket (unit staff see it), never on the case
    assert case.contact is None
    assert placed.contact == "13912345678"
    received = beijing("2026-12-01T09:30:00")
    assert placed.received_at == received
    # the unit's hotline limits (Beijing's defaults): contact within 24 h, finish in 7 days
    assert case.reply_due_at == received + timedelta(hours=24)
    assert case.resolve_due_at == received + timedelta(days=7)
    own = db.session.get(Case, ticket(db, "GD20261201003").case_id)
    assert own.reply_due_at == beijing("2026-12-01T13:00:00")
    assert own.resolve_due_at == beijing("2026-12-03T18:00:00")
    # the unplaceable ticket is kept, waiting for a person, never dropped
    waiting = ticket(db, "GD20261201002")
    assert waiting.needs_place
    assert waiting.case_id is None
    assert db.session.scalar(select(func.count()).select_from(Case)) == 2
    page = staff_client.get("/staff/hotline?lang=en").get_data(as_text=True)
    assert "Waiting for a place (1)" in page
    assert "朝阳区某街道12号" in page
    case_page = staff_client.get(f"/staff/cases/{case.id}?lang=en").get_data(as_text=True)
    assert "12345 ticket GD20261201001" in case_page
    assert "13912345678" in case_page
    assert "Taken in from 12345 ticket GD20261201001." in case_page
    audit = db.session.scalar(select(AuditLog).where(AuditLog.action == "hotline.intake"))
    assert audit.after == {"cases": 2, "waiting": 1, "known": 0, "via": "upload"}


def test_the_units_own_hotline_limits(db, staff_client, unit):
    unit.hotline_respond_hours, unit.hotline_resolve_days = 2, 3
    db.session.commit()
    upload(staff_client, (HEADER + PLACED).encode())
    case = db.session.get(Case, ticket(db, "GD20261201001").case_id)
    received = beijing("2026-12-01T09:30:00")
    assert case.reply_due_at == received + timedelta(hours=2)
    assert case.resolve_due_at == received + timedelta(days=3)


def test_a_ticket_taken_in_twice_is_one_case(db, staff_client):
    data = (HEADER + PLACED + UNPLACED).encode("utf-8-sig")
    assert upload(staff_client, data).status_code == 303
    response = upload(staff_client, data, lang="en")
    assert response.status_code == 303
    page = staff_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "0 tickets are cases now, 0 wait for a place, 2 were taken in before." in page
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert db.session.scalar(select(func.count()).select_from(HotlineTicket)) == 2


def test_a_figure_the_bureau_imported_becomes_the_case_not_a_second_ticket(db, staff_client,
                                                                           unit):
    db.session.add(HotlineTicket(ticket_id="GD20261201001", unit_id=unit.id,
                                 park_id=unit.parks[0].id, day=datetime(2026, 12, 1).date(),
                                 category="厕所", body=""))
    db.session.commit()
    assert upload(staff_client, (HEADER + PLACED).encode()).status_code == 303
    (only,) = db.session.scalars(select(HotlineTicket)).all()
    assert only.case_id is not None
    assert only.contact == "13912345678"


def test_a_bad_row_takes_in_nothing_and_says_which(db, staff_client):
    bad = "GD9,yesterday,RT公园,厕所与保洁,没有纸,,,\n"
    with nothing_stored("a hotline file with a bad row"):
        response = upload(staff_client, (HEADER + PLACED + bad).encode(), lang="en")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Line 3" in page
    assert "“yesterday” is not a time" in page
    with nothing_stored("a file that is no table"):
        response = upload(staff_client, b"\x00\x01PK garbage", name="x.xlsx", lang="en")
    assert response.status_code == 400


def test_an_xlsx_export_with_excels_own_cells(db, staff_client):
    book = Workbook()
    sheet = book.active
    sheet.append(["工单编号", "受理时间", "地址", "诉求类别", "诉求内容", "联系电话"])
    sheet.append([20261201004, datetime(2026, 12, 1, 8, 15), "RT公园", "噪音", "音响太吵",
                  13700002222])
    out = io.BytesIO()
    book.save(out)
    assert upload(staff_client, out.getvalue(), name="export.xlsx").status_code == 303
    taken = ticket(db, "20261201004")
    assert taken.received_at == beijing("2026-12-01T08:15:00")
    assert taken.contact == "13700002222"
    assert db.session.get(Case, taken.case_id).category.code == "noise"


def test_a_person_places_a_waiting_ticket(db, staff_client, unit):
    park = unit.parks[0]
    second = Spot(code=new_spot_code(), name_zh="东门", name_en="East gate", park_id=park.id)
    db.session.add(second)
    db.session.commit()
    upload(staff_client, (HEADER + UNPLACED).encode())
    waiting = ticket(db, "GD20261201002")
    token = csrf_token(staff_client, "/staff/hotline")
    response = staff_client.post(f"/staff/hotline/{waiting.id}/place",
                                 data={"csrf_token": token, "spot": second.code})
    assert response.status_code == 303
    db.session.expire_all()
    placed = ticket(db, "GD20261201002")
    assert not placed.needs_place
    assert placed.park_id == park.id
    case = db.session.get(Case, placed.case_id)
    assert response.headers["Location"].endswith(f"/staff/cases/{case.id}")
    assert (case.spot_id, case.source, case.category.code) == (second.id, "hotline", "noise")
    # placed once: the form again for the same ticket finds nothing waiting
    again = staff_client.post(f"/staff/hotline/{waiting.id}/place",
                              data={"csrf_token": token, "spot": second.code})
    assert again.status_code == 404


def reply_form(client, case_id: int, **fields):
    token = csrf_token(client, "/staff/hotline")
    data = {"csrf_token": token, "contact_made": "contacted", "result": "resolved",
            "body": "已安排保洁员补充厕纸，并电话告知市民。", "resolve": "y"}
    data.update(fields)
    return client.post(f"/staff/cases/{case_id}/hotline-reply", data=data)


def test_the_reply_is_the_cases_answer_and_goes_back_in_the_platforms_columns(
        db, staff, staff_client, unit):
    upload(staff_client, (HEADER + PLACED).encode())
    placed = ticket(db, "GD20261201001")
    response = reply_form(staff_client, placed.case_id)
    assert response.status_code == 303
    db.session.expire_all()
    case = db.session.get(Case, placed.case_id)
    assert case.status == Status.RESOLVED
    assert case.first_response_at is not None  # the 回单 answers the case
    reply = db.session.scalar(select(Message).where(Message.case_id == case.id,
                                                    Message.kind == "reply"))
    assert reply.body == "已安排保洁员补充厕纸，并电话告知市民。"
    today = local_day(unit.timezone).isoformat()  # the unit's calendar day
    csv_response = staff_client.get(f"/staff/hotline/replies.csv?from={today}&to={today}")
    assert csv_response.status_code == 200
    rows = list(csv.reader(io.StringIO(csv_response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0] == ["工单编号", "承办单位", "联系情况", "办理结果", "答复内容", "答复时间",
                       "办结时间"]
    assert rows[1][:5] == ["GD20261201001", unit.name_zh, "已联系", "已解决",
                           "已安排保洁员补充厕纸，并电话告知市民。"]
    assert rows[1][5]
    assert rows[1][6]
    xlsx = staff_client.get(f"/staff/hotline/replies.xlsx?from={today}&to={today}")
    sheet = load_workbook(io.BytesIO(xlsx.get_data())).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[1][0] == "GD20261201001"
    assert isinstance(values[1][5], datetime)
    # a window before the reply holds no row; a bad date is a 400, not a 500
    assert len(list(csv.reader(io.StringIO(staff_client.get(
        "/staff/hotline/replies.csv?from=2020-01-01&to=2020-01-31").get_data(as_text=True))))) == 1
    assert staff_client.get("/staff/hotline/replies.csv?from=soon").status_code == 400


def test_a_reply_without_text_or_with_an_unknown_result_changes_nothing(db, staff_client):
    upload(staff_client, (HEADER + PLACED).encode())
    case_id = ticket(db, "GD20261201001").case_id
    for fields in ({"body": ""}, {"result": "vanished"}, {"contact_made": "telepathy"}):
        with nothing_stored(f"a 回单 with {fields}"):
            assert reply_form(staff_client, case_id, **fields).status_code == 400


def test_viewers_read_and_other_units_do_not_see(app, db, staff_client, unit, other_unit):
    upload(staff_client, (HEADER + PLACED + UNPLACED).encode())
    placed, waiting = ticket(db, "GD20261201001"), ticket(db, "GD20261201002")
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    log_in(client, viewer.email)
    assert client.get("/staff/hotline").status_code == 200
    token = csrf_token(client, "/staff/hotline")
    with nothing_stored("a viewer's hotline writes"):
        assert client.post("/staff/hotline", data={
            "csrf_token": token, "file": (io.BytesIO((HEADER + OWN_LIMITS).encode()), "t.csv")},
            content_type="multipart/form-data").status_code == 403
        assert reply_form(client, placed.case_id).status_code == 403
        assert client.post(f"/staff/hotline/{waiting.id}/place", data={
            "csrf_token": token, "spot": unit.parks[0].spots[0].code}).status_code == 403
    stranger = make_staff(other_unit, "director@xy.test")
    other = app.test_client()
    log_in(other, stranger.email)
    page = other.get("/staff/hotline").get_data(as_text=True)
    assert "GD20261201002" not in page
    assert "13800001111" not in page
    token = csrf_token(other, "/staff/hotline")
    with nothing_stored("another unit's hotline writes"):
        assert other.post(f"/staff/hotline/{waiting.id}/place", data={
            "csrf_token": token, "spot": other_unit.parks[0].spots[0].code}).status_code == 404
        assert reply_form(other, placed.case_id).status_code == 404
    rows = other.get("/staff/hotline/replies.csv").get_data(as_text=True)
    assert "GD20261201001" not in rows

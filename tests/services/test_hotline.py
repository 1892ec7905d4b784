"""12345 hotline import: every bad row named, nothing half-imported; before/after counts."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import false, func, select
from sqlalchemy import select as sa_select

from app.extensions import db
from app.models import AuditLog, HotlineTicket, Park
from app.services.bureau.csv_import import CsvImportError, decode_upload
from app.services.bureau.hotline import before_after, import_hotline_tickets
from app.services.errors import DomainError
from tests.support.cases import add_case

HEADER = "ticket_id,date,park,category,text\n"
GOOD = HEADER + ("H-1,2026-04-03,RT公园,噪音,广场舞音响太吵\n"
                 "H-2,2026/04/20,RT Park,环境卫生,厕所很脏\n")


def parks():
    return list(db.session.scalars(select(Park)))


def ticket_count():
    return db.session.scalar(select(func.count()).select_from(HotlineTicket))


def test_imports_good_rows(app, unit):
    assert import_hotline_tickets(GOOD, parks(), user_id=None) == 2
    tickets = db.session.scalars(select(HotlineTicket).order_by(HotlineTicket.ticket_id)).all()
    assert [(t.ticket_id, t.day, t.park_id, t.category) for t in tickets] == [
        ("H-1", date(2026, 4, 3), unit.parks[0].id, "噪音"),
        ("H-2", date(2026, 4, 20), unit.parks[0].id, "环境卫生")]
    assert db.session.scalar(select(AuditLog.action)) == "hotline.import"


def test_each_bad_row_is_named_and_nothing_is_imported(app, unit):
    text = HEADER + ("H-1,2026-04-03,RT公园,噪音,太吵\n"
                     ",2026-04-03,RT公园,噪音,没有编号\n"
                     "H-3,04/03/2026,RT公园,噪音,日期不对\n"
                     "H-4,2026-04-03,不存在公园,噪音,公园不对\n"
                     "H-1,2026-04-05,RT公园,噪音,重复编号\n"
                     "H-6,2026-04-05,RT公园,,没有类别\n")
    with pytest.raises(CsvImportError) as caught:
        import_hotline_tickets(text, parks(), user_id=None)
    errors = [(error.line, error.message) for error in caught.value.errors]
    assert [line for line, _message in errors] == [3, 4, 5, 6, 7]
    # messages are in the default language (Chinese); each names what is wrong
    assert errors[0][1] == "缺少工单编号"
    assert "04/03/2026" in errors[1][1]
    assert "不存在公园" in errors[2][1]
    assert "H-1" in errors[3][1]
    assert "2" in errors[3][1]
    assert errors[4][1] == "缺少类别"
    assert ticket_count() == 0


def test_a_missing_column_is_reported(app, unit):
    with pytest.raises(CsvImportError) as caught:
        import_hotline_tickets("ticket_id,date,park\nH-1,2026-04-03,RT公园\n", parks(),
                               user_id=None)
    assert "category" in caught.value.errors[0].message  # the missing column's name


def test_tickets_imported_before_are_refused_whole(app, unit):
    import_hotline_tickets(GOOD, parks(), user_id=None)
    again = GOOD + "H-9,2026-04-21,RT公园,噪音,新的\n"
    with pytest.raises(CsvImportError) as caught:
        import_hotline_tickets(again, parks(), user_id=None)
    assert len(caught.value.errors) == 2
    assert ticket_count() == 2


def test_parks_out_of_scope_are_unknown(app, unit, other_unit):
    text = HEADER + "H-1,2026-04-03,XY公园,噪音,别人的公园\n"
    with pytest.raises(CsvImportError):
        import_hotline_tickets(text, list(unit.parks), user_id=None)


def test_excel_encodings_are_read():
    assert decode_upload("\ufeffticket_id".encode()) == "ticket_id"
    assert decode_upload("公园".encode("gb18030")) == "公园"


def test_before_and_after_the_mailbox_started(app, unit):
    park = unit.parks[0]
    park.mailbox_started_on = date(2026, 4, 15)
    db.session.commit()
    rows = [f"A-{i},2026-03-{i + 1:02d},RT公园,噪音,x" for i in range(9)]
    rows += [f"B-{i},2026-04-0{i + 1},RT公园,噪音,x" for i in range(3)]
    rows += ["C-1,2026-06-10,RT公园,噪音,x"]
    import_hotline_tickets(HEADER + "\n".join(rows) + "\n", parks(), user_id=None)
    (item,) = before_after([park], months_around=2)
    assert item.months == [date(2026, 2, 1), date(2026, 3, 1), date(2026, 4, 1),
                           date(2026, 5, 1), date(2026, 6, 1)]
    assert item.tickets == [0, 9, 3, 0, 1]
    assert item.mean(item.tickets, after=False) == 4.5  # Feb and March
    assert item.mean(item.tickets, after=True) == 0.5  # May and June


def test_the_window_ends_at_the_latest_month_with_data(app, unit):
    park = unit.parks[0]
    park.mailbox_started_on = date(2026, 4, 15)
    db.session.commit()
    import_hotline_tickets(HEADER + "A-1,2026-03-02,RT公园,噪音,x\n", parks(), user_id=None)
    (item,) = before_after([park], months_around=2)
    assert item.months[-1] == date(2026, 4, 1)  # nothing after the start: it ends there
    add_case(park.spots[0], unit.categories[0], datetime(2027, 1, 10, 2, tzinfo=UTC))
    import_hotline_tickets(HEADER + "A-2,2026-11-02,RT公园,噪音,x\n", parks(), user_id=None)
    (item,) = before_after([park], months_around=2)
    assert (item.months[0], item.months[-1], len(item.months)) == (
        date(2026, 2, 1), date(2027, 1, 1), 12)  # the case of January 2027 is the latest
    assert (item.tickets[1], item.tickets[9], item.cases[-1]) == (1, 1, 1)


def test_a_concurrent_import_of_the_same_ticket_is_a_clear_error(app, unit, monkeypatch):
    import_hotline_tickets(GOOD, parks(), user_id=None)
    # as if another import had added H-1 after this one looked for it
    monkeypatch.setattr("app.services.bureau.hotline.select",
                        lambda *columns: sa_select(*columns).where(false()))
    with pytest.raises(DomainError, match="nothing was imported|未导入"):
        import_hotline_tickets(HEADER + "H-8,2026-04-21,RT公园,噪音,新的\n"
                               "H-1,2026-04-03,RT公园,噪音,太吵\n", parks(), user_id=None)
    assert ticket_count() == 2

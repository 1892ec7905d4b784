"""Figures by channel (issue 19, point 3): the inbox filters by where a case came in, the
league table splits each park's cases by channel (page and API, one function), and the
12345 before/after shows the tickets each park answered itself and those within the
hotline's rules."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Case, HotlineTicket
from app.services.bureau.analytics import compare_parks, last_complete_month, next_month
from app.services.bureau.hotline import before_after
from app.services.bureau.rollups import REPORT_TZ
from tests.bureau.conftest import bureau_login
from tests.bureau.test_exports import pdf_text
from tests.support.cases import add_case

# (source, channel) of the planted cases, and their intake channel
PLANTED = [("qr", None, "qr"), ("qr", None, "qr"), ("hotline", None, "hotline"),
           ("staff", "phone", "phone"), ("staff", "patrol", "patrol"), ("staff", None, "other"),
           ("api", None, "api"), ("open311", None, "api")]


def month_start() -> datetime:
    first = last_complete_month(datetime.now(REPORT_TZ).date())
    return datetime(first.year, first.month, first.day, 10, tzinfo=REPORT_TZ)


def plant(unit) -> None:
    spot, category = unit.parks[0].spots[0], unit.categories[0]
    for number, (source, channel, _code) in enumerate(PLANTED):
        add_case(spot, category, month_start() + timedelta(hours=number), source=source,
                 channel=channel, reference=f"CH-{number}")


def test_the_league_table_splits_cases_by_channel_on_the_page_and_in_the_api(app, unit,
                                                                            tmp_path):
    plant(unit)
    first = month_start().date()
    (row,) = [r for r in compare_parks(unit.parks, first, next_month(first), min_cases=1).rows]
    expected: dict[str, int] = {}
    for _source, _channel, code in PLANTED:
        expected[code] = expected.get(code, 0) + 1
    assert row.by_channel == expected
    assert sum(row.by_channel.values()) == row.figures.cases
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    month = first.strftime("%Y-%m")
    api = client.get(f"/api/v1/bureau/comparison?month={month}").get_json()
    (park,) = [p for p in api["parks"] if p["park_id"] == unit.parks[0].id]
    assert park["by_channel"] == expected
    page = client.get(f"/bureau/?month={month}&lang=en").get_data(as_text=True)
    table = page[page.index('id="by-channel"'):]
    table = table[:table.index("</table>")]
    assert "12345 hotline" in table
    assert "API / Open311" in table
    assert "<td>2</td>" in table  # the two QR cases, and the API and Open311 ones
    # the league table's CSV carries the same split, from the same rows
    rows = list(csv.reader(io.StringIO(client.get(
        f"/bureau/parks.csv?month={month}&lang=en").get_data(as_text=True).lstrip("\ufeff"))))
    header = rows[0]
    (line,) = [r for r in rows[1:] if r[1] == unit.parks[0].name_en]
    assert header[-7:] == ["Cases: QR code", "Cases: 12345 hotline", "Cases: Phone call",
                           "Cases: At the counter", "Cases: Found on patrol",
                           "Cases: Other (staff)", "Cases: API / Open311"]
    assert [int(v) for v in line[-7:]] == [2, 1, 1, 0, 1, 1, 2]
    # and the monthly PDF
    text = pdf_text(client.get(f"/bureau/report.pdf?month={month}").get_data(), tmp_path)
    assert "按渠道" in text
    assert re.search(r"RT公园\s+2\s+1\s+1\s+0\s+1\s+1\s+2\s*$", text, re.M), text


def test_the_inbox_filters_by_channel(unit, staff_client):
    plant(unit)
    for code, references in (("hotline", ["CH-2"]), ("api", ["CH-6", "CH-7"]),
                             ("patrol", ["CH-4"]), ("qr", ["CH-0", "CH-1"])):
        page = staff_client.get(f"/staff/?channel={code}").get_data(as_text=True)
        shown = sorted(ref for ref in (f"CH-{n}" for n in range(len(PLANTED))) if ref in page)
        assert shown == references, code
    # an unknown channel is no filter, never an error
    page = staff_client.get("/staff/?channel=pigeon").get_data(as_text=True)
    assert all(f"CH-{n}" in page for n in range(len(PLANTED)))


def test_before_after_counts_the_tickets_the_park_answered_within_the_rules(app, unit):
    park = unit.parks[0]
    park.mailbox_started_on = (month_start() - timedelta(days=62)).date()
    spot, category = park.spots[0], unit.categories[0]
    start = month_start()
    limits = {"respond_due_at": start + timedelta(hours=24),
              "resolve_due_at": start + timedelta(days=7)}
    outcomes = [  # (first reply, resolved): in time, replied late, not resolved
        (start + timedelta(hours=2), start + timedelta(days=1)),
        (start + timedelta(hours=30), start + timedelta(days=2)),
        (start + timedelta(hours=1), None),
    ]
    for number, (replied, resolved) in enumerate(outcomes):
        case = add_case(spot, category, start, source="hotline", first_response_at=replied,
                        resolved_at=resolved, status="resolved" if resolved else "acknowledged")
        db.session.add(HotlineTicket(ticket_id=f"GD-{number}", unit_id=unit.id, park_id=park.id,
                                     day=start.date(), category="厕所", case_id=case.id,
                                     **limits))
    db.session.add(HotlineTicket(ticket_id="GD-figure", unit_id=unit.id, park_id=park.id,
                                 day=start.date(), category="厕所"))  # a figure, no case
    add_case(spot, category, start)  # a QR case
    db.session.commit()
    (item,) = before_after([park])
    month = item.months.index(start.date().replace(day=1))
    assert item.tickets[month] == 4
    assert item.answered[month] == 3
    assert item.in_time[month] == 1
    # the mailbox's own cases: the hotline's three are counted as tickets, not twice
    assert item.cases[month] == 1
    assert db.session.scalar(select(Case).where(Case.source == "qr")) is not None
    page = bureau_login(app, "viewer@bureau.test", "viewer").get(
        "/bureau/hotline?lang=en").get_data(as_text=True)
    table = page[page.index(f'id="hotline-months-{park.id}"'):]
    row = table[table.index(start.strftime("%Y-%m")):]
    assert row.startswith(f"{start:%Y-%m}</th><td>4</td><td>1</td><td>3</td><td>1</td>")
    assert "Within the hotline's rules: of those" in page

"""Figures of transferred cases (转办, issue 23, point 3): the bureau sees what each park sent
where, counted apart from resolved cases."""

from __future__ import annotations

import csv
import io
from datetime import datetime

from app.extensions import db
from app.models import OutsideOffice, Park, Status
from app.services.bureau.analytics import compare_parks, next_month
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.operations import change_status
from app.services.cases.transfers import transfer_case
from tests.bureau.conftest import bureau_login
from tests.conftest import make_case, make_staff


def _plant(unit, other_unit):
    """Two cases to the street office, one to the other unit's park, one resolved, one moved
    within the unit (not out of it), one left alone."""
    director = make_staff(unit, "director@rt.test")
    office = OutsideOffice(unit_id=unit.id, name="朝阳门街道办", email="jiedao@street.test")
    db.session.add(office)
    db.session.commit()
    spot = unit.parks[0].spots[0]
    cases = [make_case(spot, body=f"第{n}件事", contact=None).case for n in range(5)]
    for case in cases[:2]:
        transfer_case(user=director, case_id=case.id, note="转街道办", office_id=str(office.id))
    transfer_case(user=director, case_id=cases[2].id, note="转XY",
                  park_code=other_unit.parks[0].park_code)
    change_status(user=director, case_id=cases[3].id, status=Status.RESOLVED.value,
                  reply="修好了")
    return unit.parks[0].id


def _month():
    first = datetime.now(REPORT_TZ).date().replace(day=1)
    return first, next_month(first)


def test_the_league_table_counts_transferred_apart_from_resolved(app, unit, other_unit,
                                                                 separate_cases):
    park_id = _plant(unit, other_unit)
    comparison = compare_parks([*unit.parks, *other_unit.parks], *_month(), min_cases=1)
    row = {r.park.id: r for r in comparison.rows}[park_id]
    assert row.sent_to == {"朝阳门街道办": 2, other_unit.parks[0].name_zh: 1}
    assert row.transferred == 3
    receiving = {r.park.id: r for r in comparison.rows}[other_unit.parks[0].id]
    assert receiving.transferred == 0


def test_the_page_and_the_api_show_what_went_where(app, unit, other_unit, separate_cases):
    park_id = _plant(unit, other_unit)
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    first, _end = _month()
    month = first.strftime("%Y-%m")
    api = client.get(f"/api/v1/bureau/comparison?month={month}").get_json()
    (park,) = [p for p in api["parks"] if p["park_id"] == park_id]
    assert park["transferred"] == 3
    assert park["sent_to"]["朝阳门街道办"] == 2
    english = client.get(f"/bureau/?month={month}&lang=en").get_data(as_text=True)
    table = english[english.index('id="sent-elsewhere"'):]
    assert "朝阳门街道办" in table[:table.index("</table>")]
    assert "Sent elsewhere" in english
    chinese = client.get(f"/bureau/?month={month}&lang=zh").get_data(as_text=True)
    table = chinese[chinese.index('id="sent-elsewhere"'):]
    assert "转至" in table[:table.index("</table>")]


def test_the_exports_and_the_pdf_show_what_went_where_too(app, unit, other_unit,
                                                          separate_cases, tmp_path):
    from tests.bureau.test_exports import pdf_text

    park_id = _plant(unit, other_unit)
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    first, _end = _month()
    month = first.strftime("%Y-%m")
    rows = list(csv.reader(io.StringIO(
        client.get(f"/bureau/parks.csv?month={month}&lang=en").get_data().decode("utf-8-sig"))))
    column = rows[0].index("Sent elsewhere (转办)")
    park_name = db.session.get(Park, park_id).name_en
    (park,) = [row for row in rows[1:] if row[1] == park_name]
    assert park[column] == "3"
    text = pdf_text(client.get(f"/bureau/report.pdf?month={month}").get_data(), tmp_path)
    section = text[text.index("转至"):]
    assert "朝阳门街道办" in section
    assert other_unit.parks[0].name_zh in section

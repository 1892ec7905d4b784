"""Figures by seasonal zone: the league table splits each park's cases by the zone they were
sent through (one function for the page, the API and the parks CSV/XLSX)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

from app.services.bureau.analytics import compare_parks, next_month
from tests.bureau.conftest import bureau_login
from tests.bureau.test_channels import month_start
from tests.bureau.test_exports import pdf_text
from tests.support.cases import add_case, flood_and_snow_zones


def plant(unit, other_unit) -> tuple[date, int]:
    """Two flood cases and one snow case at the unit's park, one flood case at the other
    unit's, and two cases through no zone."""
    flood, snow = flood_and_snow_zones()
    at = month_start()
    spot, category = unit.parks[0].spots[0], unit.categories[0]
    for hour, zone in enumerate([flood, flood, snow, None, None]):
        add_case(spot, category, at + timedelta(hours=hour), zone_id=zone.id if zone else None)
    theirs = other_unit.parks[0].spots[0]
    add_case(theirs, other_unit.categories[0], at, zone_id=flood.id)
    return at.date(), unit.parks[0].id


def test_the_league_table_splits_cases_by_zone(app, unit, other_unit):
    first, park_id = plant(unit, other_unit)
    comparison = compare_parks([*unit.parks, *other_unit.parks], first, next_month(first),
                               min_cases=1)
    by_park = {row.park.id: row.by_zone for row in comparison.rows}
    assert by_park[park_id] == {"flood": 2, "snow": 1}
    assert by_park[other_unit.parks[0].id] == {"flood": 1}
    assert comparison.zones == [("flood", "防汛专区", "Flood season"), ("snow", "降雪专区", "Snow")]


def test_a_month_before_the_cases_has_no_zone_figures(app, unit, other_unit):
    first, _park_id = plant(unit, other_unit)
    earlier = (first - timedelta(days=1)).replace(day=1)
    comparison = compare_parks(unit.parks, earlier, first, min_cases=1)
    assert comparison.zones == []
    assert all(row.by_zone == {} for row in comparison.rows)


def test_the_page_the_api_and_the_csv_show_the_split_in_both_languages(app, unit, other_unit):
    first, park_id = plant(unit, other_unit)
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    month = first.strftime("%Y-%m")
    api = client.get(f"/api/v1/bureau/comparison?month={month}").get_json()
    (park,) = [p for p in api["parks"] if p["park_id"] == park_id]
    assert park["by_zone"] == {"flood": 2, "snow": 1}
    english = client.get(f"/bureau/?month={month}&lang=en").get_data(as_text=True)
    table = english[english.index('id="by-zone"'):]
    table = table[:table.index("</table>")]
    assert "Flood season" in table
    assert "<td>2</td>" in table
    assert "By seasonal zone" in english
    chinese = client.get(f"/bureau/?month={month}&lang=zh").get_data(as_text=True)
    assert "防汛专区" in chinese[chinese.index('id="by-zone"'):]
    assert "按专区" in chinese
    rows = list(csv.reader(io.StringIO(client.get(
        f"/bureau/parks.csv?month={month}&lang=en").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][-2:] == ["Cases: zone Flood season", "Cases: zone Snow"]
    (line,) = [r for r in rows[1:] if r[1] == unit.parks[0].name_en]
    assert [int(v) for v in line[-2:]] == [2, 1]


def test_a_director_sees_only_the_zone_figures_of_the_units_parks(app, unit, other_unit):
    from tests.conftest import log_in, make_staff
    first, _park_id = plant(unit, other_unit)
    make_staff(other_unit, "director@xy.test")
    client = app.test_client()
    log_in(client, "director@xy.test")
    month = first.strftime("%Y-%m")
    api = client.get(f"/api/v1/bureau/comparison?month={month}").get_json()
    assert [p["by_zone"] for p in api["parks"]] == [{"flood": 1}]


def test_the_monthly_pdf_has_the_zone_table(app, unit, other_unit, tmp_path):
    first, _park_id = plant(unit, other_unit)
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    month = first.strftime("%Y-%m")
    text = pdf_text(client.get(f"/bureau/report.pdf?month={month}").get_data(), tmp_path)
    assert "按专区" in text
    assert re.search(r"RT公园\s+2\s+1\s*$", text, re.M), text

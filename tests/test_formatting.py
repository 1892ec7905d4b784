"""Dates, times and numbers on pages: the unit's time zone, the page's language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from app.formatting import number, unit_time
from tests.conftest import log_in, make_case, make_staff

SENT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)  # 07:30 on 2 March in Beijing


@pytest.fixture
def case_sent_late_at_night(db, spot):
    with time_machine.travel(SENT, tick=False):
        return make_case(spot)


def test_tracking_page_shows_beijing_time_in_chinese(client, spot, case_sent_late_at_night):
    html = client.get(f"/t/{case_sent_late_at_night.token}").get_data(as_text=True)
    assert "2026/3/2 07:30" in html
    assert 'datetime="2026-03-02T07:30+08:00"' in html


def test_tracking_page_shows_beijing_time_in_english(client, spot, case_sent_late_at_night):
    html = client.get(f"/t/{case_sent_late_at_night.token}",
                      headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "3/2/26, 7:30\u202fAM" in html  # CLDR puts a narrow no-break space before AM


def test_times_follow_the_units_time_zone(client, db, unit, spot, case_sent_late_at_night):
    unit.timezone = "Europe/London"
    db.session.commit()
    html = client.get(f"/t/{case_sent_late_at_night.token}").get_data(as_text=True)
    assert "2026/3/1 23:30" in html


def test_case_page_for_staff_shows_the_units_time(app, client, unit, spot,
                                                  case_sent_late_at_night):
    make_staff(unit, "lead@rt.test")
    log_in(client, "lead@rt.test")
    case_id = case_sent_late_at_night.case.id
    html = client.get(f"/staff/cases/{case_id}").get_data(as_text=True)
    assert "2026/3/2 07:30" in html


@pytest.mark.parametrize(("language", "expected"), [("zh_CN", "12,345.5"), ("en", "12,345.5")])
def test_numbers_follow_the_language(app, language, expected):
    with app.test_request_context(f"/?lang={language}"):
        assert number(12345.5) == expected


def test_unknown_time_zone_falls_back_to_the_default(app, unit):
    unit.timezone = "Mars/Olympus"
    with app.test_request_context("/"):
        assert unit_time(SENT, unit) == "2026/3/2 07:30"

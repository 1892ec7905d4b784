"""The monthly topic page: the planted problem with its parks, in every scope's own parks."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.support.cases import add_case

# 2026-03-10 10:00 in Beijing
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
CONTACT = "13912345678"


@pytest.fixture
def cases(unit, other_unit):
    for target in (unit, other_unit):
        spot = target.parks[0].spots[0]
        for text in ("厕所没有纸了", "北门厕所没有纸", "厕所又没有纸了"):
            add_case(spot, target.categories[0], T0, body=text, contact=CONTACT)
        add_case(spot, target.categories[1], T0, body="晚上有人遛狗不牵绳")


def test_bureau_sees_the_topic_across_parks(bureau_client, cases):
    response = bureau_client.get("/bureau/topics?month=2026-03")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "没有纸" in page
    assert "<strong>6 件</strong>" in page
    assert "RT公园 (3)" in page
    assert "XY公园 (3)" in page
    assert "遛狗" not in page  # one case is no topic
    assert CONTACT not in page


def test_a_director_sees_the_topics_of_their_parks_only(staff_client, cases):
    page = staff_client.get("/bureau/topics?month=2026-03").get_data(as_text=True)
    assert "RT公园 (3)" in page
    assert "XY公园" not in page


def test_an_empty_month_says_so(bureau_client, cases):
    page = bureau_client.get("/bureau/topics?month=2025-01").get_data(as_text=True)
    assert 'class="card topic"' not in page


def test_the_nav_links_the_topics(bureau_client):
    assert 'href="/bureau/topics"' in bureau_client.get("/bureau/").get_data(as_text=True)

"""Who may see /bureau, which parks they see, and that contacts never appear there."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from app.extensions import db
from app.services.bureau.rollups import REPORT_TZ
from tests.conftest import log_in, make_case, make_staff

CONTACT = "13912345678"
BUREAU_PAGES = ["/bureau/", "/bureau/?month=2026-03&sort=cases&min=0", "/bureau/hotline",
                "/bureau/trends", "/bureau/export.csv"]


@pytest.mark.parametrize("url", BUREAU_PAGES)
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize("url", BUREAU_PAGES)
def test_park_staff_who_are_not_directors_are_refused(app, unit, url):
    make_staff(unit, "guard@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, "guard@rt.test")
    assert client.get(url).status_code == 403


def test_bureau_user_lands_on_the_bureau_after_login(app, unit):
    make_staff(None, "viewer@bureau.test", roles=(), bureau_role="viewer")
    response = log_in(app.test_client(), "viewer@bureau.test")
    assert response.headers["Location"].endswith("/bureau/")


def test_bureau_user_sees_every_park(bureau_client, unit, other_unit):
    page = bureau_client.get("/bureau/").get_data(as_text=True)
    assert "RT公园" in page
    assert "XY公园" in page


def test_unanswered_cases_are_a_column_with_its_definition(bureau_client, unit, other_unit,
                                                            separate_cases):
    # two unanswered cases at one spot (joined as "me too" they would be one)
    for body in ("还没有人回复", "也还没有人回复"):
        make_case(unit.parks[0].spots[0], body=body)
    this_month = datetime.now(REPORT_TZ).strftime("%Y-%m")  # the page opens on the last one
    page = bureau_client.get(f"/bureau/?month={this_month}").get_data(as_text=True)
    header = page.split('<table class="figures" id="league">')[1].split("</thead>")[0]
    columns = re.findall(r'<th scope="col">([^<]+)</th>', header)
    assert "未回复" in columns
    row = page.split(f'data-park-id="{unit.parks[0].id}"')[1].split("</tr>")[0]
    cells = re.findall(r"<td>([^<]*)</td>", row)
    # the rank is the first cell, then the figures in the header's order from "Score"
    assert cells[columns.index("未回复") - 1] == "2"
    assert "未回复：尚未给游客公开回复的留言" in page
    api = bureau_client.get(f"/api/v1/bureau/comparison?month={this_month}").get_json()
    park = next(p for p in api["parks"] if p["park"]["id"] == unit.parks[0].id)
    assert (park["unanswered"], api["city"]["unanswered"]) == (2, 2)


def test_director_sees_only_the_parks_of_their_unit(staff_client, unit, other_unit):
    page = staff_client.get("/bureau/").get_data(as_text=True)
    assert "RT公园" in page
    assert "XY公园" not in page


@pytest.mark.parametrize("url", BUREAU_PAGES)
def test_bureau_users_never_see_visitor_contacts(bureau_client, unit, other_unit, url):
    make_case(unit.parks[0].spots[0], contact=CONTACT, body="有人在厕所抽烟")
    make_case(other_unit.parks[0].spots[0], contact="visitor@example.org")
    db.session.commit()
    response = bureau_client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert CONTACT not in page
    assert "visitor@example.org" not in page


def test_bureau_users_cannot_open_staff_case_pages(bureau_client, unit):
    receipt = make_case(unit.parks[0].spots[0], contact=CONTACT)
    response = bureau_client.get(f"/staff/cases/{receipt.case.id}")
    assert response.status_code in (403, 404)
    assert CONTACT not in response.get_data(as_text=True)


def test_bureau_user_can_log_out(bureau_client):
    from tests.conftest import csrf_token

    token = csrf_token(bureau_client, "/bureau/")
    response = bureau_client.post("/bureau/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert bureau_client.get("/bureau/").status_code == 302


def test_another_units_park_is_404_for_a_director(staff_client, unit, other_unit):
    other_park = other_unit.parks[0].id
    assert staff_client.get(f"/bureau/trends?park={other_park}").status_code == 404
    assert staff_client.get(f"/bureau/trends?park={unit.parks[0].id}").status_code == 200


def test_trends_page_draws_its_charts(bureau_client, unit):
    make_case(unit.parks[0].spots[0])
    page = bureau_client.get("/bureau/trends").get_data(as_text=True)
    assert page.count("data-chart=") == 3
    assert "<svg" in page
    assert "北门厕所" in page  # the hot spot

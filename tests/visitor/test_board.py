"""A park's public board, /p/<park_code>: what the park did, by the public rules (planted
personal data never shows), the bureau's figures, both languages, light, cached."""

from __future__ import annotations

import io
import re

import pytest

from app.formatting import duration, percent
from app.models import Case
from app.models.types import utcnow
from app.services.bureau.analytics import compare_parks, next_month
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.operations import (
    add_staff_photos,
    change_status,
    publish_summary,
    reply_to_visitor,
    set_case_private,
    set_photo_public,
)
from app.services.cases.photos import prepare_photo
from tests.conftest import make_case, sql_statements
from tests.support.images import png

PHONE, EMAIL, ID_NUMBER, PLATE = "13912345678", "wang.fang@example.org", \
    "110101199003071234", "京A12345"


def board_text(client, code: str, lang: str = "zh_CN") -> str:
    response = client.get(f"/p/{code}?lang={lang}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.fixture
def dealt_with(db, staff, spot, separate_cases):
    """Cases of the park as staff left them: planted contacts and personal data in every
    visitor's text and in a reply; what may be public is marked so."""
    masked = make_case(spot, body=f"厕所没纸，电话{PHONE}，邮箱{EMAIL}", contact=PHONE,
                       photos=[prepare_photo(io.BytesIO(png(40, 30)))])
    reply_to_visitor(user=staff, case_id=masked.case.id, body=f"已补纸，有事打{PHONE}",
                     new_status="resolved")
    summarized = make_case(spot, category_code="noise",
                           body=f"我叫王芳，身份证{ID_NUMBER}，车{PLATE}一直按喇叭",
                           contact=EMAIL)
    publish_summary(user=staff, case_id=summarized.case.id, summary="停车场有车辆长时间鸣笛")
    reply_to_visitor(user=staff, case_id=summarized.case.id, body="保安已劝离",
                     new_status="resolved")
    add_staff_photos(user=staff, case_id=summarized.case.id,
                     photos=[prepare_photo(io.BytesIO(png(50, 40)))])
    staff_photo = db.session.get(Case, summarized.case.id).photos[0]
    set_photo_public(user=staff, case_id=summarized.case.id, photo_id=staff_photo.id,
                     public=True)
    private = make_case(spot, body="私事：邻居李四家的狗", contact="li@example.org")
    reply_to_visitor(user=staff, case_id=private.case.id, body="李四您好", new_status="resolved")
    set_case_private(user=staff, case_id=private.case.id, private=True)
    spam = make_case(spot, category_code="noise", body="广告 加微信 abc")
    change_status(user=staff, case_id=spam.case.id, status="spam")
    still_open = make_case(spot, body="长椅坏了，还没处理")
    return {"masked": masked.case.id, "summarized": summarized.case.id,
            "private": private.case.id, "spam": spam.case.id, "open": still_open.case.id,
            "staff_photo": staff_photo.id,
            "visitor_photo": db.session.get(Case, masked.case.id).photos[0].id}


def test_board_shows_what_was_done_by_the_public_rules(client, db, unit, dealt_with):
    code = unit.parks[0].park_code
    html = board_text(client, code)
    for planted in (PHONE, EMAIL, ID_NUMBER, PLATE, "王芳", "李四", "li@example.org",
                    "广告", "长椅坏了"):
        assert planted not in html, planted
    assert "厕所没纸，电话***，邮箱***" in html  # no summary yet: the words masked
    assert "已补纸，有事打***" in html
    assert "停车场有车辆长时间鸣笛" in html  # the approved summary, not the words
    assert "保安已劝离" in html
    photos = re.findall(r'src="/photos/(\d+)"', html)
    assert photos == [str(dealt_with["staff_photo"])]  # the visitor's photo is not public
    # newest first: the summarized case was resolved after the masked one
    assert html.index("停车场有车辆长时间鸣笛") < html.index("厕所没纸")
    assert client.get(f"/photos/{dealt_with['staff_photo']}").status_code == 200
    assert client.get(f"/photos/{dealt_with['visitor_photo']}").status_code == 404


def test_board_figures_are_the_bureaus(client, db, unit, dealt_with):
    park = unit.parks[0]
    today = utcnow().astimezone(REPORT_TZ).date()
    month = today.replace(day=1)
    figures = compare_parks([park], month, next_month(month), min_cases=0).rows[0].figures
    assert figures.cases == 5
    html = board_text(client, park.park_code)  # zh, as the test's app context formats
    table = html[html.index('class="figures board-figures"'):html.index("</table>")]
    cells = re.findall(r"<td>([^<]*)</td>", table)
    # rows: messages, in time, resolved, satisfied, median first reply; this month first
    this_month = cells[0::2]
    assert this_month == [str(figures.cases), percent(figures.response_rate),
                          percent(figures.resolution_rate), percent(figures.satisfaction_rate),
                          duration(figures.median_response_minutes)]
    assert f"{month.year}-{month.month:02d}" in table


def test_board_in_both_languages_and_light(client, unit, dealt_with):
    code = unit.parks[0].park_code
    zh, en = board_text(client, code), board_text(client, code, "en")
    assert "您说，我们做" in zh
    assert "You said, we did" in en
    assert "RT Park" in en
    for html in (zh, en):
        assert len(html.encode()) <= 60 * 1024
        assert "<script" not in html  # nothing needs a script
        assert "csrf" not in html


def test_board_is_cached_and_a_change_shows_at_once(client, db, staff, spot, unit,
                                                   separate_cases):
    code = unit.parks[0].park_code
    assert "新的留言" not in board_text(client, code)
    receipt = make_case(spot, body="新的留言：路灯不亮")
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="路灯已修好",
                     new_status="resolved")
    assert "路灯已修好" in board_text(client, code)
    set_case_private(user=staff, case_id=receipt.case.id, private=True)
    assert "路灯已修好" not in board_text(client, code)


def test_board_is_served_from_the_cache_until_something_changes(client, db, unit, spot):
    code = unit.parks[0].park_code
    board_text(client, code)
    with sql_statements(db.engine) as seen:
        board_text(client, code)
    assert not [q for q in seen if "feedback" in q or "rollup" in q]


@pytest.mark.parametrize("code", ["nope", "RT-PARK!", "a" * 40, "%00"])
def test_unknown_or_malformed_park_codes_are_404(client, unit, code):
    assert client.get(f"/p/{code}").status_code == 404


def test_form_and_tracking_page_link_to_the_board(client, unit, spot):
    code = unit.parks[0].park_code
    assert f'href="/p/{code}"' in client.get(f"/q/{spot.code}").get_data(as_text=True)
    receipt = make_case(spot)
    assert f'href="/p/{code}"' in client.get(f"/t/{receipt.token}").get_data(as_text=True)

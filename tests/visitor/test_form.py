"""The visitor's form at /q/<code>: the public contract printed on posters."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest
from sqlalchemy import func, select

from app.models import Case
from tests.conftest import csrf_token
from tests.support.db_snapshot import nothing_stored

TRACK = re.compile(r"/t/([A-Za-z0-9_\-]+)$")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def submit(client, code, token=None, **fields):
    data = {"category": "toilets", "body": "北门厕所没有纸了",
            "csrf_token": token or csrf_token(client, f"/q/{code}")}
    data.update(fields)
    return client.post(f"/q/{code}", data=data)


def test_form_names_park_and_spot_in_chinese_by_default(client, spot):
    page = client.get(f"/q/{spot.code}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "RT公园" in html
    assert "北门厕所" in html
    assert 'lang="zh-CN"' in html
    assert 'value="toilets"' in html
    assert 'value="noise"' in html


def test_form_in_english_by_accept_language(client, spot):
    html = client.get(f"/q/{spot.code}", headers={"Accept-Language": "en-US,en;q=0.9"}).get_data(
        as_text=True)
    assert "North gate toilet" in html
    assert 'lang="en"' in html


def test_language_link_is_remembered(client, spot):
    client.get(f"/q/{spot.code}?lang=en")
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert 'lang="en"' in html


def test_submission_redirects_to_tracking_page(client, db, spot):
    response = submit(client, spot.code, contact="13800138000", rating="4")
    assert response.status_code == 303
    match = TRACK.search(response.headers["Location"])
    assert match
    case = db.session.scalars(select(Case)).one()
    assert re.fullmatch(r"RT-\d{4}-000001", case.reference)
    assert case.body == "北门厕所没有纸了"
    assert case.contact == "13800138000"
    assert case.rating == 4
    assert case.status == "new"
    assert case.spot_id == spot.id
    # the token itself is never stored, only its SHA-256 (README: "192 random bits")
    token = match.group(1)
    assert case.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert len(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))) * 8 == 192


def test_tracking_page_shows_reference_status_and_thread(client, db, spot):
    response = submit(client, spot.code)
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    case = db.session.scalars(select(Case)).one()
    assert page.status_code == 200
    assert case.reference in html
    assert "北门厕所没有纸了" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"


def test_second_submission_gets_next_reference(client, db, spot, separate_cases):
    # two cases, two references (a "me too" joins the first and gets none)
    submit(client, spot.code)
    submit(client, spot.code, body="又没有纸了")
    references = sorted(db.session.scalars(select(Case.reference)))
    assert [r[-6:] for r in references] == ["000001", "000002"]


def test_unknown_code_is_a_friendly_404(client, db, spot):
    page = client.get("/q/doesnotexist")
    assert page.status_code == 404
    assert "二维码" in page.get_data(as_text=True)
    # with a valid CSRF token (the session's, from a real spot's form): the code answers
    token = csrf_token(client, f"/q/{spot.code}")
    with nothing_stored("a post to an unknown code"):
        response = client.post("/q/doesnotexist", data={"category": "toilets", "body": "x",
                                                        "csrf_token": token})
    assert response.status_code == 404


def test_inactive_code_is_410(client, db, spot):
    spot.active = False
    db.session.commit()
    assert client.get(f"/q/{spot.code}").status_code == 410


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"body": ""}, "请写几句话说明问题，或者录一段语音"),
        ({"body": "   "}, "请写几句话说明问题，或者录一段语音"),
        ({"body": "x" * 5000}, "4000"),
        ({"category": ""}, "请选择"),
        ({"category": "no-such-category"}, ""),
        ({"contact": "not a contact <script>"}, "电话"),
        ({"rating": "9"}, ""),
    ],
)
def test_bad_input_shows_the_form_again_and_stores_nothing(client, db, spot, fields, message):
    token = csrf_token(client, f"/q/{spot.code}")  # opening the form counts a scan
    with nothing_stored(str(fields)):
        response = submit(client, spot.code, token=token, **fields)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    assert 'name="body"' in html


def test_typed_text_is_kept_when_the_form_comes_back(client, spot):
    response = submit(client, spot.code, category="", body="长椅坏了")
    assert "长椅坏了" in response.get_data(as_text=True)


def test_missing_csrf_token_is_400_and_stores_nothing(client, db, spot):
    client.get(f"/q/{spot.code}")
    with nothing_stored("no CSRF token"):
        response = client.post(f"/q/{spot.code}", data={"category": "toilets", "body": "hi"})
    assert response.status_code == 400


def test_wrong_token_is_404(client, spot):
    submit(client, spot.code)
    assert client.get("/t/not-a-real-token-at-all-123456").status_code == 404


def test_home_page_explains_the_mailbox(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "扫描" in page.get_data(as_text=True)


def test_a_second_visitor_joins_the_open_case_through_the_form(app, db, spot, staff_client):
    """"Me too" end to end through POST /q/<code>, with the production default (on, 24 h)."""
    import io

    from app.models import CaseToken
    from tests.support.images import png

    first, second = app.test_client(), app.test_client()
    one = submit(first, spot.code, body="北门厕所没有纸了，电话13912345678")
    two = submit(second, spot.code, body="我也发现厕所没有纸了",
                 photos=[(io.BytesIO(png()), "mine.png")])
    assert one.status_code == two.status_code == 303
    assert one.headers["Location"] != two.headers["Location"]  # a link of their own

    case = db.session.scalars(select(Case)).one()
    assert case.me_too_count == 1
    link = db.session.scalars(select(CaseToken)).one()
    assert link.case_id == case.id
    (photo,) = case.photos
    assert photo.case_token_id == link.id

    page = second.get(two.headers["Location"]).get_data(as_text=True)
    assert "已有人在这里反映过同一问题" in page
    assert "我也发现厕所没有纸了" in page
    assert "北门厕所没有纸了" not in page
    assert "13912345678" not in page
    assert f"/photos/{photo.id}" in page
    own = first.get(one.headers["Location"]).get_data(as_text=True)
    assert "我也发现厕所没有纸了" not in own
    assert f"/photos/{photo.id}" not in own
    # staff see both reports in the one case
    staff_page = staff_client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "北门厕所没有纸了" in staff_page
    assert "我也发现厕所没有纸了" in staff_page

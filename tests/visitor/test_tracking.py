"""The visitor's side of the loop on /t/<token>: follow up, fixed, not fixed, rate."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from app.extensions import socketio
from app.models import AuditLog, Case
from app.realtime import NAMESPACE
from app.services.cases.operations import change_status, reply_to_visitor
from app.services.cases.photos import prepare_photo
from tests.conftest import csrf_token, isolated, make_case
from tests.support.images import png


@pytest.fixture
def receipt(spot):
    return make_case(spot)


@pytest.fixture
def visitor(app):
    return app.test_client()


def act(visitor, receipt, action, **data):
    data.setdefault("csrf_token", csrf_token(visitor, f"/q/{receipt.case.spot.code}"))
    return visitor.post(f"/t/{receipt.token}/{action}", data=data)


def resolve(staff, receipt):
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="已修好", new_status="resolved")


def test_follow_up_joins_the_thread_and_reaches_staff(app, db, visitor, receipt,
                                                      staff_client):
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    response = act(visitor, receipt, "follow-up", body="现在更严重了")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/t/{receipt.token}")
    assert "现在更严重了" in visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    (event,) = [e["args"][0] for e in socket.get_received(NAMESPACE)
                if e["name"] == "case.updated"]
    assert event["change"] == "follow_up"


def test_empty_follow_up_is_400(db, visitor, receipt):
    assert act(visitor, receipt, "follow-up", body=" ").status_code == 400
    assert len(db.session.get(Case, receipt.case.id).messages) == 1


def test_fixed_closes_a_resolved_case(db, staff, visitor, receipt):
    resolve(staff, receipt)
    assert act(visitor, receipt, "fixed").status_code == 303
    case = db.session.get(Case, receipt.case.id)
    assert case.status == "closed"
    assert case.confirmed_fixed_at is not None


def test_not_fixed_reopens_and_counts(app, db, staff, staff_client, visitor, receipt):
    resolve(staff, receipt)
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    response = act(visitor, receipt, "not-fixed", body="还是坏的")
    assert response.status_code == 303
    case = db.session.get(Case, receipt.case.id)
    assert case.status == "in_progress"
    assert case.reopen_count == 1
    assert case.resolved_at is None
    assert [m.body for m in case.messages if m.kind == "visitor"][-1] == "还是坏的"
    (event,) = [e["args"][0] for e in socket.get_received(NAMESPACE)
                if e["name"] == "case.updated"]
    assert event["change"] == "reopened"
    assert db.session.scalars(select(AuditLog.action)).all()[-1] == "case.reopened"


def test_rating_the_answer(db, staff, visitor, receipt):
    page = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert 'name="score"' not in page  # nothing to rate before a reply
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="收到")
    assert 'name="score"' in visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert act(visitor, receipt, "rate", score="4").status_code == 303
    assert db.session.get(Case, receipt.case.id).satisfaction == 4
    assert act(visitor, receipt, "rate", score="5").status_code == 303
    assert db.session.get(Case, receipt.case.id).satisfaction == 5


@pytest.mark.parametrize("score", ["0", "6", "x", ""])
def test_bad_rating_is_400(db, staff, visitor, receipt, score):
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="收到")
    assert act(visitor, receipt, "rate", score=score).status_code == 400
    assert db.session.get(Case, receipt.case.id).satisfaction is None


def test_rating_before_any_reply_is_400(db, visitor, receipt):
    assert act(visitor, receipt, "rate", score="3").status_code == 400


def test_follow_up_on_a_closed_case_is_400(db, staff, visitor, receipt):
    change_status(user=staff, case_id=receipt.case.id, status="spam")
    assert act(visitor, receipt, "follow-up", body="还有").status_code == 400


@pytest.mark.parametrize("action", ["follow-up", "fixed", "not-fixed", "rate"])
def test_unknown_token_is_404(visitor, receipt, action):
    token = csrf_token(visitor, f"/q/{receipt.case.spot.code}")
    response = visitor.post(f"/t/not-a-real-token/{action}",
                            data={"csrf_token": token, "body": "x", "score": "3"})
    assert response.status_code == 404


@pytest.mark.parametrize("action", ["follow-up", "fixed", "not-fixed", "rate"])
def test_visitor_actions_need_csrf(db, visitor, receipt, action):
    response = visitor.post(f"/t/{receipt.token}/{action}", data={"body": "x", "score": "3"})
    assert response.status_code == 400
    assert len(db.session.get(Case, receipt.case.id).messages) == 1


def test_internal_entries_never_reach_the_tracking_page(db, staff, visitor, receipt):
    from app.services.cases.operations import add_internal_note, claim_case

    claim_case(user=staff, case_id=receipt.case.id)
    add_internal_note(user=staff, case_id=receipt.case.id, body="内部备注")
    html = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    assert "内部备注" not in html
    assert staff.name not in html


@pytest.fixture
def me_too(db, unit):
    assert unit.me_too_window_hours == 24  # the production default, which make_unit keeps


def _photo_ids(html: str, token: str) -> set[int]:
    return {int(n) for n in re.findall(rf"/t/{re.escape(token)}/photos/(\d+)", html)}


def test_me_too_visitor_sees_the_answer_and_only_their_own_words(db, me_too, staff, spot,
                                                                  visitor):
    first = make_case(spot, body="厕所纸没了，我是王阿姨，电话13912345678",
                      photos=[prepare_photo(io.BytesIO(png(40, 30)))])
    second = make_case(spot, body="第二位游客：厕所纸没了",
                       photos=[prepare_photo(io.BytesIO(png(20, 10)))])
    assert second.joined
    assert second.case.id == first.case.id
    reply_to_visitor(user=staff, case_id=first.case.id, body="已派人补纸",
                     new_status="in_progress")
    case = db.session.get(Case, first.case.id)
    first_photo, second_photo = case.photos

    html = visitor.get(f"/t/{second.token}").get_data(as_text=True)
    assert "第二位游客：厕所纸没了" in html  # their own message
    assert "已派人补纸" in html  # the park's reply
    assert "处理中" in html  # the status
    assert "王阿姨" not in html
    assert "13912345678" not in html
    assert _photo_ids(html, second.token) == {second_photo.id}
    assert visitor.get(f"/t/{second.token}/photos/{second_photo.id}").status_code == 200
    assert visitor.get(f"/t/{second.token}/photos/{first_photo.id}").status_code == 404

    # and the first visitor does not see the second's words or photo either
    html = visitor.get(f"/t/{first.token}").get_data(as_text=True)
    assert "我是王阿姨" in html
    assert "已派人补纸" in html
    assert "第二位游客" not in html
    assert _photo_ids(html, first.token) == {first_photo.id}
    assert visitor.get(f"/t/{first.token}/photos/{second_photo.id}").status_code == 404


def test_staff_photos_are_the_parks_answer_on_every_visitors_page(db, me_too, staff, spot,
                                                                   visitor):
    from app.services.cases.operations import add_staff_photos

    first = make_case(spot)
    second = make_case(spot, body="我也看到了，厕所没有纸了")
    add_staff_photos(user=staff, case_id=first.case.id,
                     photos=[prepare_photo(io.BytesIO(png()))])
    (photo,) = db.session.get(Case, first.case.id).photos
    for receipt in (first, second):
        html = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
        assert _photo_ids(html, receipt.token) == {photo.id}


def test_a_split_report_takes_its_photos_along(db, me_too, staff, spot, visitor):
    from app.services.cases.metoo import split_me_too

    first = make_case(spot)
    # it joins (no paper), and staff make it a case of its own for the tap
    second = make_case(spot, body="厕所没有纸了，水龙头也坏了",
                       photos=[prepare_photo(io.BytesIO(png()))])
    (link,) = db.session.get(Case, first.case.id).extra_tokens
    new_case = split_me_too(user=staff, case_id=first.case.id, link_id=link.id)
    db.session.expire_all()
    assert db.session.get(Case, first.case.id).photos == []
    (photo,) = db.session.get(Case, new_case.id).photos
    assert photo.case_token_id is None
    html = visitor.get(f"/t/{second.token}").get_data(as_text=True)
    assert _photo_ids(html, second.token) == {photo.id}


# --- the page keeps its own link: a QR code of it, and copy and share buttons -------------

def qr_texts_of_svg(svg: str) -> list[str]:
    """Rasterise the page's QR code (runs of dark modules in one path) and decode it."""
    import zxingcpp
    from PIL import Image, ImageDraw

    size = int(re.search(r'viewBox="0 0 (\d+) \d+"', svg).group(1))
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y, width in re.findall(r"M(\d+) (\d+)h(\d+)v1h-\d+z", svg):
        left, top = int(x) * scale, int(y) * scale
        draw.rectangle([left, top, left + int(width) * scale - 1, top + scale - 1], fill=0)
    return [result.text for result in
            zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_the_tracking_page_shows_a_qr_code_of_its_own_link(app, visitor, receipt):
    page = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    link = f"https://parks.example.org/t/{receipt.token}"
    (svg,) = re.findall(r'<svg[^>]*class="qr track-qr".*?</svg>', page, re.S)
    assert qr_texts_of_svg(svg) == [link]
    assert f'id="track-link" class="link-field" type="text" readonly value="{link}"' in page


def test_copy_and_share_wait_for_their_script_served_by_the_app(visitor, receipt):
    page = visitor.get(f"/t/{receipt.token}").get_data(as_text=True)
    # without the script there are no buttons that would do nothing
    assert re.search(r'<button[^>]*id="copy-link"[^>]*hidden', page, re.S)
    assert re.search(r'<button[^>]*id="share-link"[^>]*hidden', page, re.S)
    (script,) = re.findall(r'<script src="([^"]+)"', page)
    assert script.startswith("/static/js/track.js")
    with visitor.get(script) as response:
        assert response.status_code == 200
        source = response.get_data(as_text=True)
    assert "navigator.share" in source
    assert "navigator.clipboard" in source

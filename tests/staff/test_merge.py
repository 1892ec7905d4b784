"""Merging a case into another from its page (issue 23, point 5: staff can still merge and
split by hand): the case becomes a "me too" report of the other, its visitor's link with it."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    AuditLog,
    Case,
    CaseToken,
    CaseTransfer,
    Event,
    Message,
    MessageKind,
    Notification,
    Photo,
    Source,
    Status,
)
from app.services.cases.metoo import split_me_too
from app.services.cases.operations import change_status, reply_to_visitor
from app.services.cases.photos import prepare_photo
from app.services.cases.submission import find_tracking
from tests.conftest import csrf_token, log_in, make_case, make_staff, make_unit
from tests.support.db_snapshot import nothing_stored
from tests.support.images import png
from tests.support.pages import page_text


def _merge(client, case_id: int, into: str, token: str | None = None):
    token = token or csrf_token(client, f"/staff/cases/{case_id}")
    return client.post(f"/staff/cases/{case_id}/merge?lang=en",
                       data={"csrf_token": token, "into": into})


@pytest.fixture
def target(spot):
    return make_case(spot, category_code="toilets", body="厕所没有纸了")


@pytest.fixture
def source(spot, target):
    # another category at the spot: a case of its own, with its visitor's contact and photo
    return make_case(spot, category_code="noise", body="广场舞太吵", contact="13800138000",
                     rating=2, language="en", photos=[prepare_photo(io.BytesIO(png()))])


@pytest.fixture
def me_too(source, spot):
    receipt = make_case(spot, category_code="noise", body="广场舞也太吵了",
                        contact="me@example.org")
    assert receipt.joined
    assert receipt.case.id == source.case.id
    return receipt


def test_an_urgent_case_merged_in_makes_the_target_urgent(db, staff_client, spot, target):
    drowning = make_case(spot, category_code="noise", body="有人掉进湖里了，快来人")
    assert drowning.case.urgent
    assert not target.case.urgent
    assert _merge(staff_client, drowning.case.id, target.case.reference).status_code == 303
    db.session.expire_all()
    merged = db.session.get(Case, target.case.id)
    assert merged.urgent
    assert merged.urgent_reason == drowning.case.urgent_reason == "words"


def test_the_merge_form_is_on_the_case_page(staff_client, source):
    page_text(staff_client, f"/staff/cases/{source.case.id}?lang=en",
              f"/staff/cases/{source.case.id}/merge", 'name="into"', "Merge into case")


def test_the_visitors_link_opens_the_target_thread(staff, staff_client, source, target):
    reply_to_visitor(user=staff, case_id=target.case.id, body="已经补充了厕纸")
    response = _merge(staff_client, source.case.id, f"  {target.case.reference.lower()} ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/cases/{target.case.id}")
    tracking = find_tracking(source.token)
    assert tracking.case.id == target.case.id
    assert tracking.link_id is not None
    # the target's reference and reply, and the visitor's own words, none of the other's
    html = page_text(staff_client, f"/t/{source.token}", target.case.reference,
                     "已经补充了厕纸", "广场舞太吵")
    assert "厕所没有纸了" not in html
    assert source.case.reference not in html


def test_messages_photos_links_and_counts_go_to_the_target(db, staff_client, source, target,
                                                             me_too):
    photo_id = db.session.scalars(select(Photo.id)).one()
    assert _merge(staff_client, source.case.id, target.case.reference).status_code == 303
    merged = db.session.get(Case, target.case.id)
    link = find_tracking(source.token).link_id
    assert merged.me_too_count == 2  # the source's visitor and its own "me too" visitor
    visitors = [(m.body, m.case_token_id) for m in merged.messages
                if m.kind == MessageKind.VISITOR]
    me_too_link = find_tracking(me_too.token).link_id
    assert visitors == [("厕所没有纸了", None), ("广场舞太吵", link),
                        ("广场舞也太吵了", me_too_link)]
    assert {t.id for t in merged.extra_tokens} == {link, me_too_link}
    assert find_tracking(me_too.token).case.id == target.case.id
    visitor_link = db.session.get(CaseToken, link)
    assert (visitor_link.contact, visitor_link.rating, visitor_link.language) == (
        "13800138000", 2, "en")
    photo = db.session.get(Photo, photo_id)
    assert (photo.case_id, photo.case_token_id) == (target.case.id, link)
    # the visitor's page shows their photo from its new case
    assert staff_client.get(f"/t/{source.token}/photos/{photo_id}").status_code == 200


def test_the_source_is_closed_as_a_duplicate(db, staff, staff_client, source, target, me_too):
    notifications = db.session.scalar(select(func.count()).select_from(Notification))
    assert _merge(staff_client, source.case.id, target.case.reference).status_code == 303
    closed = db.session.get(Case, source.case.id)
    assert closed.status == Status.DUPLICATE
    assert closed.closed_at is not None
    assert closed.acknowledged_at is not None
    assert (closed.contact, closed.me_too_count, closed.extra_tokens) == (None, 0, [])
    assert [m.kind for m in closed.messages if m.kind == MessageKind.VISITOR] == []
    status = [(m.status_from, m.status_to) for m in closed.messages
              if m.kind == MessageKind.STATUS]
    assert status == [("new", "duplicate")]
    merged_actions = db.session.execute(select(Message.case_id, Message.body).where(
        Message.kind == MessageKind.ACTION, Message.action == "merged")).all()
    assert sorted(merged_actions) == sorted([(source.case.id, target.case.reference),
                                             (target.case.id, source.case.reference)])
    audits = db.session.scalars(select(AuditLog.target_id).where(
        AuditLog.action == "case.merged")).all()
    assert sorted(audits) == sorted([source.case.id, target.case.id])
    events = db.session.scalars(select(Event.case_id).order_by(Event.id.desc()).limit(2)).all()
    assert sorted(events) == sorted([source.case.id, target.case.id])
    # its visitors follow the target: nobody is told that "their" case is a duplicate
    assert db.session.scalar(select(func.count()).select_from(Notification)) == notifications
    page_text(staff_client, f"/staff/cases/{target.case.id}?lang=en",
              f"merged this case with {source.case.reference}")


def _closed_target(staff, source, target):
    change_status(user=staff, case_id=target.case.id, status="spam")
    return target.case.reference


def _hotline_source(staff, source, target):
    db.session.get(Case, source.case.id).source = Source.HOTLINE.value
    db.session.commit()
    return target.case.reference


def _transferred_source(staff, source, target):
    case = db.session.get(Case, source.case.id)
    db.session.add(CaseTransfer(case_id=case.id, kind="park", from_unit_id=case.unit_id,
                                from_park_id=case.park_id, to_park_id=case.park_id,
                                note="转办", by_id=staff.id))
    db.session.commit()
    return target.case.reference


def _closed_source(staff, source, target):
    change_status(user=staff, case_id=source.case.id, status="spam")
    return target.case.reference


def _another_units_case(staff, source, target):
    other = make_unit("XY")
    return make_case(other.parks[0].spots[0]).case.reference


@pytest.mark.parametrize(("arrange", "says"), [
    (lambda staff, source, target: "RT-2099-999999", "There is no case RT-2099-999999"),
    (_another_units_case, "There is no case XY-"),
    (lambda staff, source, target: source.case.reference, "cannot be merged into itself"),
    (_closed_target, "is closed"),
    (_closed_source, "Only an open case"),
    (_hotline_source, "12345 hotline case"),
    (_transferred_source, "A transferred case"),
], ids=["unknown", "other-unit", "itself", "target-closed", "source-closed", "hotline",
        "transferred"])
def test_a_refused_merge_changes_nothing(staff, staff_client, source, target, arrange, says):
    into = arrange(staff, source, target)
    token = csrf_token(staff_client, f"/staff/cases/{target.case.id}")
    with nothing_stored(says):
        response = _merge(staff_client, source.case.id, into, token=token)
    assert response.status_code == 400
    assert says in response.get_data(as_text=True).replace("&#39;", "'")


def test_an_empty_reference_is_400(staff_client, source):
    with nothing_stored("no reference"):
        assert _merge(staff_client, source.case.id, " ").status_code == 400


def test_a_viewer_may_not_merge(app, unit, source, target):
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    client = app.test_client()
    assert log_in(client, viewer.email).status_code == 303
    with nothing_stored("viewer"):
        response = _merge(client, source.case.id, target.case.reference)
    assert response.status_code == 403


def test_another_units_staff_get_404(app, source, target):
    other = make_unit("XY")
    guard = make_staff(other, "guard@xy.test", roles=("security",))
    own = make_case(other.parks[0].spots[0]).case
    client = app.test_client()
    assert log_in(client, guard.email).status_code == 303
    token = csrf_token(client, f"/staff/cases/{own.id}")
    with nothing_stored("other unit"):
        response = _merge(client, source.case.id, target.case.reference, token=token)
    assert response.status_code == 404


def test_a_split_after_a_merge_gives_the_report_back(db, staff, staff_client, source, target):
    assert _merge(staff_client, source.case.id, target.case.reference).status_code == 303
    link = find_tracking(source.token).link_id
    again = split_me_too(user=staff, case_id=target.case.id, link_id=link)
    assert (again.body, again.contact, again.rating) == ("广场舞太吵", "13800138000", 2)
    tracking = find_tracking(source.token)
    assert (tracking.case.id, tracking.link_id) == (again.id, None)
    assert db.session.get(Case, target.case.id).me_too_count == 0
    assert [p.case_id for p in db.session.scalars(select(Photo))] == [again.id]

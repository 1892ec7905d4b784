""""Me too": the same problem at the same spot joins the open case; staff can split it off."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import socketio
from app.models import Case, CaseToken, Category, Event
from app.models.types import utcnow
from app.realtime import NAMESPACE
from app.services.cases.metoo import split_me_too
from app.services.cases.operations import change_status
from app.services.cases.photos import prepare_photos
from app.services.cases.submission import find_tracking
from tests.conftest import isolated, make_case, sql_statements
from tests.support.images import png


@pytest.fixture
def window(db, unit):
    assert unit.me_too_window_hours == 24  # the production default, which make_unit keeps
    return unit


def count_cases(db):
    return db.session.scalar(select(func.count()).select_from(Case))


def test_second_report_joins_the_open_case(db, window, spot):
    first = make_case(spot, body="厕所没有纸")
    second = make_case(spot, body="我也发现没有纸", contact="13800138000")
    assert second.joined
    assert second.case.id == first.case.id
    assert count_cases(db) == 1
    case = db.session.get(Case, first.case.id)
    assert case.me_too_count == 1
    assert case.messages[-1].body == "我也发现没有纸"
    assert case.messages[-1].case_token_id is not None
    link = db.session.scalars(select(CaseToken)).one()
    assert link.contact == "13800138000"
    assert case.contact is None  # the first visitor's contact is untouched


def test_each_visitor_has_their_own_link_to_the_same_thread(db, window, spot):
    first = make_case(spot)
    second = make_case(spot, body="我也是")
    assert first.token != second.token
    assert find_tracking(first.token).link_id is None
    tracking = find_tracking(second.token)
    assert tracking.case.id == first.case.id
    assert tracking.link_id is not None


def test_staff_are_told_once_more(app, db, window, staff_client, spot):
    make_case(spot)
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    make_case(spot, body="我也是")
    received = socket.get_received(NAMESPACE)
    assert [e["name"] for e in received] == ["case.updated"]
    assert received[0]["args"][0]["change"] == "me_too"
    assert received[0]["args"][0]["me_too_count"] == 1


def test_another_category_or_spot_opens_a_new_case(db, window, spot):
    make_case(spot)
    make_case(spot, category_code="noise")
    assert count_cases(db) == 2


def test_a_closed_case_is_not_joined(db, window, staff, spot):
    first = make_case(spot)
    change_status(user=staff, case_id=first.case.id, status="resolved", reply="已修好")
    assert not make_case(spot).joined
    assert count_cases(db) == 2


def test_outside_the_window_a_new_case_opens(db, window, spot):
    make_case(spot)
    with time_machine.travel(utcnow() + timedelta(hours=25), tick=False):
        assert not make_case(spot).joined
    assert count_cases(db) == 2


def test_window_zero_turns_joining_off(db, unit, spot):
    unit.me_too_window_hours = 0
    db.session.commit()
    make_case(spot)
    assert not make_case(spot).joined


def test_split_makes_a_case_of_its_own(app, db, window, staff, spot):
    first = make_case(spot, body="厕所没有纸")
    # it joins (no paper), and staff make it a case of its own for the tap
    second = make_case(spot, body="厕所没有纸，水龙头也坏了", contact="me@example.org")
    link = db.session.scalars(select(CaseToken)).one()
    new_case = split_me_too(user=staff, case_id=first.case.id, link_id=link.id)
    assert new_case.id != first.case.id
    assert count_cases(db) == 2
    original = db.session.get(Case, first.case.id)
    assert original.me_too_count == 0
    assert "厕所没有纸，水龙头也坏了" not in [m.body for m in original.messages]
    split = db.session.get(Case, new_case.id)
    assert split.body == "厕所没有纸，水龙头也坏了"
    assert split.contact == "me@example.org"
    assert split.status == "new"
    assert split.claim_due_at is not None
    # the second visitor's link now leads to the new case, as its first visitor
    tracking = find_tracking(second.token)
    assert (tracking.case.id, tracking.link_id) == (new_case.id, None)
    assert db.session.scalar(select(func.count()).select_from(CaseToken)) == 0
    kinds = [e.kind for e in db.session.scalars(select(Event).order_by(Event.id))][-2:]
    assert kinds == ["feedback.created", "case.updated"]


def test_split_of_a_link_of_another_case_is_not_found(db, window, staff, spot):
    from app.services.errors import NotFoundError

    first = make_case(spot)
    make_case(spot, body="我也是")
    other = make_case(spot, category_code="noise")
    link = db.session.scalars(select(CaseToken)).one()
    assert link.case_id == first.case.id
    with pytest.raises(NotFoundError):
        split_me_too(user=staff, case_id=other.case.id, link_id=link.id)


def test_staff_are_told_of_the_photos_the_report_brings(app, db, window, staff_client, spot):
    """The event of a report that joins with a photo counts that photo (it was added after
    the event was recorded, so the staff card said one photo less)."""
    make_case(spot, body="厕所没有纸", photos=prepare_photos([io.BytesIO(png())]))
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    receipt = make_case(spot, body="我也发现没有纸", photos=prepare_photos([io.BytesIO(png())]))
    assert receipt.joined
    received = socket.get_received(NAMESPACE)
    assert [e["name"] for e in received] == ["case.updated"]
    assert received[0]["args"][0]["photo_count"] == 2
    assert received[0]["args"][0]["me_too_count"] == 1


def test_joining_does_not_read_the_earlier_reports(db, window, spot):
    """A popular case takes each new report in the same few statements, however many it has."""
    first = make_case(spot, body="广场舞太吵")
    for number in range(30):
        make_case(spot, body=f"广场舞也太吵了 {number}")
    with sql_statements(db.engine) as statements:
        receipt = make_case(spot, body="广场舞还是太吵")
    assert receipt.joined
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert not [s for s in reads if "FROM messages" in s or "FROM case_tokens" in s], reads
    case = db.session.get(Case, first.case.id)
    assert case.me_too_count == 31
    assert case.messages[-1].body == "广场舞还是太吵"
    assert len(case.extra_tokens) == 31


# "me too" only for the same problem (issue 23, point 5)

@pytest.fixture
def other(db, unit):
    category = Category(unit_id=unit.id, code="other", name_zh="其他", name_en="Other",
                        role="service", sort_order=9)
    db.session.add(category)
    db.session.commit()
    return category


# as the visitors chose (Other, which the words may refile) and both in one category
@pytest.mark.parametrize("chosen", ["other", "toilets"])
def test_someone_in_the_water_after_a_full_bin_is_an_urgent_case_of_its_own(
        db, window, other, spot, chosen):
    first = make_case(spot, category_code=chosen, body="垃圾桶满了")
    with time_machine.travel(utcnow() + timedelta(hours=1), tick=False):
        second = make_case(spot, category_code=chosen, body="有人落水了")
    assert not second.joined
    assert second.case.id != first.case.id
    cases = db.session.scalars(select(Case).order_by(Case.id)).all()
    assert [(c.body, c.me_too_count, c.urgent) for c in cases] == [
        ("垃圾桶满了", 0, False), ("有人落水了", 0, True)]


def test_another_problem_in_the_same_category_is_a_case_of_its_own(db, window, spot):
    first = make_case(spot, body="厕所没有纸了")
    second = make_case(spot, body="垃圾桶满了，苍蝇很多")
    assert not second.joined
    assert second.case.id != first.case.id
    assert db.session.get(Case, first.case.id).me_too_count == 0
    assert count_cases(db) == 2


def test_a_genuine_repeat_joins(db, window, spot):
    first = make_case(spot, body="厕所没纸了")
    second = make_case(spot, body="又没纸了，快来补")
    assert second.joined
    assert second.case.id == first.case.id


def test_a_repeat_in_english_joins(db, window, spot):
    first = make_case(spot, body="No toilet paper in the men's restroom")
    assert make_case(spot, body="Still no toilet paper in the toilets").joined
    assert db.session.get(Case, first.case.id).me_too_count == 1


def test_a_report_without_words_is_a_case_of_its_own(db, window, spot):
    """A rating with an emoji (or, with voice notes, a recording alone) has nothing to
    compare: it never joins."""
    first = make_case(spot, body="厕所没有纸了")
    second = make_case(spot, body="👎", rating=1)
    assert not second.joined
    assert second.case.id != first.case.id
    assert db.session.get(Case, second.case.id).rating == 1


def test_a_first_report_without_words_is_joined_by_nothing(db, window, spot):
    make_case(spot, body="👎")
    assert not make_case(spot, body="厕所没有纸了").joined
    assert count_cases(db) == 2


def test_a_report_in_an_urgent_category_never_joins(db, window, unit, spot):
    unit.categories[0].urgent = True  # toilets
    db.session.commit()
    first = make_case(spot, body="厕所没有纸了")
    second = make_case(spot, body="厕所没有纸了")
    assert not second.joined
    assert db.session.get(Case, second.case.id).urgent
    assert db.session.get(Case, first.case.id).me_too_count == 0


def test_a_report_joins_the_open_case_of_its_own_problem(db, window, spot):
    paper = make_case(spot, body="厕所没有纸了")
    lock = make_case(spot, body="女厕所隔间门锁坏了")
    assert not lock.joined
    # the latest open case is the lock's; the words are the paper's
    again = make_case(spot, body="厕所还是没有纸")
    assert again.case.id == paper.case.id
    assert make_case(spot, body="隔间的门锁坏了关不上").case.id == lock.case.id
    assert [db.session.get(Case, c.case.id).me_too_count for c in (paper, lock)] == [1, 1]

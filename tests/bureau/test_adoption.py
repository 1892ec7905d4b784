"""每月一题 as a loop: the bureau adopts a topic, assigns units; the units record measures;
the topic's reports per month before and after adoption; who may see and write what."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AdoptedTopic, AuditLog, MeasurePhoto, TopicMeasure
from app.models.types import utcnow
from app.services.bureau.adoption import (
    adopt_topic,
    before_and_after,
    monthly_reports,
    record_measure,
)
from app.services.cases.photos import photo_path, prepare_photo
from app.services.errors import DomainError, ForbiddenError, NotFoundError
from tests.bureau.conftest import bureau_login
from tests.conftest import csrf_token, log_in, make_staff
from tests.support.cases import add_case
from tests.support.images import png


def beijing(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 2, 0, tzinfo=UTC)  # 10:00 in Beijing


@pytest.fixture
def admin(unit, other_unit):
    return make_staff(None, "admin@bureau.test", roles=(), bureau_role="admin")


@pytest.fixture
def topic(admin, unit, other_unit) -> AdoptedTopic:
    """Adopted for 2026-03 about soap in the toilets, assigned to both units."""
    return adopt_topic(user=admin, month=date(2026, 3, 1), title="洗手液", keywords="洗手液",
                       category_code="toilets", unit_ids=[unit.id, other_unit.id], note="",
                       now=utcnow())


def client_of(app, email: str):
    client = app.test_client()
    assert log_in(client, email).status_code == 303
    return client


def measure_form(client, url: str, body: str = "每天两次补充洗手液", **extra):
    return client.post(url, data={"csrf_token": csrf_token(client, "/bureau/topics"),
                                  "body": body, "taken_on": "2026-03-12", **extra},
                       content_type="multipart/form-data")


# --- the definition of a matching report --------------------------------------------------

def test_matching_reports_are_the_topics_category_and_words_with_me_too_and_not_fixed(
        unit, other_unit, topic):
    toilets, noise = unit.categories
    spot = unit.parks[0].spots[0]
    add_case(spot, toilets, beijing(2026, 2, 3), body="厕所没有洗手液了", me_too_count=2)
    add_case(spot, toilets, beijing(2026, 2, 4), body="洗手液用完了", reopen_count=1)
    add_case(spot, toilets, beijing(2026, 2, 5), body="洗手池堵了")  # not the word
    add_case(spot, noise, beijing(2026, 2, 6), body="洗手液旁边有人放音乐")  # not the category
    add_case(spot, toilets, beijing(2026, 2, 7), body="洗手液广告", status="spam")  # spam
    add_case(spot, toilets, beijing(2026, 3, 20), body="还是没有洗手液")
    add_case(other_unit.parks[0].spots[0], other_unit.categories[0], beijing(2026, 3, 21),
             body="洗手液没了")
    rows = {row.month: row for row in monthly_reports(topic, unit.parks + other_unit.parks,
                                                      date(2026, 4, 15))}
    assert list(rows) == [date(2025, 9, 1), date(2025, 10, 1), date(2025, 11, 1),
                          date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1),
                          date(2026, 3, 1), date(2026, 4, 1)]
    assert (rows[date(2026, 2, 1)].cases, rows[date(2026, 2, 1)].reports) == (2, 5)
    assert (rows[date(2026, 3, 1)].cases, rows[date(2026, 3, 1)].reports) == (2, 2)
    assert not rows[date(2026, 2, 1)].after
    assert rows[date(2026, 3, 1)].after
    assert rows[date(2026, 4, 1)].partial
    summary = before_and_after(list(rows.values()))
    assert (summary.before_months, summary.before_average) == (6, 5 / 6)
    assert (summary.after_months, summary.after_average) == (1, 2.0)


def test_a_topic_with_keywords_only_counts_every_category(admin, unit):
    topic = adopt_topic(user=admin, month=date(2026, 3, 1), title="洗手液", keywords="洗手液",
                        category_code=None, unit_ids=[unit.id], note="", now=utcnow())
    toilets, noise = unit.categories
    add_case(unit.parks[0].spots[0], noise, beijing(2026, 3, 2), body="洗手液旁边放音乐")
    (row,) = [row for row in monthly_reports(topic, unit.parks, date(2026, 3, 31))
              if row.month == date(2026, 3, 1)]
    assert row.cases == 1


def test_a_directors_topic_page_counts_their_parks_only(app, unit, other_unit, topic, staff):
    add_case(other_unit.parks[0].spots[0], other_unit.categories[0], beijing(2026, 3, 21),
             body="洗手液没了")
    page = client_of(app, staff.email).get(f"/bureau/topics/adopted/{topic.id}?lang=en")
    text = page.get_data(as_text=True)
    assert 'id="matching-definition"' in text
    assert "<td>1</td>" not in text  # the other unit's case is not counted here


# --- adoption ---------------------------------------------------------------------------

def test_a_bureau_admin_adopts_a_suggestion_and_assigns_units(app, unit, other_unit):
    client = bureau_login(app, "admin@bureau.test", "admin")
    form = client.get("/bureau/topics/adopt?keywords=没有 洗手液&title=洗手液&month=2026-03")
    assert 'value="没有 洗手液"' in form.get_data(as_text=True)
    response = client.post("/bureau/topics/adopt", data={
        "csrf_token": csrf_token(client, "/bureau/topics/adopt"), "title": "洗手液",
        "month": "2026-03", "keywords": "洗手液、擦手纸", "category": "toilets",
        "units": [str(unit.id)], "note": "全市厕所"})
    assert response.status_code == 303
    topic = db.session.scalars(select(AdoptedTopic)).one()
    assert (topic.month, topic.keywords, topic.category_code) == (
        date(2026, 3, 1), "洗手液 擦手纸", "toilets")
    assert topic.unit_ids == [unit.id]
    audit = db.session.scalars(select(AuditLog).where(AuditLog.action == "topic.adopted")).one()
    assert audit.target_id == topic.id


def test_a_topic_needs_keywords_or_a_category(admin, unit):
    with pytest.raises(DomainError):
        adopt_topic(user=admin, month=date(2026, 3, 1), title="空", keywords=" , ",
                    category_code=None, unit_ids=[unit.id], note="", now=utcnow())


@pytest.mark.parametrize("who", ["bureau viewer", "director"])
def test_only_a_bureau_admin_adopts(app, unit, who):
    if who == "bureau viewer":
        client = bureau_login(app, "viewer@bureau.test", "viewer")
    else:
        client = client_of(app, make_staff(unit, "director@rt.test").email)
    token = csrf_token(client, "/bureau/topics")
    response = client.post("/bureau/topics/adopt", data={
        "csrf_token": token, "title": "x", "month": "2026-03", "keywords": "洗手液",
        "units": [str(unit.id)]})
    assert response.status_code == 403
    assert db.session.scalars(select(AdoptedTopic)).all() == []


# --- measures and who sees them ---------------------------------------------------------

def test_a_director_records_a_measure_with_a_photo(app, unit, topic, staff):
    client = client_of(app, staff.email)
    url = f"/bureau/topics/adopted/{topic.id}/measures"
    response = measure_form(client, url, photos=[(io.BytesIO(png()), "soap.png")])
    assert response.status_code == 303
    measure = db.session.scalars(select(TopicMeasure)).one()
    assert (measure.unit_id, measure.author_id, measure.taken_on) == (
        unit.id, staff.id, date(2026, 3, 12))
    (photo,) = measure.photos
    assert photo_path(photo).exists()
    served = client.get(f"/bureau/topics/adopted/{topic.id}/photos/{photo.id}")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert db.session.scalars(select(AuditLog).where(
        AuditLog.action == "topic.measure_recorded")).one().unit_id == unit.id


def test_a_measure_dated_in_the_future_is_refused(unit, topic, staff):
    with pytest.raises(DomainError):
        record_measure(user=staff, topic_id=topic.id, body="明天", taken_on=date(2099, 1, 1),
                       photos=[], now=utcnow())


def test_units_see_their_own_measures_and_the_bureau_all(app, unit, other_unit, topic, staff):
    theirs = make_staff(other_unit, "director@xy.test")
    record_measure(user=staff, topic_id=topic.id, body="甲单位的措施", taken_on=date(2026, 3, 5),
                   photos=[], now=utcnow())
    record_measure(user=theirs, topic_id=topic.id, body="乙单位的措施",
                   taken_on=date(2026, 3, 6), photos=[], now=utcnow())
    url = f"/bureau/topics/adopted/{topic.id}"
    mine = client_of(app, staff.email).get(url).get_data(as_text=True)
    assert "甲单位的措施" in mine
    assert "乙单位的措施" not in mine
    bureau = bureau_login(app, "viewer@bureau.test", "viewer").get(url).get_data(as_text=True)
    assert "甲单位的措施" in bureau
    assert "乙单位的措施" in bureau
    assert 'action="/bureau/topics/adopted/' not in bureau  # no form for a viewer


def test_another_units_director_gets_404_for_a_topic_not_theirs(app, admin, unit, other_unit):
    topic = adopt_topic(user=admin, month=date(2026, 3, 1), title="洗手液", keywords="洗手液",
                        category_code=None, unit_ids=[unit.id], note="", now=utcnow())
    director = make_staff(unit, "director@rt.test")
    record_measure(user=director, topic_id=topic.id, body="甲单位的措施",
                   taken_on=date(2026, 3, 5), photos=[prepare_photo(io.BytesIO(png()))],
                   now=utcnow())
    photo_id = db.session.scalars(select(MeasurePhoto.id)).one()
    client = client_of(app, make_staff(other_unit, "director@xy.test").email)
    assert client.get(f"/bureau/topics/adopted/{topic.id}").status_code == 404
    assert client.get(
        f"/bureau/topics/adopted/{topic.id}/photos/{photo_id}").status_code == 404
    response = measure_form(client, f"/bureau/topics/adopted/{topic.id}/measures")
    assert response.status_code == 404
    assert f"/bureau/topics/adopted/{topic.id}" not in client.get(
        "/bureau/topics").get_data(as_text=True)
    assert db.session.scalars(select(TopicMeasure)).all()[0].body == "甲单位的措施"
    assert len(db.session.scalars(select(TopicMeasure)).all()) == 1


def test_a_bureau_viewer_may_not_record_a_measure(app, topic):
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    response = measure_form(client, f"/bureau/topics/adopted/{topic.id}/measures")
    assert response.status_code == 403
    assert db.session.scalars(select(TopicMeasure)).all() == []


def test_a_unit_viewer_is_refused_by_the_acting_role_check(unit, topic):
    viewer = make_staff(unit, "viewer@rt.test", roles=("viewer",))
    with pytest.raises(ForbiddenError):
        record_measure(user=viewer, topic_id=topic.id, body="看看", taken_on=date(2026, 3, 5),
                       photos=[], now=utcnow())


def test_a_stranger_is_told_nothing_about_the_topic(app, admin, unit, other_unit):
    topic = adopt_topic(user=admin, month=date(2026, 3, 1), title="洗手液", keywords="洗手液",
                        category_code=None, unit_ids=[other_unit.id], note="", now=utcnow())
    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    with pytest.raises(NotFoundError):
        record_measure(user=guard, topic_id=topic.id, body="x", taken_on=date(2026, 3, 5),
                       photos=[], now=utcnow())


# --- the monthly PDF --------------------------------------------------------------------

def test_the_monthly_pdf_has_a_section_per_adopted_topic(app, unit, topic, staff, tmp_path):
    from tests.bureau.test_exports import pdf_text

    add_case(unit.parks[0].spots[0], unit.categories[0], beijing(2026, 2, 3),
             body="厕所没有洗手液了", me_too_count=2)
    record_measure(user=staff, topic_id=topic.id, body="北门厕所加装感应洗手液机",
                   taken_on=date(2026, 3, 5), photos=[], now=utcnow())
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    text = pdf_text(client.get("/bureau/report.pdf?month=2026-03").get_data(), tmp_path)
    assert "采纳的题目：洗手液" in text
    assert "北门厕所加装感应洗手液机" in text
    assert "2026-02" in text
    assert "匹配的诉求" in text

"""The inbox on a phone: filters, the responsible role's cases first, time left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.models import Park, Spot
from app.security import new_spot_code
from app.services.cases.inbox import InboxFilter, inbox_query
from app.services.cases.operations import change_status, claim_case, reply_to_visitor
from tests.conftest import log_in, make_case, make_staff

MONDAY_9_LOCAL = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def cleaner(unit):
    return make_staff(unit, "clean@rt.test", roles=("cleaning",), name="Cleaner Zhang")


def references(db, user, **selected):
    query = inbox_query(user, InboxFilter(**selected), datetime.now(UTC))
    return [case.reference for case in db.session.scalars(query)]


def test_the_responsible_roles_cases_come_first(db, cleaner, spot):
    toilets = make_case(spot, category_code="toilets").case.reference
    noise = make_case(spot, category_code="noise").case.reference
    assert references(db, cleaner) == [toilets, noise]
    guard = make_staff(spot.park.unit, "guard@rt.test", roles=("security",))
    assert references(db, guard) == [noise, toilets]


def test_mine_new_and_overdue_filters(db, staff, cleaner, spot):
    with time_machine.travel(MONDAY_9_LOCAL, tick=False):
        late = make_case(spot, category_code="noise")
    fresh = make_case(spot, category_code="noise")
    claim_case(user=cleaner, case_id=fresh.case.id)
    toilets = make_case(spot, category_code="toilets")
    assert references(db, cleaner, show="mine") == [toilets.case.reference,
                                                     fresh.case.reference]
    assert references(db, cleaner, show="new") == [toilets.case.reference,
                                                    late.case.reference]
    assert late.case.reference in references(db, cleaner, show="overdue")
    assert fresh.case.reference not in references(db, cleaner, show="overdue")


def test_unanswered_is_a_filter_with_its_count(db, staff, staff_client, spot, separate_cases):
    # an answered and an unanswered case at one spot, not one case with a "me too"
    waiting = make_case(spot, body="没人回复")
    answered = make_case(spot, body="已回复")
    reply_to_visitor(user=staff, case_id=answered.case.id, body="马上去看")
    spam = make_case(spot, body="广告")
    change_status(user=staff, case_id=spam.case.id, status="spam")
    assert references(db, staff, show="unanswered") == [waiting.case.reference]
    page = staff_client.get("/staff/?show=unanswered").get_data(as_text=True)
    assert "未回复（1）" in page
    assert waiting.case.reference in page
    assert answered.case.reference not in page
    assert page.count('data-role="unanswered"') == 1
    everything = staff_client.get("/staff/").get_data(as_text=True)
    assert everything.count('data-role="unanswered"') == 1  # the tag on the waiting case


def test_park_and_category_filters(db, unit, staff, spot):
    park = Park(unit_id=unit.id, name_zh="第二公园")
    park.spots.append(Spot(code=new_spot_code(), name_zh="南门"))
    db.session.add(park)
    db.session.commit()
    here = make_case(spot).case.reference
    there = make_case(park.spots[0]).case.reference
    noise = make_case(spot, category_code="noise").case.reference
    assert set(references(db, staff, park_id=park.id)) == {there}
    assert set(references(db, staff, category_id=unit.categories[1].id)) == {noise}
    assert set(references(db, staff)) == {here, there, noise}


def test_inbox_page_shows_time_left_and_overdue(app, db, spot, cleaner):
    with time_machine.travel(MONDAY_9_LOCAL, tick=False):
        make_case(spot)
        client = app.test_client()
        log_in(client, cleaner.email)
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(minutes=10), tick=False):
        html = client.get("/staff/?lang=en").get_data(as_text=True)
    assert "20 min left" in html
    assert "Yours" in html
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(hours=2, minutes=5), tick=False):
        html = client.get("/staff/?show=overdue&lang=en").get_data(as_text=True)
    assert "overdue 1 h 35 min" in html
    assert "is-overdue" in html


def test_inbox_title_counts_open_cases(staff_client, spot):
    make_case(spot)
    make_case(spot, category_code="noise")
    html = staff_client.get("/staff/").get_data(as_text=True)
    assert "<title>(2) " in html


def test_filters_never_show_another_units_cases(app, db, staff_client, spot, other_unit):
    theirs = make_case(other_unit.parks[0].spots[0])
    for query in ("", "?show=new", "?show=overdue",
                  f"?park={other_unit.parks[0].id}",
                  f"?category={other_unit.categories[0].id}"):
        html = staff_client.get(f"/staff/{query}").get_data(as_text=True)
        assert theirs.case.reference not in html


def test_garbage_filters_are_ignored(staff_client, spot):
    make_case(spot)
    response = staff_client.get("/staff/?show=everything&park=x&category=")
    assert response.status_code == 200


def urgent_noise(db, unit):
    next(c for c in unit.categories if c.code == "noise").urgent = True
    db.session.commit()


def test_urgent_cases_head_the_list_while_open(db, unit, staff, cleaner, spot, separate_cases):
    """Safety first: an open case of an urgent category comes before the user's own cases."""
    urgent_noise(db, unit)
    safety = make_case(spot, category_code="noise", body="有人打架")
    toilets = make_case(spot, category_code="toilets", body="没有纸")
    assert references(db, cleaner) == [safety.case.reference, toilets.case.reference]
    reply_to_visitor(user=staff, case_id=safety.case.id, body="已处理", new_status="resolved")
    assert references(db, cleaner) == [toilets.case.reference, safety.case.reference]


def test_cards_say_how_long_ago_and_flag_urgent_ones(app, db, unit, spot, cleaner):
    urgent_noise(db, unit)
    with time_machine.travel(MONDAY_9_LOCAL, tick=False):
        make_case(spot, category_code="noise", body="有人打架")
        client = app.test_client()
        log_in(client, cleaner.email)
    with time_machine.travel(MONDAY_9_LOCAL + timedelta(minutes=3, seconds=20), tick=False):
        zh = client.get("/staff/").get_data(as_text=True)
        en = client.get("/staff/?lang=en").get_data(as_text=True)
    assert 'data-role="urgent">紧急<' in zh
    assert "3分钟前" in zh
    # the exact time on hover, in the unit's zone (Beijing: 09:00)
    assert 'datetime="2026-06-01T09:00+08:00"' in zh
    assert "3 minutes ago" in en
    assert 'data-role="urgent">Urgent<' in en


def test_card_countdown_carries_its_deadline_for_the_clock(app, db, spot, cleaner):
    """staff.js counts on from data-due; the socket payload carries the same limit."""
    with time_machine.travel(MONDAY_9_LOCAL, tick=False):
        created = make_case(spot)
        client = app.test_client()
        log_in(client, cleaner.email)
        html = client.get("/staff/").get_data(as_text=True)
    due = created.case.claim_due_at
    assert f'data-limit="claim" data-due="{due.isoformat()}"' in html
    from app.services.cases.summaries import case_summary
    assert case_summary(created.case)["next_due_at"] == due.isoformat()
    claim_case(user=cleaner, case_id=created.case.id)
    summary = case_summary(created.case)
    assert summary["next_limit"] == "reply"
    assert summary["next_due_at"] == created.case.reply_due_at.isoformat()

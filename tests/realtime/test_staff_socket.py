"""The /staff Socket.IO namespace: refusal, rooms, live events and catch-up."""

from __future__ import annotations

import pytest

from app.extensions import socketio
from app.realtime import NAMESPACE
from app.services.errors import DomainError
from tests.conftest import isolated, log_in, make_case, make_staff


def connect(app, client, auth=None):
    return isolated(socketio.test_client, app, namespace=NAMESPACE, flask_test_client=client,
                    auth=auth)


def events_named(socket, name):
    """The payloads of one kind of event received so far (drains the socket's queue)."""
    return [event["args"][0] for event in socket.get_received(NAMESPACE) if event["name"] == name]


def test_anonymous_socket_is_refused(app, client, unit):
    socket = connect(app, client)
    assert not socket.is_connected(NAMESPACE)


def test_logged_in_staff_is_accepted(app, staff_client):
    socket = connect(app, staff_client)
    assert socket.is_connected(NAMESPACE)


def test_new_case_reaches_staff_of_the_park_after_commit(app, staff_client, spot):
    socket = connect(app, staff_client)
    receipt = make_case(spot, body="舞蹈队音响太吵了，已经持续一个小时", category_code="noise")
    (event,) = events_named(socket, "feedback.created")
    assert event["case_id"] == receipt.case.id
    assert event["park_id"] == spot.park_id
    assert event["point_name"] == "北门厕所"
    assert event["category"] == "noise"
    assert event["excerpt"].startswith("舞蹈队音响太吵了")
    assert event["event_id"] > 0
    assert "contact" not in event


def test_other_units_staff_hear_nothing(app, staff_client, spot, other_unit):
    outsider = make_staff(other_unit, "director@xy.test")
    outsider_client = app.test_client()
    log_in(outsider_client, outsider.email)
    theirs = connect(app, outsider_client)
    mine = connect(app, staff_client)
    make_case(spot)
    assert len(events_named(mine, "feedback.created")) == 1
    assert events_named(theirs, "feedback.created") == []


def test_failed_submission_emits_nothing(app, staff_client, spot):
    socket = connect(app, staff_client)
    with pytest.raises(DomainError):
        make_case(spot, category_code="no-such-category")
    assert socket.get_received(NAMESPACE) == []


def test_reply_is_broadcast_as_case_updated(app, staff_client, staff, spot):
    from app.services.cases.operations import reply_to_visitor

    receipt = make_case(spot)
    socket = connect(app, staff_client)
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="马上处理")
    (event,) = events_named(socket, "case.updated")
    assert event["case_id"] == receipt.case.id
    assert event["status"] == "acknowledged"


def test_catch_up_replays_missed_events_in_order(app, staff_client, spot, other_unit,
                                                 separate_cases):
    # each missed submission a new case with its own feedback.created (not a "me too")
    first = connect(app, staff_client)
    make_case(spot, body="第一条")
    (seen,) = events_named(first, "feedback.created")
    first.disconnect(NAMESPACE)

    missed = [make_case(spot, body=f"断线期间 {n}").case.id for n in range(3)]
    make_case(other_unit.parks[0].spots[0], body="别的单位")

    again = connect(app, staff_client, auth={"since": seen["event_id"]})
    received = again.get_received(NAMESPACE)
    names = [event["name"] for event in received]
    assert names == ["feedback.created"] * 3 + ["sync.done"]
    replayed = [event["args"][0] for event in received[:3]]
    assert [event["case_id"] for event in replayed] == missed
    ids = [event["event_id"] for event in replayed]
    assert ids == sorted(ids)
    assert received[3]["args"][0]["replayed"] == 3


def test_catch_up_past_the_limit_asks_for_a_reload(app, staff_client, spot):
    app.config["CATCHUP_LIMIT"] = 2
    for n in range(3):
        make_case(spot, body=f"消息 {n}")
    socket = connect(app, staff_client, auth={"since": 0})
    received = socket.get_received(NAMESPACE)
    assert [event["name"] for event in received] == ["sync.reload"]
    assert received[0]["args"][0]["missed"] == 3


def test_garbage_since_is_ignored(app, staff_client, spot):
    make_case(spot)
    socket = connect(app, staff_client, auth={"since": "drop table"})
    assert socket.is_connected(NAMESPACE)
    assert events_named(socket, "feedback.created") == []


def test_a_failed_emit_never_loses_the_case(app, client, db, spot, monkeypatch):
    from sqlalchemy import func, select

    from app.models import Case, Event
    from tests.visitor.test_form import submit

    def broken_emit(*args, **kwargs):
        raise ConnectionError("message queue down")

    monkeypatch.setattr(socketio, "emit", broken_emit)
    response = submit(client, spot.code)
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    # the event is in the log, so clients catch up when they reconnect
    assert db.session.scalar(select(func.count()).select_from(Event)) == 1


def test_catch_up_after_disconnect_gets_exactly_the_three_new_cases(app, staff_client, spot,
                                                                     other_unit, separate_cases):
    # three new cases at one spot, not "me too" joins
    outsider = make_staff(other_unit, "director@xy.test")
    outsider_client = app.test_client()
    log_in(outsider_client, outsider.email)
    mine = connect(app, staff_client)
    theirs = connect(app, outsider_client)
    make_case(spot, body="断线之前")
    (last_seen,) = events_named(mine, "feedback.created")
    mine.disconnect(NAMESPACE)
    theirs.disconnect(NAMESPACE)

    arrived = [make_case(spot, body=f"断线期间 {n}", category_code=code).case.id
               for n, code in enumerate(["toilets", "noise", "toilets"])]

    again = connect(app, staff_client, auth={"since": last_seen["event_id"]})
    received = again.get_received(NAMESPACE)
    assert [event["name"] for event in received] == ["feedback.created"] * 3 + ["sync.done"]
    assert [event["args"][0]["case_id"] for event in received[:3]] == arrived

    outsider_again = connect(app, outsider_client, auth={"since": last_seen["event_id"]})
    assert [event["name"] for event in outsider_again.get_received(NAMESPACE)] == ["sync.done"]


def test_catch_up_replays_staff_actions_too(app, staff_client, staff, spot):
    from app.services.cases.operations import add_internal_note, claim_case

    first = connect(app, staff_client)
    case_id = make_case(spot).case.id
    (seen,) = events_named(first, "feedback.created")
    first.disconnect(NAMESPACE)
    claim_case(user=staff, case_id=case_id)
    add_internal_note(user=staff, case_id=case_id, body="路上")
    again = connect(app, staff_client, auth={"since": seen["event_id"]})
    names = [event["name"] for event in again.get_received(NAMESPACE)]
    assert names == ["case.claimed", "case.noted", "sync.done"]


# --- cursors out of range, and ids that tell nothing of other units ----------------------

@pytest.mark.parametrize("since", [10**30, 2**63, 2**62, float("inf"), "1e400"])
def test_a_since_past_every_event_asks_for_a_reload(app, staff_client, spot, since):
    make_case(spot)
    socket = connect(app, staff_client, auth={"since": since})
    assert socket.is_connected(NAMESPACE)
    received = socket.get_received(NAMESPACE)
    if since in ("1e400", float("inf")):  # not whole numbers: ignored like other garbage
        assert received == []
        return
    assert [event["name"] for event in received] == ["sync.reload"]


def _id_step_of_my_unit(app, staff_client, spot, others_spot, others_in_between, start):
    """Two events of my unit ten seconds apart, with the other unit's events in between:
    how far apart their ids are, as seen on my socket."""
    import time_machine

    socket = connect(app, staff_client)
    with time_machine.travel(start, tick=False) as clock:
        make_case(spot, body="第一条")
        for n in range(others_in_between):
            clock.shift(0.1)
            make_case(others_spot, body=f"别的单位 {n}")
        clock.shift(10 - 0.1 * others_in_between)
        make_case(spot, body="第二条")
    first, second = events_named(socket, "feedback.created")
    socket.disconnect(NAMESPACE)
    return second["event_id"] - first["event_id"]


def test_event_ids_do_not_count_other_units_events(app, staff_client, spot, other_unit,
                                                   separate_cases):
    # two feedback.created of my unit at one spot (a "me too" would be case.updated)
    from datetime import timedelta

    from app.models.types import utcnow

    others_spot = other_unit.parks[0].spots[0]
    start = utcnow()
    quiet = _id_step_of_my_unit(app, staff_client, spot, others_spot, 0, start)
    busy = _id_step_of_my_unit(app, staff_client, spot, others_spot, 30,
                               start + timedelta(minutes=1))
    assert quiet == busy


def test_a_page_is_current_to_its_own_units_events_not_the_newest_of_all(app, staff_client,
                                                                         spot, other_unit):
    import re

    socket = connect(app, staff_client)
    make_case(spot, body="我的单位")
    (mine,) = events_named(socket, "feedback.created")
    make_case(other_unit.parks[0].spots[0], body="别的单位，之后")
    page = staff_client.get("/staff/").get_data(as_text=True)
    assert re.search(r'data-last-event-id="(\d+)"', page).group(1) == str(mine["event_id"])
    again = connect(app, staff_client, auth={"since": mine["event_id"]})
    (done,) = [event["args"][0] for event in again.get_received(NAMESPACE)]
    assert done == {"latest_event_id": mine["event_id"], "replayed": 0}


def test_a_deactivated_persons_sockets_close_at_once_a_colleagues_stay(app, staff, spot, unit):
    """One process, no queue: the director deactivates a guard; the guard's open page is
    told "logged out" and its socket closes; the director's own stays live."""
    from app.services.accounts.staff import set_staff_active

    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    guard_client, director_client = app.test_client(), app.test_client()
    log_in(guard_client, guard.email)
    log_in(director_client, staff.email)
    guards_page, directors_page = connect(app, guard_client), connect(app, director_client)
    assert guards_page.is_connected(NAMESPACE)

    set_staff_active(director=staff, unit_id=unit.id, user_id=guard.id, active=False)

    assert not guards_page.is_connected(NAMESPACE)
    # what reached the page before the socket closed (get_received refuses once closed)
    assert [e["name"] for e in guards_page.queue] == ["session.ended"]
    assert directors_page.is_connected(NAMESPACE)
    make_case(spot, category_code="noise")
    assert len(events_named(directors_page, "feedback.created")) == 1


def test_a_new_session_after_a_password_change_is_not_closed_by_it(app, staff, spot):
    """Only the sockets of the ended login generation close (rooms are per session nonce)."""
    from app.services.accounts.staff import log_out_everywhere

    old_client = app.test_client()
    log_in(old_client, staff.email)
    old_page = connect(app, old_client)
    log_out_everywhere(staff.id)
    new_client = app.test_client()
    log_in(new_client, staff.email)
    new_page = connect(app, new_client)
    assert not old_page.is_connected(NAMESPACE)
    assert new_page.is_connected(NAMESPACE)
    assert new_page.get_received(NAMESPACE) == []

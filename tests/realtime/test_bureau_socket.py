"""Early warnings reach the bureau's dashboard live: the bureau room, and nothing else there."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from app.extensions import socketio
from app.models.types import utcnow
from app.realtime import NAMESPACE
from app.services.bureau.bursts import raise_bursts
from app.services.bureau.warnings import raise_warnings
from tests.conftest import isolated, log_in, make_case, make_staff
from tests.support.cases import add_case

# 2026-05-20 15:30 in Beijing
NOW = datetime(2026, 5, 20, 7, 30, tzinfo=UTC)


def connect(app, client, auth=None):
    return isolated(socketio.test_client, app, namespace=NAMESPACE, flask_test_client=client,
                    auth=auth)


def events_named(socket, name):
    return [event["args"][0] for event in socket.get_received(NAMESPACE) if event["name"] == name]


def logged_in(app, email, **staff):
    make_staff(staff.pop("unit", None), email, **staff)
    client = app.test_client()
    assert log_in(client, email).status_code == 303
    return client


def spike(spot, category):
    for minutes in (10, 20, 30):
        add_case(spot, category, NOW - timedelta(minutes=minutes), body="广场舞音响太吵")
    (warning,) = raise_warnings(NOW)
    return warning


def test_bureau_users_hear_every_parks_warnings(app, unit, other_unit):
    viewer = connect(app, logged_in(app, "viewer@bureau.test", roles=(), bureau_role="viewer"))
    admin = connect(app, logged_in(app, "admin@bureau.test", roles=(), bureau_role="admin"))
    assert viewer.is_connected(NAMESPACE)
    warning = spike(other_unit.parks[0].spots[0], other_unit.categories[1])
    for socket in (viewer, admin):
        (event,) = events_named(socket, "warning.raised")
        assert event["warning_id"] == warning.id
        assert event["park_name"] == "XY公园"
        assert event["point_name"] == "北门厕所"
        assert event["category"] == "noise"
        assert event["observed"] == 3


def test_the_unit_still_hears_its_own_warning_and_no_other(app, unit, other_unit, staff_client):
    mine = connect(app, staff_client)
    spike(other_unit.parks[0].spots[0], other_unit.categories[1])
    assert events_named(mine, "warning.raised") == []
    spike(unit.parks[0].spots[0], unit.categories[1])
    assert len(events_named(mine, "warning.raised")) == 1


def test_a_bureau_user_with_a_unit_hears_a_warning_once(app, unit):
    both = connect(app, logged_in(app, "both@bureau.test", unit=unit, roles=("director",),
                                  bureau_role="viewer"))
    spike(unit.parks[0].spots[0], unit.categories[1])
    assert len(events_named(both, "warning.raised")) == 1


def test_bureau_users_hear_no_case_events(app, unit, spot):
    viewer = connect(app, logged_in(app, "viewer@bureau.test", roles=(), bureau_role="viewer"))
    make_case(spot, contact="13912345678")
    assert viewer.get_received(NAMESPACE) == []


def test_bureau_catch_up_replays_warnings_only(app, unit, spot):
    client = logged_in(app, "viewer@bureau.test", roles=(), bureau_role="viewer")
    make_case(spot, contact="13912345678")
    warning = spike(spot, unit.categories[1])
    socket = connect(app, client, auth={"since": 0})
    received = socket.get_received(NAMESPACE)
    assert [event["name"] for event in received] == ["warning.raised", "sync.done"]
    assert received[0]["args"][0]["warning_id"] == warning.id


def test_staff_without_a_unit_or_bureau_role_are_refused(app):
    socket = connect(app, logged_in(app, "nobody@x.test", roles=()))
    assert not socket.is_connected(NAMESPACE)


def test_the_dashboard_goes_live_without_inline_script(app, unit):
    client = logged_in(app, "viewer@bureau.test", roles=(), bureau_role="viewer")
    page = client.get("/bureau/").get_data(as_text=True)
    assert 'id="live-warnings"' in page
    assert 'data-namespace="/staff"' in page
    assert re.search(r'data-last-event-id="\d+"', page)
    assert "/static/js/bureau-warnings.js" in page
    assert "/static/vendor/socket.io.min.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # every script is a file


def test_a_burst_reaches_the_bureau_and_the_unit_naming_its_case(app, unit, staff_client):
    bureau = connect(app, logged_in(app, "viewer@bureau.test", roles=(), bureau_role="viewer"))
    mine = connect(app, staff_client)
    spot = unit.parks[0].spots[0]
    first = make_case(spot, body="厕所水漫出来了")
    make_case(spot, body="我也是")
    make_case(spot, body="还是漫水")
    (warning,) = raise_bursts(utcnow())
    for socket in (bureau, mine):
        (event,) = [e for e in events_named(socket, "warning.raised")
                    if e.get("warning_kind") == "burst"]
        assert event["warning_id"] == warning.id
        assert event["point_name"] == "北门厕所"
        assert event["case_reference"] == first.case.reference
        assert event["observed"] == 3

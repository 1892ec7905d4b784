"""Spot rules: codes never reused, scans counted per local day beside submissions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from app.models import RetiredCode, ScanCount
from app.services.errors import DomainError, NotFoundError
from app.services.spots.spots import (
    ScanBuffer,
    SpotFields,
    create_spot,
    find_unit_spot,
    flush_scans,
    local_day,
    record_scan,
    replace_spot_code,
    spot_activity,
    update_spot,
)
from tests.conftest import make_case

# 17:30 UTC is already the next day in Beijing (UTC+8)
EVENING_UTC = datetime(2026, 6, 1, 17, 30, tzinfo=UTC)


def test_local_day_is_the_units_calendar_day():
    assert local_day("Asia/Shanghai", EVENING_UTC) == date(2026, 6, 2)
    assert local_day("UTC", EVENING_UTC) == date(2026, 6, 1)


def test_scans_are_counted_on_the_units_local_day(spot, db):
    with time_machine.travel(EVENING_UTC, tick=False):
        record_scan(spot.id, spot.park.unit.timezone)
        record_scan(spot.id, spot.park.unit.timezone)
    (row,) = db.session.scalars(select(ScanCount)).all()
    assert (row.day, row.count) == (date(2026, 6, 2), 2)


def test_activity_puts_scans_and_submissions_side_by_side(unit, spot):
    with time_machine.travel(EVENING_UTC, tick=False):
        for _ in range(4):
            record_scan(spot.id, spot.park.unit.timezone)
        make_case(spot)
        activity = spot_activity(unit, [spot], days=7)[spot.id]
    assert (activity.scans, activity.submissions) == (4, 1)
    assert activity.by_day[date(2026, 6, 2)] == (4, 1)
    assert activity.conversion == 0.25
    assert len(activity.by_day) == 7


def test_replaced_code_is_retired_and_never_handed_out_again(unit, spot, staff, db):
    old = spot.code
    spot, returned = replace_spot_code(unit, spot.id, user_id=staff.id)
    assert returned == old
    assert spot.code != old
    assert db.session.scalar(select(RetiredCode.spot_id).where(RetiredCode.code == old)) ==\
        spot.id


def test_another_units_spot_is_not_found(unit, other_unit, staff):
    foreign = other_unit.parks[0].spots[0]
    with pytest.raises(NotFoundError):
        find_unit_spot(unit, foreign.id)
    with pytest.raises(NotFoundError):
        update_spot(unit, foreign.id, SpotFields(name_zh="x"), user_id=staff.id)
    with pytest.raises(NotFoundError):
        create_spot(unit, other_unit.parks[0].id, SpotFields(name_zh="x"), user_id=staff.id)


@pytest.mark.parametrize("fields", [
    SpotFields(name_zh="  "),
    SpotFields(name_zh="a", latitude=1.0),
    SpotFields(name_zh="a", latitude=95.0, longitude=1.0),
    SpotFields(name_zh="a", latitude=1.0, longitude=-181.0),
])
def test_invalid_fields_are_refused(unit, staff, fields):
    with pytest.raises(DomainError):
        create_spot(unit, unit.parks[0].id, fields, user_id=staff.id)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_scan_buffer_is_due_once_its_oldest_scan_is_old_enough():
    clock = FakeClock()
    buffer = ScanBuffer(clock)
    assert not buffer.due(10)
    buffer.add(1, date(2026, 6, 2))
    clock.now += 9
    buffer.add(1, date(2026, 6, 2))
    assert not buffer.due(10)
    clock.now += 1
    assert buffer.due(10)
    assert buffer.take() == {(1, date(2026, 6, 2)): 2}
    assert not buffer.due(0)


def test_scans_are_written_in_batches(app, db, unit, spot):
    app.config["SCAN_FLUSH_SECONDS"] = 3600
    for _ in range(3):
        record_scan(spot.id, spot.park.unit.timezone)
    assert db.session.scalars(select(ScanCount)).all() == []
    assert flush_scans() == 3
    (row,) = db.session.scalars(select(ScanCount)).all()
    assert row.count == 3
    record_scan(spot.id, spot.park.unit.timezone)
    assert spot_activity(unit, [spot], days=1)[spot.id].scans == 4  # reading flushes first


def test_scans_are_kept_when_the_database_refuses_them(app, db, spot, monkeypatch):
    app.config["SCAN_FLUSH_SECONDS"] = 3600
    record_scan(spot.id, spot.park.unit.timezone)
    record_scan(spot.id, spot.park.unit.timezone)

    def broken():
        raise OperationalError("INSERT", {}, Exception("database is locked"))

    monkeypatch.setattr("app.services.spots.spots.write_transaction", broken)
    assert flush_scans() == 0
    monkeypatch.undo()
    assert flush_scans() == 2
    assert db.session.scalars(select(ScanCount)).one().count == 2

"""Migrations that fill a new column from existing rows give what the app would have written."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.models import rollup_daily, rollup_monthly, rollup_zone_daily
from app.models.bureau import CHANNELS
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.operations import change_status, reply_to_visitor
from tests.conftest import database_url, make_case, make_staff, make_unit


def _no_schema() -> None:
    """The test database without any table, for the migrations to build from nothing."""
    db.drop_all()
    with db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")


def _leave_no_schema() -> None:
    db.session.remove()
    _no_schema()
    db.engine.dispose()


def _unanswered() -> list[tuple[object, ...]]:
    db.session.commit()
    daily = db.session.execute(select(rollup_daily.c.park_id, rollup_daily.c.day,
                                      rollup_daily.c.unanswered)
                               .order_by(rollup_daily.c.park_id, rollup_daily.c.day)).all()
    monthly = db.session.execute(select(rollup_monthly.c.park_id, rollup_monthly.c.month,
                                        rollup_monthly.c.unanswered)
                                 .order_by(rollup_monthly.c.park_id)).all()
    db.session.commit()
    return [tuple(row) for row in daily + monthly]


def test_unanswered_is_counted_from_the_cases_already_there(tmp_path):
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path))
    with app.app_context():
        _no_schema()
        upgrade()
        unit = make_unit("RT", me_too_window_hours=0)
        staff = make_staff(unit, "director@rt.test")
        spot = unit.parks[0].spots[0]
        waiting = [make_case(spot, body=f"还没有回复 {n}") for n in range(3)]
        answered = make_case(spot, body="已回复")
        reply_to_visitor(user=staff, case_id=answered.case.id, body="已处理")
        spam = make_case(spot, body="广告")
        change_status(user=staff, case_id=spam.case.id, status="spam")
        written_by_the_app = _unanswered()
        assert [row[-1] for row in written_by_the_app] == [len(waiting), len(waiting)]
        db.session.remove()
        downgrade(revision="0010")
        upgrade(revision="0011")
        assert _unanswered() == written_by_the_app
        upgrade()
        _leave_no_schema()


def test_public_columns_arrive_on_a_database_with_cases_and_photos(tmp_path):
    """0012 adds the public summary and flags under existing cases (SQLite refuses to copy a
    table other rows point to); photos already there stay not public, cases not private."""
    import io

    from app.models import Case, Photo
    from app.services.cases.photos import prepare_photo
    from tests.support.images import png

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path),
                     PHOTO_DIR=str(tmp_path / "photos"))
    with app.app_context():
        _no_schema()
        upgrade()
        unit = make_unit("RT")
        case_id = make_case(unit.parks[0].spots[0],
                            photos=[prepare_photo(io.BytesIO(png()))]).case.id
        db.session.remove()
        downgrade(revision="0011")
        upgrade()
        case = db.session.get(Case, case_id)
        assert (case.private, case.public_summary) == (False, None)
        (photo,) = db.session.scalars(select(Photo)).all()
        assert (photo.public, photo.case_token_id) == (False, None)
        _leave_no_schema()


def test_parks_already_there_get_a_stable_unique_code(tmp_path):
    """0018 gives every existing park a code: its English name as a slug when that is free,
    else a random one; a park without an English name too. Spots and cases stay."""
    from sqlalchemy import text

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path))
    with app.app_context():
        _no_schema()
        upgrade(revision="0015")
        with db.engine.begin() as connection:
            connection.execute(text("INSERT INTO units (id, code, name_zh, name_en, timezone, "
                                    "is_demo, created_at) VALUES (1, 'RT', '日坛', 'Ritan', "
                                    "'Asia/Shanghai', false, '2026-01-01 00:00:00')"))
            for park_id, name_en in ((1, "Ritan Park"), (2, "Ritan park!"), (3, "")):
                connection.execute(text("INSERT INTO parks (id, unit_id, name_zh, name_en, "
                                        "created_at) VALUES (:id, 1, '园', :en, "
                                        "'2026-01-01 00:00:00')"), {"id": park_id, "en": name_en})
        upgrade()
        with db.engine.begin() as connection:
            codes = dict(connection.execute(text("SELECT id, park_code FROM parks")).all())
        assert codes[1] == "ritan-park"
        assert codes[2] != "ritan-park"  # the same slug: taken, so a random code
        assert len(set(codes.values())) == 3
        assert all(code and len(code) <= 32 for code in codes.values())
        downgrade(revision="0015")
        upgrade()
        _leave_no_schema()


def _rate_columns() -> list[tuple[object, ...]]:
    db.session.commit()
    names = ("with_limit", "within_limit", "satisfied", "reopens", "not_counted")
    daily = db.session.execute(
        select(rollup_daily.c.park_id, rollup_daily.c.day,
               *[rollup_daily.c[name] for name in names])
        .order_by(rollup_daily.c.park_id, rollup_daily.c.day)).all()
    monthly = db.session.execute(
        select(rollup_monthly.c.park_id, rollup_monthly.c.month,
               *[rollup_monthly.c[name] for name in names])
        .order_by(rollup_monthly.c.park_id)).all()
    db.session.commit()
    return [tuple(row) for row in daily + monthly]


def test_the_counts_behind_the_three_rates_come_from_the_cases_already_there(tmp_path):
    """0017: satisfied, reopens and not_counted filled in, spam taken out of with_limit."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path))
    with app.app_context():
        _no_schema()
        upgrade()
        unit = make_unit("RT", me_too_window_hours=0)
        staff = make_staff(unit, "director@rt.test")
        spot = unit.parks[0].spots[0]
        answered = [make_case(spot, body=f"已回复 {n}") for n in range(3)]
        for receipt in answered:
            reply_to_visitor(user=staff, case_id=receipt.case.id, body="已处理")
        for receipt, rating in zip(answered, (5, 4, 2), strict=True):
            receipt.case.satisfaction = rating
        answered[0].case.reopen_count = 2
        spam = make_case(spot, body="广告")
        change_status(user=staff, case_id=spam.case.id, status="spam")
        duplicate = make_case(spot, body="重复")
        reply_to_visitor(user=staff, case_id=duplicate.case.id, body="同上")
        change_status(user=staff, case_id=duplicate.case.id, status="duplicate")
        written_by_the_app = _rate_columns()
        # 4 cases with a deadline (spam aside), 2 rated 4-5, 2 reopens, spam and duplicate
        assert [row[2:] for row in written_by_the_app] == [(4, 4, 2, 2, 2)] * 2
        db.session.remove()
        downgrade(revision="0016")
        upgrade(revision="0017")
        assert _rate_columns() == written_by_the_app
        _leave_no_schema()


def _channel_and_zone_counts() -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    db.session.commit()
    channels = [
        tuple(row) for table, keys in (
            (rollup_daily, ("park_id", "point_id", "category_id", "day")),
            (rollup_monthly, ("park_id", "category_id", "month")))
        for row in db.session.execute(
            select(*[table.c[key] for key in keys], *[table.c[name] for name in CHANNELS])
            .order_by(*[table.c[key] for key in keys]))]
    zones = [tuple(row) for row in db.session.execute(
        select(rollup_zone_daily).where(rollup_zone_daily.c.cases != 0)
        .order_by(*rollup_zone_daily.primary_key.columns))]
    db.session.commit()
    return channels, zones


def test_the_cases_by_channel_and_by_zone_come_from_the_cases_already_there(tmp_path):
    """0032: the channel counts of every rollup row and the rows by zone, as the hooks keep
    them: cases of each channel on both sides of a local midnight, a case whose channel,
    zone or park changed after it came in, and a deleted one."""
    from app.models import Case, Zone
    from tests.support.cases import add_case

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path))
    with app.app_context():
        _no_schema()
        upgrade()
        unit, other = make_unit("RT"), make_unit("XY")
        flood = Zone(code="flood", name_zh="防汛专区", message_zh="汛期",
                     starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31))
        db.session.add(flood)
        db.session.commit()
        spot, category = unit.parks[0].spots[0], unit.categories[0]
        midnight = datetime(2026, 7, 1, tzinfo=REPORT_TZ)  # a month's first local day
        planted = [("qr", None, flood.id), ("hotline", None, None), ("staff", "phone", None),
                   ("staff", None, flood.id), ("api", None, None), ("open311", None, flood.id)]
        cases = [add_case(spot, category, midnight + timedelta(minutes=offset), source=source,
                          channel=channel, zone_id=zone_id)
                 for offset in (-1, 0) for source, channel, zone_id in planted]
        cases[0].source, cases[0].channel = "staff", "patrol"
        cases[3].zone_id = None
        cases[5].park_id, cases[5].spot_id = other.parks[0].id, other.parks[0].spots[0].id
        db.session.delete(cases[7])
        db.session.commit()
        assert db.session.query(Case).count() == len(planted) * 2 - 1
        written_by_the_app = _channel_and_zone_counts()
        channels, zones = written_by_the_app
        rt, xy = unit.parks[0].id, other.parks[0].id
        june_30, july_1 = date(2026, 6, 30), date(2026, 7, 1)
        # qr, hotline, phone, counter, patrol, other, api (per park and day: one spot each)
        assert {(row[0], row[3]): row[-7:] for row in channels[:3]} == {
            (rt, june_30): (0, 1, 1, 0, 1, 1, 1), (rt, july_1): (1, 0, 1, 0, 0, 1, 2),
            (xy, june_30): (0, 0, 0, 0, 0, 0, 1)}
        assert [(park_id, day, count) for park_id, _zone, day, count in zones] == [
            (rt, june_30, 1), (rt, july_1, 3), (xy, june_30, 1)]
        db.session.remove()
        downgrade(revision="0031")
        upgrade(revision="0032")
        assert _channel_and_zone_counts() == written_by_the_app
        _leave_no_schema()

"""Migrations that fill a new column from existing rows give what the app would have written."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.models import rollup_daily, rollup_monthly
from app.services.cases.operations import change_status, reply_to_visitor
from tests.conftest import database_url, make_case, make_staff, make_unit


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
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
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
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()


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
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
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
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()


def test_parks_already_there_get_a_stable_unique_code(tmp_path):
    """0018 gives every existing park a code: its English name as a slug when that is free,
    else a random one; a park without an English name too. Spots and cases stay."""
    from sqlalchemy import text

    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=database_url(tmp_path))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
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
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()


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
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
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
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as connection:
            connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        db.engine.dispose()

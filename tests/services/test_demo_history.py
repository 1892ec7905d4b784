"""The demo history `make run` loads: every bureau page has something to show."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import (
    Case,
    HotlineTicket,
    Message,
    Park,
    Source,
    Status,
    rollup_daily,
    rollup_monthly,
)
from app.services.bureau.analytics import compare_parks
from app.services.bureau.hotline import before_after
from app.services.bureau.rollups import recompute_rollups
from app.services.bureau.visits import visits_known
from app.services.cases.hotline import hotline_cases, waiting_tickets
from app.services.demo.history import load_history
from app.services.demo.ritan import create_demo_data
from tests.services.test_rollups import table_rows

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def test_demo_history_fills_the_bureau_pages(app):
    unit = create_demo_data()
    assert load_history(now=NOW, scale=0.6)
    parks = list(db.session.scalars(select(Park).where(Park.unit_id == unit.id)))
    assert {park.mailbox_started_on for park in parks} == {date(2026, 5, 1)}
    # six complete months before November, and November so far
    first = db.session.scalar(select(func.min(Case.created_at)))
    assert first.astimezone(UTC) < datetime(2026, 5, 2, tzinfo=UTC)
    assert db.session.scalar(select(func.max(Case.created_at)).where(
        Case.source == Source.QR.value)) <= NOW
    statuses = set(db.session.scalars(select(Case.status).distinct()))
    assert {Status.CLOSED, Status.SPAM} <= statuses
    assert db.session.scalar(select(func.count()).where(Case.satisfaction.is_not(None))) > 0
    assert db.session.scalar(select(func.sum(Case.me_too_count))) > 0
    assert db.session.scalar(select(func.count()).where(Message.kind == "reply")) > 0

    # the league table of the last complete month ranks all four parks, not all alike
    table = compare_parks(parks, date(2026, 10, 1), date(2026, 11, 1),
                          min_cases=app.config["BUREAU_MIN_CASES"], now=NOW)
    assert sorted(row.rank for row in table.rows) == [1, 2, 3, 4]
    assert len({row.score for row in table.rows}) == 4
    assert any(row.figures.values[0] for row in table.rows)

    # 12345 tickets on both sides of the mailbox start, fewer after
    for series in before_after(parks):
        before = series.mean(series.tickets, after=False)
        after = series.mean(series.tickets, after=True)
        assert before, series
        assert after, series
        assert after < before, series
        assert series.months[-1] >= date(2026, 11, 1)
    assert all(known.days >= 365 and known.visits > 0 for known in visits_known(parks))

    # the unit's inbox: tickets that became cases, one waiting for a place
    assert len(waiting_tickets([unit.id])) == 1
    assert len(hotline_cases([unit.id])) == 4

    # the rollups are the ones the cases give
    generated = (table_rows(rollup_daily), table_rows(rollup_monthly))
    with write_transaction():
        recompute_rollups()
    assert (table_rows(rollup_daily), table_rows(rollup_monthly)) == generated

    # loading again adds nothing
    counts = [db.session.scalar(select(func.count()).select_from(model))
              for model in (Case, HotlineTicket, Message)]
    assert not load_history(now=NOW, scale=0.6)
    assert counts == [db.session.scalar(select(func.count()).select_from(model))
                      for model in (Case, HotlineTicket, Message)]


def test_make_demo_loads_the_history_once(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "demo history loaded" in first.output
    again = runner.invoke(args=["demo"])
    assert "demo history already loaded" in again.output
    assert db.session.scalar(select(func.count()).select_from(HotlineTicket)) > 100

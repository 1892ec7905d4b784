"""Synthetic history: bulk-inserted cases whose rollups match a recomputation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import Case, Park, rollup_daily, rollup_monthly
from app.services.bureau.rollups import recompute_rollups
from app.services.demo.synthetic import generate_history
from tests.conftest import make_case
from tests.services.test_rollups import table_rows

NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)


def test_history_has_the_cases_asked_for_with_matching_rollups(app, unit):
    added = generate_history(1500, parks=7, days=90, now=NOW, seed=1)
    assert added == db.session.scalar(select(func.count()).select_from(Case))
    assert 1480 <= added <= 1500  # a few drawn later than `now` on the last day are dropped
    assert db.session.scalar(select(func.count()).select_from(Park)) == 7
    assert db.session.scalar(select(func.max(Case.created_at))) <= NOW
    generated = (table_rows(rollup_daily), table_rows(rollup_monthly))
    with write_transaction():
        recompute_rollups()
    assert (table_rows(rollup_daily), table_rows(rollup_monthly)) == generated


def test_new_cases_after_the_history_get_fresh_references(app, unit, spot):
    generate_history(300, parks=4, days=30, seed=2)
    receipt = make_case(spot)
    references = db.session.scalars(select(Case.reference)).all()
    assert len(references) == len(set(references))
    assert receipt.case.reference in references


def test_history_is_added_twice_without_clashes(app, unit):
    generate_history(200, parks=4, days=10, now=NOW, seed=3)
    generate_history(200, parks=4, days=10, now=NOW, seed=4)
    total = db.session.scalar(select(func.sum(rollup_monthly.c.cases)))
    assert total == db.session.scalar(select(func.count()).select_from(Case))

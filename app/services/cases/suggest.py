"""Suggesting a case's category from its words, for one unit: the starter counts shipped with
the app (`classifier`) plus the unit's own, learned from its filed cases (every staff
refiling counts as a label, three times a visitor's pick; a category the unit added is
learned from its cases alone). The unit's counts are stored in `category_models` and
trained again by the job `categories.train` (at start, then after new cases or a
refiling); each process keeps the combined model until the row's `trained_at` changes.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import Case, Category, CategoryTraining, Unit
from app.models.types import utcnow
from app.services.cases.classifier import (
    CategoryCounts,
    CategoryModel,
    Counts,
    Suggestion,
    count_messages,
    merge_counts,
    starter_counts,
)

log = logging.getLogger(__name__)

# the category a visitor picks when unsure: never learned, never suggested
OTHER = "other"
# a case filed under "other" goes under the suggestion when its score is at least this
# (with MIN_EVIDENCE, on the held-out set 86 of 112 were this sure, 82 of them right)
CONFIDENT = 0.7
# ... and its words give the model at least this many known features ("你好" gives two)
MIN_EVIDENCE = 4.0
# a staff refiling counts this many times a visitor's own pick
STAFF_WEIGHT = 3.0
# the newest cases a unit's model learns from
MAX_TRAINING_CASES = 5000

_models: dict[int, tuple[tuple[Any, ...], CategoryModel]] = {}
_models_lock = threading.Lock()


def _label_weight(reason: str | None) -> float:
    """How much a case's category says: staff refiled it (3), the visitor picked it (1),
    or it was only our own suggestion (0: never learn from ourselves)."""
    if reason == "staff":
        return STAFF_WEIGHT
    return 0.0 if reason == "text" else 1.0


def unit_counts(session: Session, unit_id: int) -> tuple[Counts, int, int]:
    """The unit's own counts from its newest cases: (counts, cases counted, last case id)."""
    rows = session.execute(
        select(Case.id, Case.body, Category.code, Case.category_reason)
        .join(Category, Category.id == Case.category_id)
        .where(Case.unit_id == unit_id, Category.code != OTHER)
        .order_by(Case.id.desc()).limit(MAX_TRAINING_CASES)
    ).all()
    labelled = [(body, code, _label_weight(reason)) for _, body, code, reason in rows]
    counts = count_messages((text, code, weight) for text, code, weight in labelled
                            if weight > 0)
    last = session.scalar(select(func.max(Case.id)).where(Case.unit_id == unit_id)) or 0
    return counts, sum(1 for *_, weight in labelled if weight > 0), last


def train_unit_model(unit_id: int, now: datetime | None = None) -> CategoryTraining:
    """Count the unit's filed cases again and store the counts."""
    now = now or utcnow()
    with write_transaction() as session:
        counts, cases, last = unit_counts(session, unit_id)
        row = session.get(CategoryTraining, unit_id)
        if row is None:
            row = CategoryTraining(unit_id=unit_id)
            session.add(row)
        row.counts = {code: c.to_json() for code, c in counts.items()}
        row.cases, row.last_case_id, row.stale, row.trained_at = cases, last, False, now
    log.info("category model of unit %s trained on %d cases", unit_id, cases)
    return row


def train_category_models(now: datetime) -> int:
    """The job: train each unit whose model is missing, marked stale or behind its cases."""
    newest = (select(Case.unit_id, func.max(Case.id).label("last"))
              .group_by(Case.unit_id).subquery())
    rows = db.session.execute(
        select(Unit.id, CategoryTraining.stale, CategoryTraining.last_case_id, newest.c.last)
        .outerjoin(CategoryTraining, CategoryTraining.unit_id == Unit.id)
        .outerjoin(newest, newest.c.unit_id == Unit.id)
    ).all()
    db.session.rollback()  # end the read before each unit's write transaction
    due = [unit_id for unit_id, stale, trained_last, last in rows
           if stale is None or stale or (last or 0) > (trained_last or 0)]
    for unit_id in due:
        train_unit_model(unit_id, now)
    return len(due)


def mark_model_stale(session: Session, unit_id: int) -> None:
    """A refiling: the unit's model learns it at the job's next round."""
    row = session.get(CategoryTraining, unit_id)
    if row is not None:
        row.stale = True


def _active_codes(unit_id: int) -> tuple[str, ...]:
    return tuple(sorted(db.session.scalars(
        select(Category.code).where(Category.unit_id == unit_id, Category.active,
                                    Category.code != OTHER))))


def unit_model(unit_id: int) -> CategoryModel:
    """The unit's combined model (starter + its own counts) over its active categories."""
    codes = _active_codes(unit_id)
    trained = db.session.execute(
        select(CategoryTraining.trained_at).where(CategoryTraining.unit_id == unit_id)
    ).scalar_one_or_none()
    key = (trained, codes)
    cached = _models.get(unit_id)
    if cached is not None and cached[0] == key:
        return cached[1]
    own: Counts = {}
    if trained is not None:
        stored = db.session.get(CategoryTraining, unit_id)
        if stored is not None:
            own = {code: CategoryCounts.from_json(data)
                   for code, data in (stored.counts or {}).items()}
    wanted = set(codes)
    starter = {code: c for code, c in starter_counts().items() if code in wanted}
    model = CategoryModel({code: c for code, c in merge_counts(starter, own).items()
                           if code in wanted})
    with _models_lock:
        _models[unit_id] = (key, model)
    return model


def suggest_categories(unit_id: int, text: str, limit: int = 3) -> list[Suggestion]:
    """The unit's categories best first for this text (at most `limit`; none when the
    model knows none of its words)."""
    return unit_model(unit_id).suggest(text or "", limit=limit)


def confident_suggestion(unit_id: int, text: str) -> Suggestion | None:
    """The suggestion sure enough to file a case chosen as "other" under it."""
    model = unit_model(unit_id)
    best = model.suggest(text or "", limit=1)
    if not best or best[0].score < CONFIDENT or model.evidence(text or "") < MIN_EVIDENCE:
        return None
    return best[0]

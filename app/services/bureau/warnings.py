"""Early warning: a spot x category whose count in the last hours is far above its baseline.

The recent count comes from the hour columns of today's (and, across midnight,
yesterday's) daily rollup rows; the baseline is the same spot x category's cases over the
28 days before, spread evenly over the hours. A one-sided Poisson test says how likely at
least the recent count would be at the baseline rate; below `ALPHA` a warning is stored,
and a `warning.raised` event goes to the unit's room (its directors and staff) and to the
bureau's dashboard. One warning per spot x category per window: it is not raised again
while the last one's window still overlaps.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.database import write_transaction
from app.extensions import db
from app.models import Case, Category, EarlyWarning, Park, Spot, StaffUser, rollup_daily
from app.realtime.publish import record_event
from app.services.accounts.audit import record_audit
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.operations import ACTING_ROLES, require_acting
from app.services.errors import DomainError, ForbiddenError, NotFoundError

log = logging.getLogger(__name__)

WINDOW_HOURS = 6
BASELINE_DAYS = 28
ALPHA = 1e-3
MIN_COUNT = 3
# a spot x category with no case in 28 days is treated as if it had half a case
EMPTY_BASELINE = 0.5

Key = tuple[int, int, int]  # park, point (0 = none), category


def poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected)."""
    if observed <= 0:
        return 1.0
    # 1 - P(X <= observed - 1), summed in log space so that large counts do not overflow
    below = sum(math.exp(k * math.log(expected) - expected - math.lgamma(k + 1))
                for k in range(observed))
    return max(0.0, 1.0 - below)


@dataclass(frozen=True)
class Spike:
    key: Key
    observed: int
    expected: float
    p_value: float


def window_hours(now: datetime, hours: int = WINDOW_HOURS) -> list[tuple[date, int]]:
    """The local (day, hour) pairs of the window ending with the current hour."""
    local = now.astimezone(REPORT_TZ).replace(minute=0, second=0, microsecond=0)
    return [((local - timedelta(hours=back)).date(), (local - timedelta(hours=back)).hour)
            for back in range(hours - 1, -1, -1)]


def recent_counts(now: datetime, hours: int = WINDOW_HOURS) -> dict[Key, int]:
    pairs = window_hours(now, hours)
    wanted: dict[date, set[int]] = defaultdict(set)
    for day, hour in pairs:
        wanted[day].add(hour)
    r = rollup_daily.c
    counts: dict[Key, int] = defaultdict(int)
    rows = db.session.execute(
        select(r.park_id, r.point_id, r.category_id, r.day, *[r[f"h_{h}"] for h in range(24)])
        .where(r.day.in_(list(wanted)))
    )
    for park_id, spot_id, category_id, day, *by_hour in rows:
        total = sum(by_hour[hour] or 0 for hour in wanted[day])
        if total:
            counts[(park_id, spot_id, category_id)] += total
    return dict(counts)


def baseline_counts(first_day: date, keys: list[Key]) -> dict[Key, int]:
    r = rollup_daily.c
    park_ids = sorted({key[0] for key in keys})
    rows = db.session.execute(
        select(r.park_id, r.point_id, r.category_id, func.sum(r.cases))
        .where(r.day >= first_day - timedelta(days=BASELINE_DAYS), r.day < first_day,
               r.park_id.in_(park_ids))
        .group_by(r.park_id, r.point_id, r.category_id)
    )
    return {(park_id, spot_id, category_id): int(total)
            for park_id, spot_id, category_id, total in rows}


def find_spikes(now: datetime, hours: int = WINDOW_HOURS, alpha: float = ALPHA) -> list[Spike]:
    """Spot x category pairs whose recent count is improbably high for their baseline."""
    recent = {key: n for key, n in recent_counts(now, hours).items() if n >= MIN_COUNT}
    if not recent:
        return []
    first_day = window_hours(now, hours)[0][0]
    baseline = baseline_counts(first_day, list(recent))
    spikes = []
    for key, observed in sorted(recent.items()):
        per_hour = max(baseline.get(key, 0), EMPTY_BASELINE) / (BASELINE_DAYS * 24)
        expected = per_hour * hours
        p_value = poisson_tail(observed, expected)
        if p_value < alpha:
            spikes.append(Spike(key=key, observed=observed, expected=expected, p_value=p_value))
    return spikes


def raise_warnings(now: datetime, hours: int = WINDOW_HOURS) -> list[EarlyWarning]:
    """Store a warning and tell the unit for each new spike; return the warnings raised."""
    spikes = find_spikes(now, hours)
    raised: list[EarlyWarning] = []
    if not spikes:
        return raised
    window_start = now - timedelta(hours=hours)
    with write_transaction() as session:
        for spike in spikes:
            park_id, spot_id, category_id = spike.key
            spot_or_none = spot_id or None
            recent = session.scalar(
                select(EarlyWarning.id).where(
                    EarlyWarning.park_id == park_id,
                    EarlyWarning.spot_id.is_(None) if spot_or_none is None
                    else EarlyWarning.spot_id == spot_or_none,
                    EarlyWarning.category_id == category_id, EarlyWarning.kind == "spike",
                    EarlyWarning.window_end > window_start))
            if recent is not None:
                continue
            park = session.get(Park, park_id)
            category = session.get(Category, category_id)
            if park is None or category is None:
                continue
            spot = session.get(Spot, spot_id) if spot_id else None
            warning = EarlyWarning(
                unit_id=park.unit_id, park_id=park_id, spot_id=spot_or_none,
                category_id=category_id, window_start=window_start, window_end=now,
                observed=spike.observed, expected=spike.expected, p_value=spike.p_value,
                created_at=now)
            session.add(warning)
            session.flush()
            record_event("warning.raised", unit_id=park.unit_id, park_id=None, payload={
                "warning_id": warning.id, "warning_park_id": park_id,
                "park_name": park.name_zh, "park_name_en": park.name_en,
                "point_name": spot.name_zh if spot else "",
                "point_name_en": spot.name_en if spot else "",
                "category": category.code, "category_name": category.name_zh,
                "category_name_en": category.name_en,
                "observed": spike.observed, "expected": round(spike.expected, 3),
                "hours": hours,
            })
            raised.append(warning)
            log.warning("early warning: park %s point %s category %s: %d cases in %d h "
                        "(expected %.2f, p=%.2g)", park_id, spot_id, category_id,
                        spike.observed, hours, spike.expected, spike.p_value)
    return raised


def detect_spikes(now: datetime) -> int:
    """Every five minutes: raise the warnings of the current window."""
    return len(raise_warnings(now))


def recent_warnings(park_ids: list[int], since: datetime, limit: int = 50) -> list[EarlyWarning]:
    """The warnings of these parks raised since `since`, newest first."""
    return list(db.session.scalars(
        select(EarlyWarning).where(EarlyWarning.park_id.in_(park_ids),
                                   EarlyWarning.created_at >= since)
        .order_by(EarlyWarning.created_at.desc(), EarlyWarning.id.desc()).limit(limit)))


def unacknowledged_warnings(user: StaffUser, since: datetime) -> list[EarlyWarning]:
    """The warnings of the units the user directs not yet acknowledged (their inbox shows
    them), newest first."""
    unit_ids = sorted({m.unit_id for m in user.memberships if m.role == "director"})
    if not unit_ids:
        return []
    return list(db.session.scalars(
        select(EarlyWarning).where(EarlyWarning.unit_id.in_(unit_ids),
                                   EarlyWarning.acknowledged_at.is_(None),
                                   EarlyWarning.created_at >= since)
        .order_by(EarlyWarning.created_at.desc(), EarlyWarning.id.desc()).limit(20)))


def names_for_warnings(warnings: list[EarlyWarning]) -> dict[str, dict[int, Any]]:
    """The parks, spots and categories the warnings name, loaded at once for a page."""
    def load(model: Any, ids: set[int]) -> dict[int, Any]:
        if not ids:
            return {}
        return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}

    return {
        "cases": load(Case, {w.case_id for w in warnings if w.case_id}),
        "people": load(StaffUser, {w.acknowledged_by_id for w in warnings
                                   if w.acknowledged_by_id}),
        "parks": load(Park, {w.park_id for w in warnings}),
        "spots": load(Spot, {w.spot_id for w in warnings if w.spot_id}),
        "categories": load(Category, {w.category_id for w in warnings}),
    }


MAX_NOTE = 500


def may_acknowledge(user: StaffUser, warning: EarlyWarning) -> bool:
    """Whether the form to acknowledge is shown (`require_acknowledger` decides)."""
    if user.bureau_role is not None:
        return user.bureau_role == "admin"
    return bool(user.roles_in(warning.unit_id) & ACTING_ROLES)


def require_acknowledger(user: StaffUser, warning: EarlyWarning) -> None:
    """Who may acknowledge: a bureau administrator, or one who acts in the warning's unit
    (never a read-only bureau viewer or unit viewer); others do not see the warning."""
    if user.bureau_role == "admin":
        return
    if user.bureau_role is None and warning.unit_id not in user.unit_ids:
        raise NotFoundError(_("No such warning."))
    if user.bureau_role is not None:
        raise ForbiddenError(_("Your account may read warnings but not acknowledge them."))
    require_acting(user, warning.unit_id)


def acknowledge_warning(*, user: StaffUser, warning_id: int, note: str,
                        now: datetime) -> EarlyWarning:
    """A person says they have seen the warning and what is done about it (audited)."""
    note = (note or "").strip()
    if not note:
        raise DomainError(_("Please write what is being done about it."))
    if len(note) > MAX_NOTE:
        raise DomainError(_("Please keep the note under %(max)d characters.", max=MAX_NOTE))
    with write_transaction() as session:
        warning = session.get(EarlyWarning, warning_id, with_for_update=True)
        if warning is None:
            raise NotFoundError(_("No such warning."))
        require_acknowledger(user, warning)
        if warning.acknowledged_at is not None:
            raise DomainError(_("This warning has been acknowledged already."))
        warning.acknowledged_at = now
        warning.acknowledged_by_id = user.id
        warning.acknowledgement_note = note
        record_audit("warning.acknowledged", user_id=user.id, unit_id=warning.unit_id,
                     target_type="early_warning", target_id=warning.id,
                     after={"note": note, "kind": warning.kind})
    log.info("warning %s acknowledged by user %s", warning_id, user.id)
    return warning

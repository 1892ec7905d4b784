"""Burst warnings: many reports at one spot within minutes, whatever case they went to.

A report is a new case (`feedback.created`), a "me too" joined to an open case or a "not
fixed" that reopened one (`case.updated` with change `me_too` / `reopened`), read from the
events log. `WARNING_BURST_REPORTS` (3) of them at one spot within `WARNING_BURST_MINUTES`
(30) raise one warning naming the spot and linking the case most of them went to. One per
burst: a spot's reports up to its last burst warning are not counted again.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import Case, EarlyWarning, Event
from app.realtime.publish import record_event

log = logging.getLogger(__name__)

# the changes of a case that are a visitor's report (the other changes are staff's work)
REPORT_CHANGES = ("me_too", "reopened")


@dataclass(frozen=True)
class Report:
    case_id: int
    spot_id: int
    at: datetime


@dataclass(frozen=True)
class Burst:
    spot_id: int
    case_id: int
    first: datetime
    last: datetime
    reports: int


def recent_reports(since: datetime, until: datetime) -> list[Report]:
    """Every report at a spot in (since, until], oldest first."""
    rows = db.session.execute(
        select(Event.kind, Event.payload, Event.created_at, Case.id, Case.spot_id)
        .join(Case, Case.id == Event.case_id)
        .where(Event.kind.in_(("feedback.created", "case.updated")),
               Event.created_at > since, Event.created_at <= until,
               Case.spot_id.is_not(None))
        .order_by(Event.id))
    return [Report(case_id=case_id, spot_id=spot_id, at=at)
            for kind, payload, at, case_id, spot_id in rows
            if kind == "feedback.created" or payload.get("change") in REPORT_CHANGES]


def last_burst_ends(spot_ids: list[int]) -> dict[int, datetime]:
    """The end of each spot's last burst warning: reports up to it have been warned about."""
    rows = db.session.execute(
        select(EarlyWarning.spot_id, func.max(EarlyWarning.window_end))
        .where(EarlyWarning.kind == "burst", EarlyWarning.spot_id.in_(spot_ids))
        .group_by(EarlyWarning.spot_id))
    return {spot_id: end for spot_id, end in rows if spot_id is not None}


def find_bursts(now: datetime, reports: int, minutes: int) -> list[Burst]:
    """Spots with at least `reports` reports in the last `minutes` not yet warned about."""
    by_spot: dict[int, list[Report]] = defaultdict(list)
    for report in recent_reports(now - timedelta(minutes=minutes), now):
        by_spot[report.spot_id].append(report)
    warned = last_burst_ends(list(by_spot))
    bursts = []
    for spot_id, spot_reports in sorted(by_spot.items()):
        fresh = [r for r in spot_reports if spot_id not in warned or r.at > warned[spot_id]]
        if len(fresh) < reports:
            continue
        # the case most of them went to; on a tie the latest one
        counts = Counter(r.case_id for r in fresh)
        case_id = max(counts, key=lambda c: (counts[c], max(r.at for r in fresh
                                                             if r.case_id == c)))
        bursts.append(Burst(spot_id=spot_id, case_id=case_id, first=fresh[0].at,
                            last=fresh[-1].at, reports=len(fresh)))
    return bursts


def store_burst(session: Session, burst: Burst, minutes: int, now: datetime) -> EarlyWarning:
    """The warning of one burst, and its `warning.raised` event to the unit and the bureau."""
    case = session.get(Case, burst.case_id)
    assert case is not None  # noqa: S101 - it was read with the report a moment ago
    spot, park, category = case.spot, case.park, case.category
    warning = EarlyWarning(
        kind="burst", unit_id=case.unit_id, park_id=case.park_id, spot_id=burst.spot_id,
        category_id=case.category_id, case_id=case.id, window_start=burst.first,
        window_end=burst.last, observed=burst.reports, expected=0.0, p_value=0.0,
        created_at=now)
    session.add(warning)
    session.flush()
    record_event("warning.raised", unit_id=case.unit_id, park_id=None, payload={
        "warning_id": warning.id, "warning_kind": "burst", "warning_park_id": park.id,
        "park_name": park.name_zh, "park_name_en": park.name_en,
        "point_name": spot.name_zh if spot else "",
        "point_name_en": spot.name_en if spot else "",
        "category": category.code, "category_name": category.name_zh,
        "category_name_en": category.name_en,
        "observed": burst.reports, "minutes": minutes,
        "warning_case_id": case.id, "case_reference": case.reference,
    })
    log.warning("burst warning: spot %s: %d reports in %d min (case %s)", burst.spot_id,
                burst.reports, minutes, case.reference)
    return warning


def raise_bursts(now: datetime) -> list[EarlyWarning]:
    """Store and send a warning for each new burst; return them."""
    reports = int(current_app.config["WARNING_BURST_REPORTS"])
    minutes = int(current_app.config["WARNING_BURST_MINUTES"])
    bursts = find_bursts(now, reports, minutes)
    if not bursts:
        return []
    with write_transaction() as session:
        # read again under the write lock: another server may have warned in between
        warned = last_burst_ends([b.spot_id for b in bursts])
        return [store_burst(session, burst, minutes, now) for burst in bursts
                if burst.spot_id not in warned or warned[burst.spot_id] < burst.first]


def detect_bursts(now: datetime) -> int:
    """Every minute: raise the warnings of the bursts of the last minutes."""
    return len(raise_bursts(now))

"""Demo history for the four Ritan parks: six months of cases, 12345 tickets and visits.

So that every bureau page means something on `make run`: the league table (parks answer at
different speeds, so the ranking is not flat), the trends and topics (Chinese texts from the
synthetic vocabulary), the 12345 before/after chart (the mailboxes started six months before
the current month; tickets on both sides, fewer after), visits per day, and a few 12345
tickets in the Ritan unit's inbox (one waiting for a place). Cases are bulk-inserted with
their rollups computed by the same `contribution_of` the session hooks use, as the synthetic
city history is. Seeded: the same day gives the same data.
"""

from __future__ import annotations

import logging
import math
import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, select

from app.database import write_transaction
from app.extensions import db
from app.models import (
    Case,
    HotlineTicket,
    Message,
    MessageKind,
    Park,
    ParkVisits,
    Source,
    Status,
    Unit,
)
from app.models.types import utcnow
from app.services.bureau.rollups import REPORT_TZ, contribution_of
from app.services.cases.hotline import TicketRow, take_in_rows
from app.services.demo.ritan import REPLY_TEMPLATES
from app.services.demo.synthetic import (
    TEXTS,
    Generator,
    SpotPlan,
    _advance_counters,
    _existing_counters,
    _insert,
    _sqlite_stamp,
)

log = logging.getLogger(__name__)

MONTHS = 6  # complete months of cases before the current one
TICKET_PREFIX = "DEMO-"


@dataclass(frozen=True)
class ParkPlan:
    cases_per_day: float
    response_median: float  # minutes to the first reply: differs by park
    tickets_before: int  # 12345 tickets a month before the mailbox started
    tickets_after: int  # ... and after
    visits_per_day: int


PLANS = {
    "ritan-park": ParkPlan(9, 18, 60, 22, 12000),
    "baiziwan-park": ParkPlan(5, 45, 36, 18, 5000),
    "qingniao-park": ParkPlan(3, 110, 20, 12, 2500),
    "wurui-park": ParkPlan(4, 260, 26, 20, 3200),
}
HOTLINE_CATEGORIES = {"toilets": "环境卫生", "noise": "噪声扰民", "facilities": "设施维护",
                      "safety": "安全隐患", "nature": "园林绿化", "service": "服务态度",
                      "suggestion": "意见建议", "praise": "表扬", "other": "其他"}
SPAM_SHARE = 0.012
# the unit's inbox: address (spot name, or none that names a spot), category, text
INTAKE = [
    ("日坛公园 北门厕所", "环境卫生", "市民反映日坛公园北门厕所没有卫生纸，地面有积水。"),
    ("日坛公园 健身区", "设施维护", "市民反映健身区的器材松动，有安全隐患，请尽快维修。"),
    ("百子湾园 舞蹈广场", "噪声扰民", "市民反映每天晚上舞蹈广场音响声音太大，影响休息。"),
    ("青鸟园 停车场", "其他", "市民反映停车场车位太少，周末经常停不下车。"),
    ("朝阳区日坛路附近公园", "园林绿化", "市民反映公园里有树枝快要断了，怕砸到人。"),
]


def months_back(month: date, count: int) -> date:
    for _step in range(count):
        month = (month - timedelta(days=1)).replace(day=1)
    return month


def demo_unit() -> Unit | None:
    return db.session.scalar(select(Unit).where(Unit.is_demo.is_(True), Unit.code == "RT"))


def history_loaded(unit: Unit) -> bool:
    return db.session.scalar(select(HotlineTicket.id).where(
        HotlineTicket.unit_id == unit.id, HotlineTicket.case_id.is_(None),
        HotlineTicket.needs_place.is_(False),
        HotlineTicket.ticket_id.startswith(TICKET_PREFIX)).limit(1)) is not None


class DemoGenerator(Generator):
    """The synthetic generator, with a few cases marked spam (no reply, never resolved)."""

    def case(self, plan: SpotPlan, code: str, created: datetime, year: int) -> tuple[Any, ...]:
        if self.rng.random() >= SPAM_SHARE:
            return super().case(plan, code, created, year)
        due = created + timedelta(hours=4)
        category_id = self.categories.get((plan.unit_id, code)) or self.fallback[plan.unit_id]
        self.delta.add_contribution(*contribution_of(
            plan.park_id, plan.spot_id, category_id, created, Status.SPAM.value, None, due,
            None, None, 0, 0, source=Source.QR.value, channel=None, zone_id=None))
        return (
            self.reference(plan, year), f"{self.rng.getrandbits(256):064x}", plan.unit_id,
            plan.park_id, plan.spot_id, category_id, "加微信领优惠券，点击链接", None, "zh_CN",
            Status.SPAM.value, Source.QR.value, self.roles[code], 0, 0, None,
            self.stamp(created), self.stamp(created), None, None, None, None, None,
            self.stamp(due))


def _day_factor(day: date) -> float:
    season = 1 + 0.3 * math.sin((day.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
    return season * (1.6 if day.weekday() >= 5 else 1.0)


def _cases(unit: Unit, parks: list[Park], first: date, now: datetime, rng: random.Random,
           scale: float) -> int:
    sqlite_db = db.session.get_bind().dialect.name == "sqlite"
    categories = {(unit.id, c.code): c.id for c in unit.categories}
    plans_of = {park.id: [SpotPlan(unit_id=unit.id, unit_code=unit.code, park_id=park.id,
                                   spot_id=spot.id, spot_name=spot.name_zh,
                                   weight=rng.lognormvariate(0, 0.5),
                                   response_median=PLANS[park.park_code].response_median)
                          for spot in park.spots] for park in parks}
    generator = DemoGenerator(rng, [], categories, now, _sqlite_stamp if sqlite_db else _same)
    generator.counters = _existing_counters()
    rows: list[tuple[Any, ...]] = []
    today = now.astimezone(REPORT_TZ).date()
    day = first
    while day <= today:
        for park in parks:
            plans = plans_of[park.id]
            generator.plans, generator.weights = plans, [plan.weight for plan in plans]
            expected = PLANS[park.park_code].cases_per_day * scale * _day_factor(day)
            count = int(expected) + (1 if rng.random() < expected % 1 else 0)
            rows.extend(generator.cases(day, count))
        day += timedelta(days=1)
    _insert(rows, generator.delta)
    _advance_counters(generator.counters)
    return len(rows)


def _same(moment: datetime | None) -> datetime | None:
    return moment


def _messages(unit: Unit, first: date, rng: random.Random, spot_names: dict[int, str]) -> None:
    """The visitor's message and, once answered, a staff reply, for each generated case."""
    start = datetime(first.year, first.month, first.day, tzinfo=REPORT_TZ).astimezone(UTC)
    templates = [body for _title, body, _code in REPLY_TEMPLATES if "{reference}" in body
                 or "{spot}" in body]
    rows: list[dict[str, Any]] = []
    for case_id, reference, body, created, responded, spot in db.session.execute(
            select(Case.id, Case.reference, Case.body, Case.created_at, Case.first_response_at,
                   Case.spot_id).where(Case.unit_id == unit.id, Case.created_at >= start,
                                       Case.source == Source.QR.value)
            .order_by(Case.id)):
        rows.append({"case_id": case_id, "kind": MessageKind.VISITOR.value, "body": body,
                     "created_at": created})
        if responded is not None:
            text = rng.choice(templates)
            rows.append({"case_id": case_id, "kind": MessageKind.REPLY.value,
                         "body": text.format(spot=spot_names.get(spot or 0, "现场"), park="公园",
                                             reference=reference),
                         "created_at": responded})
    if rows:
        db.session.execute(insert(Message), rows)


def _tickets(unit: Unit, parks: list[Park], started: date, today: date, rng: random.Random,
             scale: float) -> int:
    """12345 tickets as the bureau imports them: a park and a day each, no case."""
    codes = list(HOTLINE_CATEGORIES)
    rows: list[dict[str, Any]] = []
    month = months_back(started, MONTHS)
    while month <= today:
        following = (month + timedelta(days=32)).replace(day=1)
        days = [month + timedelta(days=n) for n in range((min(following, today + timedelta(
            days=1)) - month).days)]
        for park in parks:
            plan = PLANS[park.park_code]
            per_month = plan.tickets_before if month < started else plan.tickets_after
            count = max(1, round(per_month * scale * len(days) / 30 * rng.uniform(0.8, 1.2)))
            for number in range(1, count + 1):
                code = rng.choice(codes)
                text = rng.choice(TEXTS[code])
                rows.append({
                    "ticket_id": f"{TICKET_PREFIX}{park.park_code}-{month:%Y%m}-{number:03d}",
                    "unit_id": unit.id, "park_id": park.id, "day": rng.choice(days),
                    "category": HOTLINE_CATEGORIES[code],
                    "body": "市民反映" + text.format(spot="园内"), "imported_at": utcnow()})
        month = following
    db.session.execute(insert(HotlineTicket), rows)
    return len(rows)


def _visits(parks: list[Park], first: date, today: date, rng: random.Random) -> int:
    rows = []
    day = first
    while day < today:
        for park in parks:
            base = PLANS[park.park_code].visits_per_day * _day_factor(day)
            rows.append({"park_id": park.id, "day": day,
                         "visits": int(base * rng.uniform(0.85, 1.15))})
        day += timedelta(days=1)
    db.session.execute(insert(ParkVisits), rows)
    return len(rows)


def _intake(unit: Unit, now: datetime) -> None:
    """A few 12345 tickets in the unit's inbox as cases, one waiting for a place."""
    rows = []
    for number, (address, category, text) in enumerate(INTAKE, start=1):
        received = now - timedelta(hours=3 * number + 1)
        # the platform's ticket numbers: the day it was received and a serial number
        ticket_id = f"{received.astimezone(REPORT_TZ):%Y%m%d}{1200 + 37 * number:05d}"
        rows.append(TicketRow(ticket_id=ticket_id, received_at=received, address=address,
                              category=category, text=text, contact="", respond_by=None,
                              resolve_by=None))
    take_in_rows(rows, unit, user_id=None, via="demo")


def load_history(*, now: datetime | None = None, scale: float = 1.0, seed: int = 2026) -> bool:
    """Add the demo history once (False: the demo unit is missing or has it already)."""
    unit = demo_unit()
    if unit is None or history_loaded(unit):
        return False
    now = now or utcnow()
    rng = random.Random(seed)  # noqa: S311 - made-up data, reproducible by seed
    today = now.astimezone(REPORT_TZ).date()
    started = months_back(today.replace(day=1), MONTHS)
    parks = [park for park in unit.parks if park.park_code in PLANS]
    spot_names = {spot.id: spot.name_zh for park in parks for spot in park.spots}
    with write_transaction():
        for park in parks:
            park.mailbox_started_on = started
        cases = _cases(unit, parks, started, now, rng, scale)
        _messages(unit, started, rng, spot_names)
        tickets = _tickets(unit, parks, started, today, rng, scale)
        visits = _visits(parks, months_back(started, MONTHS), today, rng)
    _intake(unit, now)
    log.info("demo history: %d cases, %d hotline tickets, %d days of visits", cases, tickets,
             visits)
    return True

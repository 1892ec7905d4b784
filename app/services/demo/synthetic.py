"""Synthetic case history at city scale, for the bureau's pages and the benchmark.

Cases are generated in time order, a chunk of days at a time, and written with bulk
inserts (COPY on PostgreSQL): the ORM and its flush hooks are bypassed, so each chunk's
rollup rows are computed here, with the same `contribution` the hooks use, and added with
the same upserts. Parks differ in volume and in how fast they answer, so the league table
has something to say; texts are drawn from per-category phrasings so that the monthly
topic finds recurring problems.
"""

from __future__ import annotations

import logging
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import Category, Park, ReferenceCounter, Source, Spot, Unit
from app.models.types import utcnow
from app.security import new_spot_code
from app.services.accounts.onboarding import CATEGORIES, standard_categories
from app.services.bureau.rollups import REPORT_TZ, RollupDelta, apply_delta, contribution_of

log = logging.getLogger(__name__)

PARK_NAMES = ["朝阳", "团结湖", "红领巾", "四得", "将府", "兴隆", "常营", "京城梨园", "金盏",
              "太阳宫", "望湖", "北焦", "庆丰", "大望京", "古塔", "老君堂", "杜仲", "海棠",
              "萧太后河", "东坝", "马家湾", "清河营", "北小河", "镇海寺", "白鹿", "蟹岛",
              "温榆河", "奥林匹克", "南湖", "燕莎"]
SPOTS = ["北门", "南门厕所", "儿童游乐场", "健身区", "湖边步道", "舞蹈广场", "停车场"]
TEXTS = {
    "toilets": ["厕所没有卫生纸了", "{spot}的厕所很臭，好久没打扫", "洗手池没有水",
                "厕所地面很滑，有积水", "卫生间门锁坏了", "厕所里的烘手机不能用"],
    "noise": ["广场舞音响声音太大，吵得没法休息", "早上有人用大喇叭唱歌，声音很大",
              "{spot}有人放音乐太吵", "晚上跳舞的音箱声音太响", "有人甩鞭子声音很大"],
    "facilities": ["{spot}的长椅坏了", "路灯不亮了", "健身器材松动，有安全隐患",
                   "垃圾桶满了没人清理", "步道地砖翘起来了", "饮水机坏了"],
    "safety": ["{spot}的栏杆松了，孩子容易掉下去", "有人在湖边野泳，很危险",
               "电动车在步道上骑得很快", "冰面有人滑冰，没有警示"],
    "nature": ["草坪上有很多狗屎", "树枝快要断了，砸到人怎么办", "湖里有死鱼，味道很大",
               "有人遛狗不牵绳", "蚊子太多了，能不能打药"],
    "service": ["门口保安态度不好", "工作人员不在岗，找不到人", "售票处排队太久",
                "{spot}没有人管理"],
    "suggestion": ["建议多设几个座椅", "希望增加直饮水点", "建议延长开放时间",
                   "希望{spot}多装几个垃圾桶"],
    "praise": ["保洁阿姨很负责，点赞", "园区很干净，谢谢工作人员", "答复很及时，感谢"],
    "other": ["找不到失物招领处", "公园地图不清楚", "停车位太少了"],
}
CATEGORY_WEIGHTS = {"toilets": 20, "noise": 18, "facilities": 16, "safety": 6, "nature": 12,
                    "service": 8, "suggestion": 10, "praise": 5, "other": 5}
# visitors write in the morning and the evening (local hours 0-23)
HOUR_WEIGHTS = [1, 0.5, 0.3, 0.3, 0.5, 2, 6, 9, 10, 8, 6, 5, 4, 4, 5, 6, 7, 8, 9, 9, 7, 5, 3, 2]
CHUNK = 50_000
COLUMNS = ("reference", "token_hash", "unit_id", "park_id", "point_id", "category_id", "body",
           "contact", "language", "status", "source", "responsible_role", "me_too_count",
           "reopen_count", "satisfaction", "created_at", "updated_at", "acknowledged_at",
           "claimed_at", "first_response_at", "resolved_at", "closed_at", "reply_due_at")

SQLITE_INSERT = (f"INSERT INTO feedback ({', '.join(COLUMNS)}) "  # noqa: S608 - our constants
                 f"VALUES ({', '.join('?' * len(COLUMNS))})")


@dataclass
class SpotPlan:
    unit_id: int
    unit_code: str
    park_id: int
    spot_id: int
    spot_name: str
    weight: float
    # the park's typical minutes to first response (medians differ between parks)
    response_median: float


def ensure_parks(total: int) -> None:
    """Add synthetic units (three parks each) until the city has `total` parks."""
    have = db.session.scalar(select(db.func.count()).select_from(Park)) or 0
    number = 0
    with write_transaction() as session:
        while have < total:
            number += 1
            code = f"S{number:03d}"
            if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
                continue
            unit = Unit(code=code, name_zh=f"城市公园管理处{number}",
                        name_en=f"City parks office {number}", is_demo=True)
            session.add(unit)
            unit.categories.extend(standard_categories())
            for _ in range(min(3, total - have)):
                name = PARK_NAMES[have % len(PARK_NAMES)]
                suffix = "" if have < len(PARK_NAMES) else str(have // len(PARK_NAMES) + 1)
                park = Park(name_zh=f"{name}公园{suffix}", name_en=f"{name} Park {suffix}".strip())
                unit.parks.append(park)
                for spot in SPOTS[:5]:
                    park.spots.append(Spot(code=new_spot_code(), name_zh=spot))
                have += 1


def _plans(rng: random.Random) -> tuple[list[SpotPlan], dict[tuple[int, str], int]]:
    parks = list(db.session.scalars(select(Park).order_by(Park.id)))
    categories = {(c.unit_id, c.code): c.id for c in db.session.scalars(select(Category))}
    plans = []
    for park in parks:
        park_weight = rng.lognormvariate(0, 0.6)
        response_median = rng.choice([12, 20, 35, 60, 120, 240])
        for spot in park.spots:
            plans.append(SpotPlan(unit_id=park.unit_id, unit_code=park.unit.code,
                                  park_id=park.id, spot_id=spot.id, spot_name=spot.name_zh,
                                  weight=park_weight * rng.lognormvariate(0, 0.5),
                                  response_median=response_median))
    return plans, categories


def _day_weights(start: date, days: int) -> list[float]:
    weights = []
    for offset in range(days):
        day = start + timedelta(days=offset)
        season = 1 + 0.4 * math.sin((day.timetuple().tm_yday - 100) / 365 * 2 * math.pi)
        weekend = 1.5 if day.weekday() >= 5 else 1.0
        weights.append(season * weekend)
    return weights


Stamp = Callable[[datetime | None], Any]


def _sqlite_stamp(moment: datetime | None) -> str | None:
    # the text SQLAlchemy's SQLite DateTime stores (naive UTC), written without the ORM
    return None if moment is None else moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _same(moment: datetime | None) -> datetime | None:
    return moment


class Generator:
    """Draws cases one day at a time from the city's plan, as rows in COLUMNS order."""

    def __init__(self, rng: random.Random, plans: list[SpotPlan],
                 categories: dict[tuple[int, str], int], now: datetime, stamp: Stamp) -> None:
        self.rng = rng
        self.plans = plans
        self.weights = [plan.weight for plan in plans]
        self.categories = categories
        # units that lack one of the demo categories get their first one instead
        self.fallback: dict[int, int] = {}
        for (unit_id, _code), category_id in sorted(categories.items()):
            self.fallback.setdefault(unit_id, category_id)
        self.now = now
        self.stamp = stamp
        self.codes = list(CATEGORY_WEIGHTS)
        self.code_weights = list(CATEGORY_WEIGHTS.values())
        self.roles = {code: role for code, _zh, _en, _icon, role, _urgent in CATEGORIES}
        self.counters: dict[tuple[int, int], int] = {}
        # the rollups of the cases drawn since the last write (computed as the hooks would)
        self.delta = RollupDelta()

    def reference(self, plan: SpotPlan, year: int) -> str:
        key = (plan.unit_id, year)
        number = self.counters[key] = self.counters.get(key, 0) + 1
        return f"{plan.unit_code}-{year}-{number:06d}"

    def cases(self, day: date, count: int) -> Iterator[tuple[Any, ...]]:
        rng = self.rng
        spots = rng.choices(self.plans, cum_weights=None, weights=self.weights, k=count)
        codes = rng.choices(self.codes, weights=self.code_weights, k=count)
        hours = rng.choices(range(24), weights=HOUR_WEIGHTS, k=count)
        midnight = datetime(day.year, day.month, day.day, tzinfo=REPORT_TZ).astimezone(UTC)
        year = day.year
        for plan, code, hour in zip(spots, codes, hours, strict=True):
            created = midnight + timedelta(seconds=hour * 3600 + rng.randrange(3600))
            if created <= self.now:
                yield self.case(plan, code, created, year)

    def case(self, plan: SpotPlan, code: str, created: datetime, year: int) -> tuple[Any, ...]:
        rng = self.rng
        now = self.now
        stamp = self.stamp
        response = created + timedelta(minutes=min(
            20160.0, rng.lognormvariate(math.log(plan.response_median), 0.9)))
        resolved = response + timedelta(minutes=rng.lognormvariate(5.48, 1.2))  # ~4 h
        acknowledged = first_response = resolved_at = closed = satisfaction = None
        status = "new"
        reopen = 0
        if response <= now:
            acknowledged = created + (response - created) / 2
            first_response = response
            status = "in_progress"
            if resolved <= now and rng.random() < 0.97:
                resolved_at = resolved
                status = "resolved"
                if rng.random() < 0.4:
                    satisfaction = rng.choices((1, 2, 3, 4, 5), weights=(1, 1, 3, 6, 9))[0]
                if rng.random() < 0.05:
                    reopen = 1
                if now - resolved > timedelta(days=7):
                    status = "closed"
                    closed = resolved + timedelta(days=7)
        me_too = 1 if rng.random() < 0.08 else 0
        due = created + timedelta(hours=4)
        category_id = self.categories.get((plan.unit_id, code)) or self.fallback[plan.unit_id]
        self.delta.add_contribution(*contribution_of(
            plan.park_id, plan.spot_id, category_id, created, status, first_response, due,
            resolved_at, satisfaction, reopen, me_too, source=Source.QR.value, channel=None,
            zone_id=None))
        text = rng.choice(TEXTS[code])
        return (
            self.reference(plan, year), f"{rng.getrandbits(256):064x}", plan.unit_id,
            plan.park_id, plan.spot_id, category_id,
            text.format(spot=plan.spot_name) if "{" in text else text, None, "zh_CN", status,
            Source.QR.value, self.roles[code], me_too, reopen,
            satisfaction, stamp(created), stamp(closed or resolved_at or created),
            stamp(acknowledged), stamp(acknowledged), stamp(first_response), stamp(resolved_at),
            stamp(closed), stamp(due),
        )


def _insert(rows: list[tuple[Any, ...]], delta: RollupDelta) -> None:
    """Bulk-insert case rows and add their rollups (in the caller's transaction)."""
    session = db.session()
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        raw: Any = connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(
                f"COPY feedback ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        connection.exec_driver_sql(SQLITE_INSERT, rows)
    apply_delta(session, delta)


def _advance_counters(counters: dict[tuple[int, int], int]) -> None:
    """Move each unit's reference counter past the synthetic references."""
    session = db.session()
    for (unit_id, year), value in counters.items():
        counter = session.get(ReferenceCounter, (unit_id, year))
        if counter is None:
            session.add(ReferenceCounter(unit_id=unit_id, year=year, value=value))
        else:
            counter.value = max(counter.value, value)


def _existing_counters() -> dict[tuple[int, int], int]:
    return {(c.unit_id, c.year): c.value for c in db.session.scalars(select(ReferenceCounter))}


def generate_history(cases: int, *, parks: int = 30, days: int = 730, seed: int = 2026,
                     now: datetime | None = None,
                     progress: Callable[[int], object] | None = None) -> int:
    """Add about `cases` cases spread over the last `days` days; return how many were added."""
    now = now or utcnow()
    rng = random.Random(seed)  # noqa: S311 - made-up data, reproducible by seed
    ensure_parks(parks)
    plans, categories = _plans(rng)
    sqlite_db = db.session.get_bind().dialect.name == "sqlite"
    generator = Generator(rng, plans, categories, now, _sqlite_stamp if sqlite_db else _same)
    generator.counters = _existing_counters()
    end = now.astimezone(REPORT_TZ).date()
    start = end - timedelta(days=days - 1)
    weights = _day_weights(start, days)
    per_weight = cases / sum(weights)
    added = 0
    chunk: list[tuple[Any, ...]] = []
    cumulative = 0.0
    for offset, weight in enumerate(weights):
        # rounding the running total keeps the sum of the days exactly `cases`
        count = round(per_weight * (cumulative + weight)) - round(per_weight * cumulative)
        cumulative += weight
        chunk.extend(generator.cases(start + timedelta(days=offset), count))
        if len(chunk) >= CHUNK or offset == days - 1:
            with write_transaction():
                _insert(chunk, generator.delta)
                _advance_counters(generator.counters)
            generator.delta = RollupDelta()
            added += len(chunk)
            if progress:
                progress(len(chunk))
            chunk = []
    log.info("generated %d synthetic cases over %d days in %d parks", added, days, len(
        {plan.park_id for plan in plans}))
    return added

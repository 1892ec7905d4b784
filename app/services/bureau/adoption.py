"""每月一题 as a loop: the bureau adopts a topic for a month and assigns units; the units
record the measures they took; the topic's reports are counted month by month before and
after adoption.

Access, in one place: the bureau (admins and viewers) sees every topic and every measure;
a unit's staff see the topics assigned to their unit and only their unit's measures; any
other topic is not found. Only a bureau administrator adopts; a measure is written by
someone who acts in an assigned unit (`require_acting`, the one acting-role check): a
viewer, of the unit or of the bureau, is refused.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, func, or_, select

from app.database import write_transaction
from app.extensions import db
from app.models import (
    BUREAU_ROLES,
    AdoptedTopic,
    Case,
    Category,
    MeasurePhoto,
    Park,
    StaffUser,
    TopicMeasure,
    Unit,
)
from app.services.accounts.audit import record_audit
from app.services.bureau.analytics import next_month
from app.services.bureau.rollups import REPORT_TZ
from app.services.cases.operations import ACTING_ROLES, require_acting
from app.services.cases.photos import (
    STORED_CONTENT_TYPE,
    PhotoError,
    PreparedPhoto,
    store_photo_file,
)
from app.services.errors import DomainError, ForbiddenError, NotFoundError

log = logging.getLogger(__name__)

MONTHS_BEFORE = 6  # months shown before the adoption month
MONTHS_AFTER = 6  # the adoption month and those after it (up to the current one)
MAX_KEYWORDS = 8
MAX_KEYWORD = 20
MAX_TITLE = 120
MAX_NOTE = 1000
MAX_MEASURE = 2000
MAX_MEASURE_PHOTOS = 3
NOT_COUNTED = ("spam",)
KEYWORD_SEPARATORS = re.compile(r"[\s,，、;；·]+")

# The one definition of a matching report, shown on the topic page and in the monthly PDF.
MATCHING_REPORTS = _l(
    "Matching reports: the cases in the assigned units' parks (spam aside) whose category "
    "is the topic's, when it names one, and whose text contains at least one of its "
    "keywords, when it names any; each case counts with its “me too” and “not fixed” "
    "reports, as in the league table, in the month it arrived (Beijing time).")


@dataclass(frozen=True)
class MonthReports:
    month: date
    cases: int
    reports: int
    after: bool  # the adoption month or later
    partial: bool  # the current month, not over yet


def is_bureau(user: StaffUser) -> bool:
    return user.bureau_role in BUREAU_ROLES


def split_keywords(text: str) -> list[str]:
    """The distinct words of a keywords field (spaces, commas, 、 or · between them)."""
    words: list[str] = []
    for word in KEYWORD_SEPARATORS.split(text or ""):
        word = word.strip().lower()
        if word and word not in words:
            words.append(word)
    return words


def category_codes() -> list[tuple[str, str, str]]:
    """(code, Chinese name, English name) of every category code in use, by code."""
    names: dict[str, tuple[str, str, str]] = {}
    for code, zh, en in db.session.execute(
            select(Category.code, Category.name_zh, Category.name_en).order_by(Category.id)):
        names.setdefault(code, (code, zh, en))
    return sorted(names.values())


def visible_topics(user: StaffUser) -> list[AdoptedTopic]:
    """The topics the user may see, newest month first."""
    query = select(AdoptedTopic).order_by(AdoptedTopic.month.desc(), AdoptedTopic.id.desc())
    if not is_bureau(user):
        query = query.where(AdoptedTopic.units.any(Unit.id.in_(user.unit_ids)))
    return list(db.session.scalars(query))


def topic_for(user: StaffUser, topic_id: int) -> AdoptedTopic:
    """A topic the user may see; any other is not found."""
    topic = db.session.get(AdoptedTopic, topic_id)
    if topic is None or not (is_bureau(user) or set(topic.unit_ids) & user.unit_ids):
        raise NotFoundError(_("No such topic."))
    return topic


def visible_measures(user: StaffUser, topic: AdoptedTopic) -> list[TopicMeasure]:
    """The bureau sees every unit's measures; a unit only its own."""
    if is_bureau(user):
        return list(topic.measures)
    return [measure for measure in topic.measures if measure.unit_id in user.unit_ids]


def measure_unit(user: StaffUser, topic: AdoptedTopic) -> int:
    """The assigned unit in which the user records a measure (else NotFound/Forbidden)."""
    mine = [unit_id for unit_id in topic.unit_ids if unit_id in user.unit_ids]
    if not mine:
        if is_bureau(user):
            raise ForbiddenError(_("Only the assigned units record measures."))
        raise NotFoundError(_("No such topic."))
    acting = [unit_id for unit_id in mine if user.roles_in(unit_id) & ACTING_ROLES]
    require_acting(user, (acting or mine)[0])
    return (acting or mine)[0]


def may_record_measure(user: StaffUser, topic: AdoptedTopic) -> bool:
    """Whether the form is shown (`measure_unit` decides)."""
    return any(user.roles_in(unit_id) & ACTING_ROLES for unit_id in topic.unit_ids)


def require_adopter(user: StaffUser) -> None:
    if user.bureau_role != "admin":
        raise ForbiddenError(_("Only a bureau administrator adopts a topic."))


def adopt_topic(*, user: StaffUser, month: date, title: str, keywords: str,
                category_code: str | None, unit_ids: Sequence[int], note: str,
                now: datetime) -> AdoptedTopic:
    """The bureau takes a problem on for a month and assigns units to it (audited)."""
    require_adopter(user)
    title = " ".join((title or "").split())
    words = split_keywords(keywords)
    code = (category_code or "").strip() or None
    note = (note or "").strip()
    if not title or len(title) > MAX_TITLE:
        raise DomainError(_("Please give the topic a title (at most %(max)d characters).",
                            max=MAX_TITLE))
    if len(words) > MAX_KEYWORDS or any(len(word) > MAX_KEYWORD for word in words):
        raise DomainError(_("At most %(n)d keywords of at most %(max)d characters each.",
                            n=MAX_KEYWORDS, max=MAX_KEYWORD))
    if not words and code is None:
        raise DomainError(_("Please name keywords, a category, or both: they decide which "
                            "reports the topic counts."))
    if code is not None and code not in {row[0] for row in category_codes()}:
        raise DomainError(_("No such category."))
    if len(note) > MAX_NOTE:
        raise DomainError(_("Please keep the note under %(max)d characters.", max=MAX_NOTE))
    with write_transaction() as session:
        units = list(session.scalars(select(Unit).where(Unit.id.in_(set(unit_ids)))))
        if not units or len(units) != len(set(unit_ids)):
            raise DomainError(_("Please assign at least one unit."))
        topic = AdoptedTopic(month=month.replace(day=1), title=title, keywords=" ".join(words),
                             category_code=code, note=note, created_by_id=user.id,
                             created_at=now, units=units)
        session.add(topic)
        session.flush()
        record_audit("topic.adopted", user_id=user.id, unit_id=None, target_type="adopted_topic",
                     target_id=topic.id,
                     after={"month": topic.month.isoformat(), "title": title,
                            "keywords": topic.keywords, "category": code,
                            "units": [unit.id for unit in units]})
    log.info("topic %s adopted for %s by user %s", topic.id, topic.month, user.id)
    return topic


def record_measure(*, user: StaffUser, topic_id: int, body: str, taken_on: date,
                   photos: Sequence[PreparedPhoto], now: datetime) -> TopicMeasure:
    """A unit records what it did about a topic, with up to three photos (audited)."""
    body = (body or "").strip()
    with write_transaction() as session:
        topic = session.get(AdoptedTopic, topic_id)
        if topic is None:
            raise NotFoundError(_("No such topic."))
        unit_id = measure_unit(user, topic)
        if not body or len(body) > MAX_MEASURE:
            raise DomainError(_("Please describe the measure (at most %(max)d characters).",
                                max=MAX_MEASURE))
        if taken_on > now.astimezone(REPORT_TZ).date():
            raise DomainError(_("The date of a measure cannot be in the future."))
        if len(photos) > MAX_MEASURE_PHOTOS:
            raise PhotoError(_("Please send at most %(max)d photos.", max=MAX_MEASURE_PHOTOS))
        measure = TopicMeasure(topic_id=topic.id, unit_id=unit_id, author_id=user.id,
                               taken_on=taken_on, body=body, created_at=now)
        for photo in photos:
            measure.photos.append(MeasurePhoto(
                storage_name=store_photo_file(session, photo), checksum=photo.checksum,
                content_type=STORED_CONTENT_TYPE, size=len(photo.data), width=photo.width,
                height=photo.height, uploaded_by_id=user.id, created_at=now))
        session.add(measure)
        session.flush()
        record_audit("topic.measure_recorded", user_id=user.id, unit_id=unit_id,
                     target_type="topic_measure", target_id=measure.id,
                     after={"topic": topic.id, "taken_on": taken_on.isoformat(),
                            "body": body, "photos": len(photos)})
    log.info("measure %s on topic %s by user %s", measure.id, topic_id, user.id)
    return measure


def measure_photo_for(user: StaffUser, topic: AdoptedTopic, photo_id: int) -> MeasurePhoto:
    """A photo of a measure the user may see; any other is not found."""
    for measure in visible_measures(user, topic):
        for photo in measure.photos:
            if photo.id == photo_id:
                return photo
    raise NotFoundError(_("No such photo."))


def matches(topic: AdoptedTopic) -> list[ColumnElement[bool]]:
    """The conditions a matching case meets (see MATCHING_REPORTS)."""
    conditions: list[ColumnElement[bool]] = [Case.status.not_in(NOT_COUNTED)]
    if topic.category_code:
        conditions.append(Case.category_id.in_(
            select(Category.id).where(Category.code == topic.category_code)))
    if topic.keyword_list:
        conditions.append(or_(*[func.lower(Case.body).contains(word, autoescape=True)
                                for word in topic.keyword_list]))
    return conditions


def topic_parks(topic: AdoptedTopic, parks: Sequence[Park]) -> list[Park]:
    """The parks of the assigned units, among those the viewer sees."""
    return [park for park in parks if park.unit_id in set(topic.unit_ids)]


def report_months(topic: AdoptedTopic, today: date) -> list[date]:
    """MONTHS_BEFORE months before adoption, then up to MONTHS_AFTER from it, never past
    the current month."""
    first = topic.month
    for _step in range(MONTHS_BEFORE):
        first = (first - timedelta(days=1)).replace(day=1)
    months: list[date] = []
    month = first
    current = today.replace(day=1)
    while month <= current and len(months) < MONTHS_BEFORE + MONTHS_AFTER:
        months.append(month)
        month = next_month(month)
    return months


def monthly_reports(topic: AdoptedTopic, parks: Sequence[Park],
                    today: date) -> list[MonthReports]:
    """The topic's matching cases and reports per month, before and after adoption."""
    park_ids = [park.id for park in topic_parks(topic, parks)]
    rows = []
    for month in report_months(topic, today):
        start = datetime(month.year, month.month, 1, tzinfo=REPORT_TZ)
        end_month = next_month(month)
        end = datetime(end_month.year, end_month.month, 1, tzinfo=REPORT_TZ)
        cases, reports = 0, 0
        if park_ids:
            cases, reports = db.session.execute(
                select(func.count(),
                       func.coalesce(func.sum(1 + Case.me_too_count + Case.reopen_count), 0))
                .where(Case.park_id.in_(park_ids), Case.created_at >= start,
                       Case.created_at < end, *matches(topic))).one()
        rows.append(MonthReports(month=month, cases=int(cases), reports=int(reports),
                                 after=month >= topic.month,
                                 partial=month == today.replace(day=1)))
    return rows


@dataclass(frozen=True)
class BeforeAfter:
    before_months: int
    before_average: float | None
    after_months: int
    after_average: float | None


def before_and_after(rows: Sequence[MonthReports]) -> BeforeAfter:
    """Matching reports per month on average, before adoption and from it on (whole
    months only: the current month is left out)."""
    before = [row.reports for row in rows if not row.after and not row.partial]
    after = [row.reports for row in rows if row.after and not row.partial]
    return BeforeAfter(len(before), sum(before) / len(before) if before else None,
                       len(after), sum(after) / len(after) if after else None)


@dataclass(frozen=True)
class TopicSection:
    """One adopted topic in the monthly report."""

    topic: AdoptedTopic
    months: list[MonthReports]
    summary: BeforeAfter
    measures: list[TopicMeasure]  # taken in the report's month, by the report's units


def report_sections(parks: Sequence[Park], month: date, today: date) -> list[TopicSection]:
    """The topics adopted up to `month` (within the last MONTHS_AFTER months) and assigned
    to a unit of these parks, with the measures those units took in the month."""
    unit_ids = {park.unit_id for park in parks}
    first = month
    for _step in range(MONTHS_AFTER - 1):
        first = (first - timedelta(days=1)).replace(day=1)
    topics = db.session.scalars(
        select(AdoptedTopic)
        .where(AdoptedTopic.month <= month, AdoptedTopic.month >= first,
               AdoptedTopic.units.any(Unit.id.in_(unit_ids)))
        .order_by(AdoptedTopic.month, AdoptedTopic.id))
    end = next_month(month)
    sections = []
    for topic in topics:
        # the report looks back from its month: later months are not its business
        rows = [row for row in monthly_reports(topic, parks, min(today, end))
                if row.month <= month]
        sections.append(TopicSection(
            topic=topic, months=rows, summary=before_and_after(rows),
            measures=[measure for measure in topic.measures if measure.unit_id in unit_ids
                      and month <= measure.taken_on < end]))
    return sections

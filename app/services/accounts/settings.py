"""Directors' settings: unit working hours, categories, routing rules and reply templates.

Every change is audited with the values before and after, in the same transaction.
Objects are always looked up within the director's unit: another unit's is NotFound.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select

from app.database import write_transaction
from app.extensions import db
from app.models import (
    ROLES,
    Category,
    Park,
    ReplyTemplate,
    RoutingRule,
    Spot,
    StaffUser,
    Unit,
)
from app.models.org import DEFAULT_EMERGENCY_NUMBERS
from app.services.accounts.audit import record_audit
from app.services.cases.danger import emergency_numbers_problem
from app.services.cases.reply_templates import check_placeholders
from app.services.errors import DomainError, NotFoundError

log = logging.getLogger(__name__)

# a case is answered by one of these roles ("viewer" only reads)
ANSWERING_ROLES = tuple(role for role in ROLES if role != "viewer")
TIME = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
CATEGORY_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")

UNIT_FIELDS = ("work_start", "work_end", "work_days", "autoclose_days", "me_too_window_hours",
               "emergency_numbers", "danger_words", "hotline_respond_hours",
               "hotline_resolve_days", "ladder_sms_minutes", "ladder_director_sms")
CATEGORY_FIELDS = ("code", "name_zh", "name_en", "icon", "role", "urgent", "sort_order", "active",
                   "claim_minutes", "first_reply_hours", "resolve_days")
RULE_FIELDS = ("category_id", "park_id", "spot_id", "role")
TEMPLATE_FIELDS = ("title", "body", "category_id", "active")


def snapshot(thing: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    """The audited values of an object."""
    return {field: getattr(thing, field) for field in fields}


def _in_range(value: int, low: int, high: int, what: str) -> int:
    if not low <= value <= high:
        raise DomainError(_("%(what)s must be between %(low)d and %(high)d.", what=what,
                            low=low, high=high))
    return value


# --- unit settings --------------------------------------------------------------------

@dataclass(frozen=True)
class UnitSettings:
    work_start: str
    work_end: str
    work_days: str
    autoclose_days: int
    me_too_window_hours: int
    emergency_numbers: str = DEFAULT_EMERGENCY_NUMBERS
    danger_words: str = ""
    hotline_respond_hours: int = 24  # 12345 tickets: contact the citizen within
    hotline_resolve_days: int = 7  # and finish within
    ladder_sms_minutes: int = 5
    ladder_director_sms: bool = True


def validate_unit_settings(settings: UnitSettings) -> UnitSettings:
    if not (TIME.match(settings.work_start) and TIME.match(settings.work_end)):
        raise DomainError(_("Working hours are times like 08:00."))
    if settings.work_start >= settings.work_end:
        raise DomainError(_("The working day must end after it starts."))
    days = "".join(sorted(set(settings.work_days)))
    if not days or any(day not in "1234567" for day in days):
        raise DomainError(_("Choose at least one working day."))
    _in_range(settings.autoclose_days, 1, 365, _("Days before a resolved case closes"))
    _in_range(settings.me_too_window_hours, 0, 24 * 30, _("The \"me too\" window"))
    _in_range(settings.hotline_respond_hours, 1, 24 * 7, _("The 12345 contact limit"))
    _in_range(settings.hotline_resolve_days, 1, 90, _("The 12345 finishing limit"))
    _in_range(settings.ladder_sms_minutes, 1, 240, _("Minutes before an urgent case goes by SMS"))
    numbers = "\n".join(line.strip() for line in settings.emergency_numbers.splitlines()
                        if line.strip())
    if emergency_numbers_problem(numbers):
        raise DomainError(_("Emergency numbers: one a line, the number first, then its Chinese "
                            "and English labels (for example: 110 报警 Police)."))
    words = "\n".join(line.strip() for line in settings.danger_words.splitlines()
                      if line.strip())
    return UnitSettings(settings.work_start, settings.work_end, days, settings.autoclose_days,
                        settings.me_too_window_hours, numbers, words,
                        settings.hotline_respond_hours, settings.hotline_resolve_days,
                        settings.ladder_sms_minutes, bool(settings.ladder_director_sms))


def update_unit_settings(*, user: StaffUser, unit_id: int, settings: UnitSettings) -> Unit:
    """Change the unit's working hours, auto-close delay and "me too" window."""
    settings = validate_unit_settings(settings)
    with write_transaction() as session:
        unit = session.get(Unit, unit_id)
        if unit is None:
            raise NotFoundError(_("No such unit."))
        before = snapshot(unit, UNIT_FIELDS)
        for field in UNIT_FIELDS:
            setattr(unit, field, getattr(settings, field))
        record_audit("unit.settings_updated", user_id=user.id, unit_id=unit.id,
                     target_type="unit", target_id=unit.id, before=before,
                     after=snapshot(unit, UNIT_FIELDS))
    log.info("unit %s settings updated by user %s", unit_id, user.id)
    return unit


# --- categories -----------------------------------------------------------------------

@dataclass(frozen=True)
class CategoryFields:
    code: str
    name_zh: str
    name_en: str
    icon: str
    role: str
    urgent: bool
    sort_order: int
    active: bool
    claim_minutes: int
    first_reply_hours: int
    resolve_days: int


def _validate_category(fields: CategoryFields) -> None:
    if not fields.name_zh.strip():
        raise DomainError(_("A category needs a Chinese name."))
    if fields.role not in ANSWERING_ROLES:
        raise DomainError(_("Choose the role that answers it."))
    _in_range(fields.claim_minutes, 1, 7 * 24 * 60, _("Minutes to claim"))
    _in_range(fields.first_reply_hours, 1, 30 * 24, _("Hours to the first reply"))
    _in_range(fields.resolve_days, 1, 365, _("Days to resolve"))
    _in_range(fields.sort_order, -1000, 1000, _("Order"))


def get_category(unit_id: int, category_id: int) -> Category:
    category = db.session.get(Category, category_id)
    if category is None or category.unit_id != unit_id:
        raise NotFoundError(_("No such category."))
    return category


def save_category(*, user: StaffUser, unit_id: int, category_id: int | None,
                  fields: CategoryFields) -> Category:
    """Create a category (category_id None) or change one; its code is fixed once created."""
    _validate_category(fields)
    with write_transaction() as session:
        if category_id is None:
            code = fields.code.strip().lower()
            if not CATEGORY_CODE.match(code):
                raise DomainError(_("A code is lower-case letters, digits, - or _ "
                                    "(for example: toilets)."))
            taken = session.scalar(select(Category.id).where(Category.unit_id == unit_id,
                                                             Category.code == code))
            if taken is not None:
                raise DomainError(_("Another category already has this code."))
            category = Category(unit_id=unit_id, code=code)
            session.add(category)
            before = None
            action = "category.created"
        else:
            category = get_category(unit_id, category_id)
            before = snapshot(category, CATEGORY_FIELDS)
            action = "category.updated"
        for field in CATEGORY_FIELDS:
            if field != "code":
                value = getattr(fields, field)
                setattr(category, field, value.strip() if isinstance(value, str) else value)
        session.flush()
        record_audit(action, user_id=user.id, unit_id=unit_id, target_type="category",
                     target_id=category.id, before=before,
                     after=snapshot(category, CATEGORY_FIELDS))
    log.info("%s %s by user %s", action, category.id, user.id)
    return category


# --- routing rules --------------------------------------------------------------------

def unit_routing_rules(unit_id: int) -> list[RoutingRule]:
    return list(db.session.scalars(
        select(RoutingRule).where(RoutingRule.unit_id == unit_id)
        .order_by(RoutingRule.category_id, RoutingRule.park_id, RoutingRule.spot_id)
    ))


def create_routing_rule(*, user: StaffUser, unit_id: int, category_id: int,
                        park_id: int | None, spot_id: int | None, role: str) -> RoutingRule:
    """Send a category (optionally only at a park or a spot) to a role."""
    if role not in ANSWERING_ROLES:
        raise DomainError(_("Choose the role that answers it."))
    with write_transaction() as session:
        get_category(unit_id, category_id)
        if spot_id is not None:
            spot = session.get(Spot, spot_id)
            if spot is None or spot.park.unit_id != unit_id:
                raise NotFoundError(_("No such spot."))
            if park_id is not None and park_id != spot.park_id:
                raise DomainError(_("This spot is not in that park."))
            park_id = spot.park_id
        elif park_id is not None:
            park = session.get(Park, park_id)
            if park is None or park.unit_id != unit_id:
                raise NotFoundError(_("No such park."))
        same_scope = session.scalar(select(RoutingRule.id).where(
            RoutingRule.unit_id == unit_id, RoutingRule.category_id == category_id,
            RoutingRule.park_id.is_(None) if park_id is None else RoutingRule.park_id == park_id,
            RoutingRule.spot_id.is_(None) if spot_id is None
            else RoutingRule.spot_id == spot_id,
        ))
        if same_scope is not None:
            raise DomainError(_("There is already a rule for this; delete it first."))
        rule = RoutingRule(unit_id=unit_id, category_id=category_id, park_id=park_id,
                           spot_id=spot_id, role=role)
        session.add(rule)
        session.flush()
        record_audit("routing_rule.created", user_id=user.id, unit_id=unit_id,
                     target_type="routing_rule", target_id=rule.id,
                     after=snapshot(rule, RULE_FIELDS))
    log.info("routing rule %s created by user %s", rule.id, user.id)
    return rule


def delete_routing_rule(*, user: StaffUser, unit_id: int, rule_id: int) -> None:
    """Remove a routing rule; cases already routed keep their role."""
    with write_transaction() as session:
        rule = session.get(RoutingRule, rule_id)
        if rule is None or rule.unit_id != unit_id:
            raise NotFoundError(_("No such rule."))
        before = snapshot(rule, RULE_FIELDS)
        session.delete(rule)
        record_audit("routing_rule.deleted", user_id=user.id, unit_id=unit_id,
                     target_type="routing_rule", target_id=rule_id, before=before)
    log.info("routing rule %s deleted by user %s", rule_id, user.id)


# --- reply templates ------------------------------------------------------------------



def unit_reply_templates(unit_id: int) -> list[ReplyTemplate]:
    return list(db.session.scalars(
        select(ReplyTemplate).where(ReplyTemplate.unit_id == unit_id)
        .order_by(ReplyTemplate.title, ReplyTemplate.id)
    ))


def get_reply_template(unit_id: int, template_id: int) -> ReplyTemplate:
    template = db.session.get(ReplyTemplate, template_id)
    if template is None or template.unit_id != unit_id:
        raise NotFoundError(_("No such reply template."))
    return template


def save_reply_template(*, user: StaffUser, unit_id: int, template_id: int | None, title: str,
                        body: str, category_id: int | None, active: bool) -> ReplyTemplate:
    """Create or change a ready answer (for the whole unit or one category)."""
    title, body = title.strip(), check_placeholders(body.strip())
    if not title or not body:
        raise DomainError(_("A reply template needs a title and a text."))
    with write_transaction() as session:
        if category_id is not None:
            get_category(unit_id, category_id)
        if template_id is None:
            template = ReplyTemplate(unit_id=unit_id)
            session.add(template)
            before = None
            action = "reply_template.created"
        else:
            template = get_reply_template(unit_id, template_id)
            before = snapshot(template, TEMPLATE_FIELDS)
            action = "reply_template.updated"
        template.title, template.body = title, body
        template.category_id, template.active = category_id, active
        session.flush()
        record_audit(action, user_id=user.id, unit_id=unit_id, target_type="reply_template",
                     target_id=template.id, before=before,
                     after=snapshot(template, TEMPLATE_FIELDS))
    log.info("%s %s by user %s", action, template.id, user.id)
    return template


def delete_reply_template(*, user: StaffUser, unit_id: int, template_id: int) -> None:
    """Remove a reply template (replies already sent keep their text)."""
    with write_transaction() as session:
        template = get_reply_template(unit_id, template_id)
        before = snapshot(template, TEMPLATE_FIELDS)
        session.delete(template)
        record_audit("reply_template.deleted", user_id=user.id, unit_id=unit_id,
                     target_type="reply_template", target_id=template_id, before=before)
    log.info("reply template %s deleted by user %s", template_id, user.id)

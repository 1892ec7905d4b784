"""Onboarding: a new management unit with its parks and first director; bureau accounts."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.database import write_transaction
from app.extensions import db
from app.models import BUREAU_ROLES, Category, Membership, Park, StaffUser, Unit
from app.services.accounts.audit import record_audit
from app.services.accounts.staff import (
    Credential,
    find_user_by_email,
    make_invite_token,
    new_credential,
)
from app.services.errors import DomainError

log = logging.getLogger(__name__)

# the categories a new unit starts with; its director changes them in the settings
CATEGORIES = [
    # code, zh, en, icon (a name in app/icons.py), role, urgent
    ("toilets", "厕所与保洁", "Toilets and cleanliness", "toilet", "cleaning", False),
    ("noise", "噪音", "Noise", "noise", "security", False),
    ("facilities", "设施损坏", "Broken facilities", "tools", "maintenance", False),
    ("safety", "安全隐患", "Safety", "warning", "security", True),
    ("nature", "花草树木与动物", "Plants and animals", "tree", "maintenance", False),
    ("service", "工作人员与服务", "Staff and service", "person", "service", False),
    ("suggestion", "意见建议", "Suggestion", "bulb", "director", False),
    ("praise", "表扬", "Praise", "thumbs-up", "director", False),
    ("other", "其他", "Other", "mail", "service", False),
]
# the unit code starts every case reference (RT-2026-000123)
UNIT_CODE = re.compile(r"[A-Z][A-Z0-9]{1,7}")
MAX_PARKS = 50
MAX_NAME = 120


def standard_categories() -> list[Category]:
    return [Category(code=code, name_zh=zh, name_en=en, icon=icon, role=role, urgent=urgent,
                     sort_order=order)
            for order, (code, zh, en, icon, role, urgent) in enumerate(CATEGORIES)]


@dataclass(frozen=True)
class ParkName:
    zh: str
    en: str = ""


def parse_park_lines(text: str) -> list[ParkName]:
    """One park a line: its Chinese name, optionally `|` and its English name."""
    parks = []
    for line in text.splitlines():
        zh, _bar, en = line.partition("|")
        if zh.strip() or en.strip():
            parks.append(ParkName(zh.strip(), en.strip()))
    return parks


def _check_unit(code: str, name_zh: str, parks: list[ParkName]) -> None:
    if not UNIT_CODE.fullmatch(code):
        raise DomainError(_("The code is 2 to 8 capital letters or digits, starting with a "
                            "letter (it starts every case reference)."))
    if not name_zh:
        raise DomainError(_("The unit needs a Chinese name."))
    if not parks:
        raise DomainError(_("Name at least one park."))
    if len(parks) > MAX_PARKS:
        raise DomainError(_("At most %(n)d parks at once.", n=MAX_PARKS))
    for park in parks:
        if not park.zh:
            raise DomainError(_("Every park needs a Chinese name."))
        if len(park.zh) > MAX_NAME or len(park.en) > MAX_NAME:
            raise DomainError(_("A park name is longer than %(n)d characters.", n=MAX_NAME))
    if len({park.zh for park in parks}) < len(parks):
        raise DomainError(_("Two parks have the same name."))


@dataclass(frozen=True)
class Onboarded:
    unit_id: int
    park_ids: list[int]
    director: Credential


def onboard_unit(*, admin_id: int | None, code: str, name_zh: str, name_en: str,
                 parks: list[ParkName], director_email: str, director_name: str,
                 credential: str = "password") -> Onboarded:
    """Create a unit with the standard categories, its parks and its first director."""
    code, name_zh, name_en = code.strip().upper(), name_zh.strip(), name_en.strip()
    director_email = director_email.strip().lower()
    _check_unit(code, name_zh, parks)
    if not director_email or "@" not in director_email:
        raise DomainError(_("Give the director's e-mail address."))
    password_hash, password = new_credential(credential)
    try:
        result = _create_unit(admin_id, code, name_zh, name_en, parks, director_email,
                              director_name, credential, password_hash, password)
    except IntegrityError:
        # another administrator took the code or the e-mail between the check and the insert
        raise DomainError(_("A unit with this code or an account with this e-mail was just "
                            "created by someone else; nothing was changed.")) from None
    log.info("unit %s onboarded with %d parks by user %s", code, len(parks), admin_id)
    return result


def _create_unit(admin_id: int | None, code: str, name_zh: str, name_en: str,
                 parks: list[ParkName], director_email: str, director_name: str,
                 credential: str, password_hash: str, password: str | None) -> Onboarded:
    with write_transaction() as session:
        if session.scalar(select(Unit.id).where(Unit.code == code)) is not None:
            raise DomainError(_("Another unit has the code %(code)s.", code=code))
        taken = set(session.scalars(select(Park.name_zh).where(
            Park.name_zh.in_([park.zh for park in parks]))))
        if taken:
            raise DomainError(_("These parks exist already: %(names)s",
                                names="、".join(sorted(taken))))
        if find_user_by_email(director_email) is not None:
            raise DomainError(_("An account with this e-mail already exists."))
        unit = Unit(code=code, name_zh=name_zh, name_en=name_en)
        unit.categories.extend(standard_categories())
        unit.parks.extend(Park(name_zh=park.zh, name_en=park.en) for park in parks)
        director = StaffUser(email=director_email, name=director_name.strip() or director_email,
                             password_hash=password_hash,
                             password_change_required=password is not None)
        director.memberships.append(Membership(unit=unit, role="director"))
        session.add_all([unit, director])
        session.flush()
        record_audit("unit.onboarded", user_id=admin_id, unit_id=unit.id, target_type="unit",
                     target_id=unit.id, after={"code": code, "name": name_zh,
                                               "parks": [park.zh for park in parks],
                                               "director": director_email})
        record_audit("staff.created", user_id=admin_id, unit_id=unit.id,
                     target_type="staff_user", target_id=director.id,
                     after={"email": director_email, "name": director.name,
                            "roles": ["director"], "credential": credential})
        token = make_invite_token(director) if credential == "link" else None
        result = Onboarded(unit_id=unit.id, park_ids=[park.id for park in unit.parks],
                           director=Credential(user_id=director.id, email=director_email,
                                               temporary_password=password,
                                               invite_token=token))
    return result


def all_units() -> list[Unit]:
    """Every unit with its parks, newest first (the rollout so far)."""
    return list(db.session.scalars(
        select(Unit).options(selectinload(Unit.parks))
        .order_by(Unit.created_at.desc(), Unit.id.desc())))


def create_bureau_account(*, admin_id: int | None, email: str, name: str,
                          role: str = "admin") -> Credential:
    """A bureau account (admin or viewer) with a temporary password, shown once."""
    email = email.strip().lower()
    if role not in BUREAU_ROLES:
        raise DomainError(_("Choose a bureau role."))
    if not email or "@" not in email:
        raise DomainError(_("Give an e-mail address."))
    if find_user_by_email(email) is not None:
        raise DomainError(_("An account with this e-mail already exists."))
    password_hash, password = new_credential("password")
    try:
        with write_transaction() as session:
            user = StaffUser(email=email, name=name.strip() or email,
                             password_hash=password_hash, bureau_role=role,
                             password_change_required=True)
            session.add(user)
            session.flush()
            record_audit("bureau_user.created", user_id=admin_id, unit_id=None,
                         target_type="staff_user", target_id=user.id,
                         after={"email": email, "bureau_role": role})
            result = Credential(user_id=user.id, email=email, temporary_password=password)
    except IntegrityError:
        raise DomainError(_("An account with this e-mail already exists.")) from None
    log.info("bureau account %s (%s) created by user %s", result.user_id, role, admin_id)
    return result

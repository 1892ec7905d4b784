"""Reply templates: the placeholders a director may use, checked when saved, filled in
when a staff member picks a template for a case."""

from __future__ import annotations

import string

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Case, ReplyTemplate
from app.services.errors import DomainError

PLACEHOLDERS = ("spot", "park", "reference", "category")


def placeholder_values(case: Case, locale: str) -> dict[str, str]:
    """What each placeholder stands for in this case, in the reader's language."""
    return {
        "spot": case.spot.name(locale) if case.spot else "",
        "park": case.park.name(locale),
        "reference": case.reference,
        "category": case.category.name(locale),
    }


def check_placeholders(body: str) -> str:
    """The template text, if its only placeholders are those of PLACEHOLDERS."""
    try:
        names = {name for _text, name, _spec, _conv in string.Formatter().parse(body)
                 if name is not None}
    except ValueError:
        raise DomainError(_("Write a brace as {{ or }}; placeholders look like {spot}.")) from None
    unknown = sorted(names - set(PLACEHOLDERS))
    if unknown:
        shown = ", ".join("{" + name + "}" for name in unknown)
        raise DomainError(_("Unknown placeholder: %(names)s. Use {spot}, {park}, {reference} "
                            "or {category}.", names=shown))
    return body


def reply_templates_for(case: Case) -> list[ReplyTemplate]:
    """The unit's active templates for the case's category, and those for any category."""
    return list(db.session.scalars(
        select(ReplyTemplate).where(
            ReplyTemplate.unit_id == case.unit_id, ReplyTemplate.active.is_(True),
            (ReplyTemplate.category_id.is_(None)) | (ReplyTemplate.category_id == case.category_id))
        .order_by(ReplyTemplate.category_id.is_(None), ReplyTemplate.title, ReplyTemplate.id)
    ))


class _Blank(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"  # an unknown placeholder stays as written


def fill_reply_template(template: ReplyTemplate, case: Case, locale: str) -> str:
    """The template's text with its placeholders filled in for the case."""
    try:
        return template.body.format_map(_Blank(placeholder_values(case, locale)))
    except (ValueError, IndexError):  # stray braces: the director's text as written
        return template.body

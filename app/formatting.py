"""Jinja filters that show dates, times and numbers the visitor's way.

Times are shown in the time zone of the unit the case belongs to (Asia/Shanghai for the
Beijing parks), whatever the server's zone; dates and numbers follow the page's language.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime, format_timedelta
from babel.numbers import format_decimal
from flask import Flask, current_app
from flask_babel import get_locale
from flask_babel import gettext as _

from app.models import Unit


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def unit_time(moment: datetime | None, unit: Unit, format: str = "short") -> str:  # noqa: A002
    """A timestamp in the unit's time zone, formatted for the page's language."""
    if moment is None:
        return ""
    return format_datetime(moment, format, tzinfo=_zone(unit.timezone),
                           locale=get_locale() or "zh_CN")


def unit_time_iso(moment: datetime | None, unit: Unit) -> str:
    """The same instant for a <time datetime=...> attribute, with the unit's UTC offset."""
    if moment is None:
        return ""
    return moment.astimezone(_zone(unit.timezone)).isoformat(timespec="minutes")


def number(value: float | int | None) -> str:
    """A number with the page language's digit grouping and decimal sign."""
    if value is None:
        return ""
    return format_decimal(value, locale=get_locale() or "zh_CN")


def duration(minutes: float | None) -> str:
    """A span of minutes: "5 min", "2 h 10 min", "3 d 4 h" ("–" for none)."""
    if minutes is None:
        return "–"
    whole = round(minutes)
    if whole < 60:
        return str(_("%(m)d min", m=whole))
    hours, rest = divmod(whole, 60)
    if hours < 24:
        return str(_("%(h)d h %(m)d min", h=hours, m=rest) if rest else _("%(h)d h", h=hours))
    days, hours = divmod(hours, 24)
    return str(_("%(d)d d %(h)d h", d=days, h=hours) if hours else _("%(d)d d", d=days))


def ago(moment: datetime | None, now: datetime) -> str:
    """How long ago, the page's language: "刚刚", "3分钟前", "2小时前" (staff.js keeps it fresh,
    with the same units and rounding)."""
    if moment is None:
        return ""
    elapsed = now - moment
    if elapsed < timedelta(minutes=1):
        return str(_("just now"))
    return format_timedelta(-elapsed, threshold=1, add_direction=True,
                            locale=get_locale() or "zh_CN")


def duration_formats() -> dict[str, str]:
    """The translated patterns of `duration` and of the time limits, for staff.js's clock."""
    return {
        "m": _("%(m)d min"), "hm": _("%(h)d h %(m)d min"), "h": _("%(h)d h"),
        "dh": _("%(d)d d %(h)d h"), "d": _("%(d)d d"),
        "left": _("%(span)s left"), "overdue": _("overdue %(span)s"), "just_now": _("just now"),
    }


def percent(share: float | None) -> str:
    """A share of 0..1 as a whole percentage ("–" when nothing counts yet)."""
    return "–" if share is None else f"{share * 100:.0f}%"


def register_filters(app: Flask) -> None:
    app.jinja_env.filters.update(unit_time=unit_time, unit_time_iso=unit_time_iso, number=number,
                                 duration=duration, percent=percent, ago=ago)

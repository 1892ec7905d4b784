"""The bureau blueprint, its response headers and template filters."""

from __future__ import annotations

from flask import Blueprint
from flask.wrappers import Response
from flask_babel import gettext as _

bp = Blueprint("bureau", __name__, url_prefix="/bureau")


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.app_template_filter("duration")
def duration(minutes: float | None) -> str:
    """Minutes as a short human duration (12 min, 3.5 h, 2.1 days)."""
    if minutes is None:
        return "–"
    if minutes < 90:
        return str(_("%(n)d min", n=round(minutes)))
    if minutes < 48 * 60:
        return str(_("%(n).1f h", n=minutes / 60))
    return str(_("%(n).1f days", n=minutes / 1440))


@bp.app_template_filter("percent")
def percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.0f}%"

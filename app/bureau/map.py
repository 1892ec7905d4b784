"""The map of spots and parks (/bureau/map; the director's /admin/map renders it too)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import get_locale

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_required
from app.bureau.views import requested_period, today
from app.models import Park
from app.security import map_content_security_policy
from app.services.bureau.analytics import last_complete_month
from app.services.bureau.spot_map import MEASURES, legend, map_crs, map_data, map_spots


def render_map(parks: Sequence[Park], *, audience: str, status: int = 200,
               **context: Any) -> ResponseReturnValue:
    """The map page of `parks` for the month asked (the last complete one by default)."""
    start, end, month = requested_period()
    measure = request.args.get("measure", "reports")
    if measure not in MEASURES:
        measure = "reports"
    spots = map_spots(parks, start, end)
    locale = str(get_locale() or "zh")
    body = render_template(
        "bureau/map.html", audience=audience, parks=parks, spots=spots, month=month,
        measure=measure, measures=legend(), crs=map_crs(),
        data=map_data(parks, spots, locale),
        this_month=today().strftime("%Y-%m"),
        last_month=last_complete_month(today()).strftime("%Y-%m"), **context)
    headers = {"Content-Security-Policy":
               map_content_security_policy(current_app.config["MAP_TILE_URL"])}
    return body, status, headers


@bp.get("/map")
@bureau_required
def spot_map(scope: Scope) -> ResponseReturnValue:
    return render_map(scope.parks, audience="bureau")

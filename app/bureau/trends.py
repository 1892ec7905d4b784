"""Trends: cases per month and week by category, hot spots, the hour-of-week heat map."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_required
from app.bureau.views import today
from app.services.bureau.analytics import (
    category_codes,
    hot_spots,
    hour_of_week,
    monthly_trend,
    next_month,
    weekly_trend,
)
from app.services.bureau.charts import Series, bars, heat

WEEKS = 12


def _chart(labels: list[str], series: dict[str, list[int]], names: dict[str, str],
           title: str, x_label: str) -> dict[str, Any]:
    ordered = sorted(series, key=lambda code: -sum(series[code]))
    return bars(labels, [Series(names.get(c, c), series[c]) for c in ordered], title=title,
                x_label=x_label, y_label=_("Cases"), stacked=True)


@bp.get("/trends")
@bureau_required
def trends(scope: Scope) -> ResponseReturnValue:
    park_id = request.args.get("park", type=int)
    parks = [scope.park(park_id)] if park_id is not None else scope.parks
    park_ids = [park.id for park in parks]
    names = {code: zh for code, zh, _en in category_codes().values()}
    end = next_month(today().replace(day=1))
    start = end
    for _step in range(12):
        start = (start - timedelta(days=1)).replace(day=1)
    months, by_month = monthly_trend(park_ids, start, end)
    week_end = today() + timedelta(days=1)
    weeks, by_week = weekly_trend(park_ids, week_end - timedelta(weeks=WEEKS), week_end)
    weekdays = [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")]
    grid = hour_of_week(park_ids, start, end)
    return render_template(
        "bureau/trends.html", scope=scope, parks=parks, park_id=park_id,
        monthly=_chart([m.strftime("%Y-%m") for m in months], by_month, names,
                       _("Cases per month"), _("Month")),
        weekly=_chart([w.strftime("%m-%d") for w in weeks], by_week, names,
                      _("Cases per week"), _("Week (from Monday)")),
        heat=heat(grid, weekdays, title=_("Cases by weekday and hour"),
                  x_label=_("Hour of day"), y_label=_("Weekday")),
        spots=hot_spots(park_ids, start, end, limit=15), names=names)

"""The monthly PDF report, per park or for every park in scope (WeasyPrint, in Chinese)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from app.models import Park
from app.services.bureau.adoption import MATCHING_REPORTS, category_codes, report_sections
from app.services.bureau.analytics import (
    compare_parks,
    hot_spots,
    hour_of_week,
    monthly_trend,
    next_month,
)
from app.services.bureau.charts import Series, bar_chart, heat_map
from app.services.bureau.rollups import REPORT_TZ
from app.services.bureau.topics import MIN_CASES, month_topics
from app.services.bureau.warnings import names_for_warnings, recent_warnings
from app.services.cases.workflow import INTAKE_CHANNELS
from app.services.spots.posters import _import_weasyprint, check_cjk_font

log = logging.getLogger(__name__)

REPORT_PARKS = 60  # rows of the league table printed; the XLSX export has every park
REPORT_TOPICS = 5


def _refuse_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError(f"the report loads no external resources ({url})")


def report_context(parks: Sequence[Park], month: date, title: str,
                   min_cases: int) -> dict[str, Any]:
    """Everything the report shows, with its charts drawn as SVG."""
    end = next_month(month)
    park_ids = [park.id for park in parks]
    comparison = compare_parks(parks, month, end, min_cases=min_cases)
    year_start = month
    for _step in range(11):
        year_start = (year_start - timedelta(days=1)).replace(day=1)
    months, trend = monthly_trend(park_ids, year_start, end)
    totals = [sum(values[i] for values in trend.values()) for i in range(len(months))]
    names = {code: zh for code, zh, _en in comparison.categories}
    by_category: dict[str, int] = {}
    for row in comparison.rows:
        for code, count in row.by_category.items():
            by_category[code] = by_category.get(code, 0) + count
    ordered = sorted(by_category, key=lambda code: -by_category[code])
    weekdays = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"]
    low = datetime(month.year, month.month, 1, tzinfo=REPORT_TZ)
    high = datetime(end.year, end.month, 1, tzinfo=REPORT_TZ)
    warnings = [w for w in recent_warnings(park_ids, low, limit=200) if w.created_at < high]
    return {
        "title": title,
        "month": month,
        "comparison": comparison,
        "rows": comparison.rows[:REPORT_PARKS],
        "more_parks": max(0, len(comparison.rows) - REPORT_PARKS),
        "trend_chart": bar_chart([m.strftime("%y-%m") for m in months],
                                 [Series(_("Cases"), totals)], title=_("Cases per month"),
                                 x_label=_("Month"), y_label=_("Cases")),
        "category_chart": bar_chart([names.get(code, code) for code in ordered],
                                    [Series(_("Cases"), [by_category[c] for c in ordered])],
                                    title=_("Cases by category"), x_label=_("Category"),
                                    y_label=_("Cases")),
        "heat_map": heat_map(hour_of_week(park_ids, month, end), weekdays,
                             title=_("Cases by weekday and hour"), x_label=_("Hour of day")),
        "hot_spots": hot_spots(park_ids, month, end, limit=10),
        "topics": month_topics(parks, month, max_topics=REPORT_TOPICS),
        "topics_min": MIN_CASES,
        "adopted": report_sections(parks, month, datetime.now(REPORT_TZ).date()),
        "matching_reports": MATCHING_REPORTS,
        "category_names": {code: zh for code, zh, _en in category_codes()},
        "warnings": warnings,
        "names": names_for_warnings(warnings),
        "generated": datetime.now(REPORT_TZ),
        "intake_channels": INTAKE_CHANNELS,
    }


def render_report(parks: Sequence[Park], month: date, scope_name: str,
                  min_cases: int) -> bytes:
    """The report as PDF bytes, always in Chinese."""
    weasyprint = _import_weasyprint()
    check_cjk_font()
    with force_locale("zh_CN"):
        title = _("%(name)s · Park Mailbox monthly report", name=scope_name or _("All parks"))
        context = report_context(parks, month, title, min_cases)
        html = current_app.jinja_env.get_template("reports/monthly.html").render(
            **context, current_locale="zh_CN")
    pdf: bytes = weasyprint.HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()
    log.info("monthly report %s for %d parks: %d bytes", month, len(parks), len(pdf))
    return pdf

"""Exports: cases as CSV and XLSX (no contacts), the monthly PDF report."""

from __future__ import annotations

from itertools import chain

from flask import Response, request
from flask.typing import ResponseReturnValue

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_required
from app.bureau.views import requested_min_cases, requested_period
from app.database import write_transaction
from app.models import Park
from app.services.accounts.audit import record_audit
from app.services.bureau.analytics import Comparison, compare_parks
from app.services.bureau.exports import XLSX_TYPE, export_csv, export_summary_csv, export_xlsx
from app.services.bureau.report import render_report


def _chosen_parks(scope: Scope) -> tuple[list[Park], str]:
    """?park=<id> narrows to one park of the scope (another is 404); else the whole scope."""
    park_id = request.args.get("park", type=int)
    if park_id is not None:
        park = scope.park(park_id)
        return [park], park.name_zh
    if scope.is_bureau or not scope.parks:
        return scope.parks, ""  # the report says "all parks" in its own language
    return scope.parks, scope.parks[0].unit.name_zh


def _audit(scope: Scope, action: str, parks: list[Park], period: str) -> None:
    with write_transaction():
        record_audit(action, user_id=scope.user.id, unit_id=None, target_type="parks",
                     target_id=parks[0].id if len(parks) == 1 else None,
                     after={"parks": len(parks), "period": period})


def _comparison(scope: Scope) -> Comparison:
    """The league table the exports carry: the same as the page's for this period, over
    every park in scope (one park's rank is its rank among them)."""
    start, end, _month = requested_period()
    return compare_parks(scope.parks, start, end, min_cases=requested_min_cases())


def _filename(kind: str, start: str, parks: list[Park], extension: str) -> str:
    which = f"park{parks[0].id}" if len(parks) == 1 else "all"
    return f"parkmailbox-{kind}-{which}-{start}.{extension}"


@bp.get("/export.csv")
@bureau_required
def export_cases_csv(scope: Scope) -> ResponseReturnValue:
    start, end, _month = requested_period()
    parks, _title = _chosen_parks(scope)
    _audit(scope, "cases.export_csv", parks, f"{start}..{end}")
    # the BOM lets Excel read the Chinese; about 150 bytes a case, built in memory
    body = "".join(chain(["\ufeff"], export_csv(parks, start, end))).encode()
    name = _filename("cases", start.isoformat(), parks, "csv")
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/export.xlsx")
@bureau_required
def export_cases_xlsx(scope: Scope) -> ResponseReturnValue:
    start, end, _month = requested_period()
    parks, _title = _chosen_parks(scope)
    _audit(scope, "cases.export_xlsx", parks, f"{start}..{end}")
    name = _filename("cases", start.isoformat(), parks, "xlsx")
    return Response(export_xlsx(parks, start, end, _comparison(scope)), mimetype=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/parks.csv")
@bureau_required
def export_parks_csv(scope: Scope) -> ResponseReturnValue:
    """The league table (rank, score, the three rates per park) as CSV."""
    comparison = _comparison(scope)
    _audit(scope, "parks.export_csv", scope.parks, f"{comparison.start}..{comparison.end}")
    body = ("\ufeff" + export_summary_csv(comparison)).encode()
    name = _filename("parks", comparison.start.isoformat(), scope.parks, "csv")
    return Response(body, mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/report.pdf")
@bureau_required
def monthly_report(scope: Scope) -> ResponseReturnValue:
    start, _end, month = requested_period()
    start = start.replace(day=1)
    parks, title = _chosen_parks(scope)
    pdf = render_report(parks, start, title, requested_min_cases())
    name = _filename("report", start.strftime("%Y-%m"), parks, "pdf")
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})

"""12345 hotline tickets: upload, and each park's tickets before and after its mailbox."""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_required
from app.bureau.uploads import import_upload
from app.services.bureau.charts import Series, bars
from app.services.bureau.csv_import import RowError
from app.services.bureau.hotline import (
    IN_TIME_DEFINITION,
    before_after,
    import_hotline_tickets,
)


def _page(scope: Scope, errors: list[RowError], status: int = 200) -> ResponseReturnValue:
    comparisons = before_after(scope.parks)
    charts = {}
    for item in comparisons:
        if item.started_on is None or not (any(item.tickets) or any(item.cases)):
            continue
        labels = [month.strftime("%Y-%m") for month in item.months]
        marker = next((i for i, m in enumerate(item.months)
                       if m == item.started_on.replace(day=1)), None)
        charts[item.park.id] = bars(
            labels, [Series(_("12345 hotline tickets"), item.tickets),
                     Series(_("Mailbox cases"), item.cases)],
            title=_("12345 tickets and mailbox cases per month"),
            x_label=_("Month"), y_label=_("Tickets and cases"), marker=marker,
            marker_label=_("mailbox started"))
    may_import = scope.is_bureau_admin or not scope.is_bureau
    return render_template("bureau/hotline.html", scope=scope, comparisons=comparisons,
                           charts=charts, errors=errors, may_import=may_import,
                           in_time_definition=IN_TIME_DEFINITION), status


@bp.get("/hotline")
@bureau_required
def hotline(scope: Scope) -> ResponseReturnValue:
    return _page(scope, [])


@bp.post("/hotline")
@bureau_required
def hotline_import(scope: Scope) -> ResponseReturnValue:
    # bureau viewers only read; directors import for their own parks
    if scope.is_bureau and not scope.is_bureau_admin:
        abort(403)
    return import_upload(
        lambda text: import_hotline_tickets(text, scope.parks, user_id=scope.user.id),
        lambda errors, status: _page(scope, errors, status),
        lambda count: _("%(n)d hotline tickets imported.", n=count), "bureau.hotline")

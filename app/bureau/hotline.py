"""12345 hotline tickets: upload, and each park's tickets before and after its mailbox."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_required
from app.services import DomainError
from app.services.charts import Series, bar_chart
from app.services.hotline import (
    HotlineImportError,
    RowError,
    before_after,
    decode_upload,
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
        charts[item.park.id] = {
            "svg": bar_chart(labels, [Series(_("12345 hotline tickets"), item.tickets),
                                      Series(_("Mailbox cases"), item.cases)],
                             marker=marker, marker_label=_("mailbox started")),
            "data": {"type": "bars", "labels": labels, "marker": marker,
                     "marker_label": _("mailbox started"),
                     "series": [{"name": _("12345 hotline tickets"), "values": item.tickets},
                                {"name": _("Mailbox cases"), "values": item.cases}]},
        }
    may_import = scope.is_bureau_admin or not scope.is_bureau
    return render_template("bureau/hotline.html", scope=scope, comparisons=comparisons,
                           charts=charts, errors=errors, may_import=may_import), status


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
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a CSV file to import."), "error")
        return _page(scope, [], 400)
    try:
        count = import_hotline_tickets(decode_upload(upload.read()), scope.parks,
                                       user_id=scope.user.id)
    except HotlineImportError as error:
        flash(str(error), "error")
        return _page(scope, error.errors, 400)
    except DomainError as error:
        flash(str(error), "error")
        return _page(scope, [], 400)
    flash(_("%(n)d hotline tickets imported.", n=count), "success")
    return redirect(url_for("bureau.hotline"), code=303)

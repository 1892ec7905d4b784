"""Daily visits per park: what is known, and the CSV upload (bureau administrators)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_admin_required
from app.bureau.uploads import import_upload
from app.services.bureau.csv_import import RowError
from app.services.bureau.visits import import_park_visits, visits_known


def _page(scope: Scope, errors: list[RowError], status: int = 200) -> ResponseReturnValue:
    return render_template("bureau/visits.html", scope=scope, known=visits_known(scope.parks),
                           errors=errors), status


@bp.get("/visits")
@bureau_admin_required
def visits(scope: Scope) -> ResponseReturnValue:
    return _page(scope, [])


@bp.post("/visits")
@bureau_admin_required
def visits_import(scope: Scope) -> ResponseReturnValue:
    return import_upload(
        lambda text: import_park_visits(text, scope.parks, user_id=scope.user.id),
        lambda errors, status: _page(scope, errors, status),
        lambda count: _("Visits of %(n)d park-days imported.", n=count), "bureau.visits")

"""Director's pages. Each area of settings lives in its own module and registers on `bp`."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue
from flask.wrappers import Response

from app.admin.decorators import director_required
from app.models import StaffUser, Unit

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.after_request
def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
@director_required
def index(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return render_template("admin/index.html", unit=unit)

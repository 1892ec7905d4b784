"""Director's pages. Each area of settings lives in its own module (see blueprint.py)."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.models import StaffUser, Unit


@bp.get("/")
@director_required
def index(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return render_template("admin/index.html", unit=unit)

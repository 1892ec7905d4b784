"""Bureau administrators onboard a new unit: its parks and its first director account."""

from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue

from app.admin.staff import show_credential
from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_admin_required
from app.bureau.forms import UnitOnboardForm
from app.services.accounts.onboarding import all_units, onboard_unit, parse_park_lines
from app.services.errors import DomainError


@bp.route("/units/new", methods=["GET", "POST"])
@bureau_admin_required
def new_unit(scope: Scope) -> ResponseReturnValue:
    form = UnitOnboardForm()
    if form.validate_on_submit():
        try:
            onboarded = onboard_unit(
                admin_id=scope.user.id, code=form.code.data or "",
                name_zh=form.name_zh.data or "", name_en=form.name_en.data or "",
                parks=parse_park_lines(form.parks.data or ""),
                director_email=form.director_email.data or "",
                director_name=form.director_name.data or "",
                credential=form.credential.data or "")
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            return show_credential(onboarded.director, created=True, nav="bureau/_nav.html",
                                   done_url=url_for("bureau.index"))
    status = 400 if form.is_submitted() else 200
    return render_template("bureau/unit_new.html", form=form, units=all_units()), status

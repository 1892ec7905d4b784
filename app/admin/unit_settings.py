"""Unit settings: working hours and days, auto-close delay, the "me too" window, danger
words and the escalation ladder."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.admin.forms import UnitSettingsForm
from app.models import StaffUser, Unit
from app.services.accounts.reach import masked_mobile, routing_gaps, unit_reach
from app.services.accounts.settings import UnitSettings, update_unit_settings
from app.services.cases.workflow import ROLE_LABELS
from app.services.errors import DomainError


@bp.route("/unit", methods=["GET", "POST"])
@director_required
def unit_settings(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    form = UnitSettingsForm(obj=unit)
    if form.validate_on_submit():
        try:
            update_unit_settings(user=user, unit_id=unit.id, settings=UnitSettings(
                work_start=form.work_start.data or "", work_end=form.work_end.data or "",
                work_days="".join(form.work_days.data or []),
                autoclose_days=form.autoclose_days.data or 0,
                me_too_window_hours=form.me_too_window_hours.data or 0,
                emergency_numbers=form.emergency_numbers.data or "",
                danger_words=form.danger_words.data or "",
                hotline_respond_hours=form.hotline_respond_hours.data or 0,
                hotline_resolve_days=form.hotline_resolve_days.data or 0,
                ladder_sms_minutes=form.ladder_sms_minutes.data or 0,
                ladder_director_sms=bool(form.ladder_director_sms.data)))
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Settings saved."), "success")
            return redirect(url_for("admin.unit_settings"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/unit.html", unit=unit, form=form, role_labels=ROLE_LABELS,
                           reach_gaps=routing_gaps(unit.id), people=unit_reach(unit.id),
                           masked_mobile=masked_mobile), status

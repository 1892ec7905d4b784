"""Outside offices (/admin/offices): where the unit's staff may transfer a case that is not
the parks' to deal with (street office, district bureau, police non-emergency, contractor)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import DataRequired, Length, Optional

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.forms import Form
from app.models import StaffUser, Unit
from app.services.cases.transfers import unit_offices
from app.services.errors import DomainError
from app.services.notify.offices import OfficeFields, add_office, remove_office


class OfficeForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = StringField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    webhook_url = StringField(_l("Webhook address (optional)"),
                              validators=[Optional(), Length(max=500)])
    webhook_secret = StringField(_l("Signing secret (optional: leave it empty to get one)"),
                                 validators=[Optional(), Length(max=200)])


def _page(unit: Unit, form: OfficeForm, status: int = 200) -> ResponseReturnValue:
    return render_template("admin/offices.html", unit=unit, form=form,
                           offices=unit_offices(unit.id)), status


@bp.get("/offices")
@director_required
def offices(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return _page(unit, OfficeForm(formdata=None))


@bp.post("/offices")
@director_required
def add_outside_office(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    form = OfficeForm()
    if not form.validate_on_submit():
        return _page(unit, form, status=400)
    try:
        add_office(user=user, unit_id=unit.id, fields=OfficeFields(
            name=form.name.data or "", email=form.email.data or "",
            webhook_url=form.webhook_url.data or "",
            webhook_secret=form.webhook_secret.data or ""))
    except DomainError as error:
        form.name.errors = [*form.name.errors, str(error)]
        return _page(unit, form, status=400)
    flash(_("Office added: staff can transfer cases to it now."), "success")
    return redirect(url_for("admin.offices"), code=303)


@bp.post("/offices/<int:office_id>/remove")
@director_required
def remove_outside_office(user: StaffUser, unit: Unit, office_id: int) -> ResponseReturnValue:
    if not Form().validate_on_submit():
        abort(400)
    remove_office(user=user, unit_id=unit.id, office_id=office_id)
    flash(_("Office removed."), "success")
    return redirect(url_for("admin.offices"), code=303)

"""The bureau's seasonal zones: every park or chosen parks, listed with a way to end one."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.admin.forms import ZoneForm
from app.bureau.blueprint import bp
from app.bureau.decorators import Scope, bureau_admin_required, bureau_required
from app.bureau.views import today
from app.models.types import utcnow
from app.services.cases.zones import bureau_zones, end_zone, open_zone
from app.services.errors import DomainError


def _zone_form(scope: Scope) -> ZoneForm:
    form = ZoneForm()
    locale = str(get_locale() or "")
    form.parks.choices = [SelectChoice(park.park_code, park.name(locale))
                          for park in scope.parks]
    return form


def _page(scope: Scope, form: ZoneForm, status: int = 200) -> ResponseReturnValue:
    return render_template("bureau/zones.html", scope=scope, form=form, zones=bureau_zones(),
                           today=today()), status


@bp.get("/zones")
@bureau_required
def zones(scope: Scope) -> ResponseReturnValue:
    if not scope.is_bureau:
        abort(403)  # a director's zones are at /admin/zones
    return _page(scope, _zone_form(scope))


@bp.post("/zones")
@bureau_admin_required
def open_bureau_zone(scope: Scope) -> ResponseReturnValue:
    """Open a zone on every park (none ticked) or on the parks ticked."""
    form = _zone_form(scope)
    if form.validate_on_submit():
        try:
            open_zone(user=scope.user, unit_id=None, fields=form.zone_fields(), today=today(),
                      now=utcnow())
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Zone opened: it heads the forms it covers during its dates."), "success")
            return redirect(url_for("bureau.zones"), code=303)
    return _page(scope, form, 400)


@bp.post("/zones/<int:zone_id>/end")
@bureau_admin_required
def end_bureau_zone(scope: Scope, zone_id: int) -> ResponseReturnValue:
    end_zone(user=scope.user, unit_id=None, zone_id=zone_id, now=utcnow())
    flash(_("Zone ended: the forms no longer show it."), "success")
    return redirect(url_for("bureau.zones"), code=303)

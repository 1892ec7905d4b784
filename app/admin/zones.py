"""Seasonal zones of the director's unit: open one, end it early, and choose who answers
the cases of any zone that reaches the unit's parks (the bureau's too)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from wtforms.fields.choices import SelectChoice

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.admin.forms import ZoneForm, ZoneRoleForm, role_choices
from app.models import StaffUser, Unit
from app.models.types import utcnow
from app.services.cases.operations import require_acting
from app.services.cases.zones import (
    ZONE_ROLES,
    end_zone,
    local_today,
    open_zone,
    set_zone_role,
    unit_zones,
)
from app.services.errors import DomainError


def _zone_form(unit: Unit) -> ZoneForm:
    form = ZoneForm()
    locale = str(get_locale() or "")
    form.parks.choices = [SelectChoice(park.park_code, park.name(locale)) for park in unit.parks]
    return form


def _page(unit: Unit, form: ZoneForm, status: int = 200) -> ResponseReturnValue:
    role_form = ZoneRoleForm(formdata=None)
    role_form.role.choices = role_choices(ZONE_ROLES)
    return render_template("admin/zones.html", unit=unit, form=form, role_form=role_form,
                           zones=unit_zones(unit.id),
                           today=local_today(unit.timezone, utcnow())), status


@bp.get("/zones")
@director_required
def zones(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return _page(unit, _zone_form(unit))


@bp.post("/zones")
@director_required
def open_unit_zone(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    """Open a zone on the unit's parks (all of them, or those ticked)."""
    require_acting(user, unit.id)
    form = _zone_form(unit)
    if form.validate_on_submit():
        now = utcnow()
        try:
            open_zone(user=user, unit_id=unit.id, fields=form.zone_fields(),
                      today=local_today(unit.timezone, now), now=now)
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            flash(_("Zone opened: it heads the forms it covers during its dates."), "success")
            return redirect(url_for("admin.zones"), code=303)
    return _page(unit, form, 400)


@bp.post("/zones/<int:zone_id>/end")
@director_required
def end_unit_zone(user: StaffUser, unit: Unit, zone_id: int) -> ResponseReturnValue:
    end_zone(user=user, unit_id=unit.id, zone_id=zone_id, now=utcnow())
    flash(_("Zone ended: the forms no longer show it."), "success")
    return redirect(url_for("admin.zones"), code=303)


@bp.post("/zones/<int:zone_id>/role")
@director_required
def zone_role(user: StaffUser, unit: Unit, zone_id: int) -> ResponseReturnValue:
    """Who answers the zone's cases in this unit."""
    require_acting(user, unit.id)
    form = ZoneRoleForm()
    form.role.choices = role_choices(ZONE_ROLES)
    if not form.validate_on_submit():
        flash(_("Please choose a role."), "error")
        return _page(unit, _zone_form(unit), 400)
    set_zone_role(user=user, unit_id=unit.id, zone_id=zone_id, role=form.role.data or "")
    flash(_("Saved: the zone's cases go to this role."), "success")
    return redirect(url_for("admin.zones"), code=303)

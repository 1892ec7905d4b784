"""The director's map of their unit (/admin/map): the bureau's map, and placing a spot by
tapping it."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import FloatField, SelectField
from wtforms.validators import InputRequired, NumberRange

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.bureau.map import render_map
from app.forms import Form
from app.models import StaffUser, Unit
from app.services.bureau.spot_map import from_map
from app.services.errors import DomainError
from app.services.spots.spots import place_spot, unit_spots


class PlaceSpotForm(Form):
    """A spot and the point tapped on the map (in the map's datum: GCJ-02 on Chinese tiles)."""

    spot_id = SelectField(_l("Spot"), coerce=int, choices=[], validate_choice=True)
    latitude = FloatField(_l("Latitude"), validators=[
        InputRequired(message=_l("Tap the map where the spot is.")), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[
        InputRequired(message=_l("Tap the map where the spot is.")), NumberRange(-180, 180)])


def _place_form(unit: Unit) -> PlaceSpotForm:
    form = PlaceSpotForm()
    form.spot_id.choices = [(spot.id, f"{spot.park.name_zh} · {spot.name_zh}")
                            for spot in unit_spots(unit, active_only=True)]
    return form


@bp.get("/map")
@director_required
def spot_map(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return render_map(list(unit.parks), audience="admin", place_form=_place_form(unit))


@bp.post("/map/place")
@director_required
def place_on_map(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    """Put the chosen spot where the director tapped (stored as WGS-84)."""
    form = _place_form(unit)
    if form.validate_on_submit():
        latitude, longitude = from_map(form.latitude.data or 0.0, form.longitude.data or 0.0)
        try:
            spot = place_spot(unit, form.spot_id.data, latitude, longitude, user_id=user.id)
        except DomainError as error:
            flash(str(error), "error")
        else:
            flash(_("%(spot)s placed on the map.", spot=spot.name_zh), "success")
            return redirect(url_for("admin.spot_map", month=request.args.get("month"),
                                    measure=request.args.get("measure")), code=303)
    else:
        problems = [str(e) for errors in form.errors.values() for e in errors]
        flash(" ".join(problems) or _("Please check the form."), "error")
    return render_map(list(unit.parks), audience="admin", status=400, place_form=form)

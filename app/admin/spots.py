"""Director's pages for spots: list, create, edit, deactivate, replace codes, QR and posters."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import FloatField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.forms import Form
from app.models import Spot, StaffUser, Unit
from app.services.errors import DomainError
from app.services.platform.urls import base_url
from app.services.spots.posters import (
    CJK_PACKAGE,
    LAYOUTS,
    MissingCjkFont,
    PosterError,
    render_posters,
)
from app.services.spots.qr import (
    LocalBaseUrl,
    check_base_url,
    is_local_url,
    render_qr_png,
    render_qr_svg,
    short_url,
    spot_url,
)
from app.services.spots.spots import (
    SpotFields,
    create_spot,
    find_unit_park,
    find_unit_spot,
    replace_spot_code,
    retired_codes,
    set_spot_active,
    spot_activity,
    total_scans,
    unit_spots,
    update_spot,
)

ACTIVITY_DAYS = 14

log = logging.getLogger(__name__)


class SpotForm(Form):
    name_zh = StringField(_l("Name (Chinese)"), validators=[
        DataRequired(message=_l("Please give the spot a Chinese name.")), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=120)])
    description = TextAreaField(_l("Description (for staff)"),
                                validators=[Optional(), Length(max=2000)])
    latitude = FloatField(_l("Latitude"), validators=[Optional(), NumberRange(-90, 90)])
    longitude = FloatField(_l("Longitude"), validators=[Optional(), NumberRange(-180, 180)])

    def fields(self) -> SpotFields:
        return SpotFields(name_zh=self.name_zh.data or "", name_en=self.name_en.data or "",
                           description=self.description.data or "",
                           latitude=self.latitude.data, longitude=self.longitude.data)


class NewSpotForm(SpotForm):
    park_id = SelectField(_l("Park"), coerce=int, choices=[], validate_choice=True)


class ConfirmForm(Form):
    """A POST button with nothing but its CSRF token."""


def _spot_or_404(unit: Unit, spot_id: int) -> Spot:
    return find_unit_spot(unit, spot_id)


def _allow_local() -> bool:
    return request.args.get("allow_local") in {"1", "true", "yes"}


def _local_refusal() -> str:
    return str(_("This server's public address is %(url)s: codes printed with it only work on "
                 "this computer. Ask the administrator to set BASE_URL to the park's public "
                 "address.", url=base_url()))


def _refused(message: str, status: int = 400) -> ResponseReturnValue:
    """A download that must not be printed as asked: say why, offer a test print."""
    arguments: dict[str, Any] = {**(request.view_args or {}), **request.args.to_dict(),
                                 "allow_local": "1"}
    test_print = url_for(request.endpoint or "admin.spots", **arguments)
    return render_template("admin/spots_refused.html", message=message,
                           test_print=test_print if is_local_url(base_url()) else None), status


@bp.get("/points")
@director_required
def spots(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    spots = unit_spots(unit)
    activity = spot_activity(unit, spots, days=ACTIVITY_DAYS)
    by_park = {park.id: [p for p in spots if p.park_id == park.id] for park in unit.parks}
    return render_template("admin/spots.html", unit=unit, by_park=by_park, activity=activity,
                           days=ACTIVITY_DAYS, layouts=LAYOUTS,
                           local_base_url=is_local_url(base_url()))


@bp.route("/points/new", methods=["GET", "POST"])
@director_required
def spot_new(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    form = NewSpotForm()
    form.park_id.choices = [(park.id, park.name_zh) for park in unit.parks]
    if request.method == "GET" and request.args.get("park_id", "").isdigit():
        form.park_id.data = int(request.args["park_id"])
    if form.validate_on_submit():
        try:
            spot = create_spot(unit, form.park_id.data, form.fields(), user_id=user.id)
        except DomainError as error:
            form.name_zh.errors = [*form.name_zh.errors, str(error)]
        else:
            flash(_("Spot created with code %(code)s.", code=spot.code), "success")
            return redirect(url_for("admin.spot_detail", spot_id=spot.id), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/spots_form.html", form=form, spot=None), status


@bp.route("/points/<int:spot_id>", methods=["GET", "POST"])
@director_required
def spot_detail(user: StaffUser, unit: Unit, spot_id: int) -> ResponseReturnValue:
    spot = _spot_or_404(unit, spot_id)
    form = SpotForm(obj=spot)
    if form.validate_on_submit():
        try:
            update_spot(unit, spot.id, form.fields(), user_id=user.id)
        except DomainError as error:
            form.name_zh.errors = [*form.name_zh.errors, str(error)]
        else:
            flash(_("Spot saved."), "success")
            return redirect(url_for("admin.spot_detail", spot_id=spot.id), code=303)
    status = 400 if form.is_submitted() else 200
    activity = spot_activity(unit, [spot], days=ACTIVITY_DAYS)[spot.id]
    url = spot_url(spot)
    return render_template(
        "admin/spots_detail.html", spot=spot, form=form, confirm=ConfirmForm(), url=url,
        short_url=short_url(url),
        qr_svg=Markup(render_qr_svg(url)),  # noqa: S704 - our own SVG, no user markup
        activity=activity, total_scans=total_scans(spot.id), retired=retired_codes(spot),
        layouts=LAYOUTS, local_base_url=is_local_url(base_url()),
        replaced=request.args.get("replaced"),
    ), status


@bp.post("/points/<int:spot_id>/deactivate")
@director_required
def spot_deactivate(user: StaffUser, unit: Unit, spot_id: int) -> ResponseReturnValue:
    return _set_active(user, unit, spot_id, active=False)


@bp.post("/points/<int:spot_id>/activate")
@director_required
def spot_activate(user: StaffUser, unit: Unit, spot_id: int) -> ResponseReturnValue:
    return _set_active(user, unit, spot_id, active=True)


def _set_active(user: StaffUser, unit: Unit, spot_id: int,
                *, active: bool) -> ResponseReturnValue:
    spot = _spot_or_404(unit, spot_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    set_spot_active(unit, spot.id, active, user_id=user.id)
    flash(_("Spot is active again: its code works.") if active else
          _("Spot deactivated: its code now tells visitors it is no longer in use."), "success")
    return redirect(url_for("admin.spot_detail", spot_id=spot_id), code=303)


@bp.post("/points/<int:spot_id>/replace-code")
@director_required
def spot_replace_code(user: StaffUser, unit: Unit, spot_id: int) -> ResponseReturnValue:
    spot = _spot_or_404(unit, spot_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    spot, old_code = replace_spot_code(unit, spot.id, user_id=user.id)
    flash(_("New code %(new)s works now. Code %(old)s is retired: reprint this spot's "
            "posters, table signs and stickers, and replace every copy that shows the old code.",
            new=spot.code, old=old_code), "success")
    return redirect(url_for("admin.spot_detail", spot_id=spot.id, replaced=old_code), code=303)


@bp.get("/points/<int:spot_id>/qr.svg")
@director_required
def spot_qr_svg(user: StaffUser, unit: Unit, spot_id: int) -> ResponseReturnValue:
    spot = _spot_or_404(unit, spot_id)
    try:
        check_base_url(base_url(), allow_local=_allow_local())
    except LocalBaseUrl:
        return _refused(_local_refusal())
    svg = render_qr_svg(spot_url(spot))
    return _download(svg.encode(), "image/svg+xml", f"qr-{spot.code}.svg")


@bp.get("/points/<int:spot_id>/qr.png")
@director_required
def spot_qr_png(user: StaffUser, unit: Unit, spot_id: int) -> ResponseReturnValue:
    spot = _spot_or_404(unit, spot_id)
    try:
        check_base_url(base_url(), allow_local=_allow_local())
    except LocalBaseUrl:
        return _refused(_local_refusal())
    size = request.args.get("size", type=int) or 600
    png = render_qr_png(spot_url(spot), size)
    return _download(png, "image/png", f"qr-{spot.code}.png")


@bp.get("/points/<int:spot_id>/poster.pdf")
@director_required
def spot_poster(user: StaffUser, unit: Unit, spot_id: int) -> ResponseReturnValue:
    spot = _spot_or_404(unit, spot_id)
    layout = request.args.get("layout", "a4")
    return _posters([spot], layout, f"{spot.park.name_zh} · {spot.name_zh}",
                    f"poster-{spot.code}-{layout}.pdf")


@bp.get("/parks/<int:park_id>/posters.pdf")
@director_required
def park_posters(user: StaffUser, unit: Unit, park_id: int) -> ResponseReturnValue:
    park = find_unit_park(unit, park_id)
    layout = request.args.get("layout", "a4")
    spots = unit_spots(unit, park_id=park.id, active_only=True)
    return _posters(spots, layout, park.name_zh, f"posters-park{park.id}-{layout}.pdf")


def _posters(spots: list[Spot], layout: str, title: str, filename: str) -> ResponseReturnValue:
    if layout not in LAYOUTS:
        abort(400)
    try:
        pdf = render_posters(spots, layout, base_url=base_url(), title=title,
                             allow_local=_allow_local())
    except MissingCjkFont:
        # the server lacks a font: not the request's fault
        return _refused(_("No Chinese font is installed on the server, so the posters would "
                          "print without their Chinese text. Ask the administrator to install "
                          "the Debian package %(package)s.", package=CJK_PACKAGE), status=503)
    except PosterError as error:
        if isinstance(error.__cause__, LocalBaseUrl):
            return _refused(_local_refusal())
        if not spots:
            return _refused(_("This park has no spots in use: there is nothing to print."))
        log.error("posters refused: %s", error)
        return _refused(_("The posters could not be made."))
    return _download(pdf, "application/pdf", filename)


def _download(body: bytes, mimetype: str, filename: str, **headers: Any) -> Response:
    response = Response(body, mimetype=mimetype, headers=headers)
    response.headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return response

"""Visitor routes: the public contract printed on posters (/q/<code>; /t/<token> in tracking)."""

from __future__ import annotations

import logging
import math
import time
from datetime import timedelta

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_limiter import RequestLimit
from wtforms.fields.choices import SelectChoice

from app.database import DATABASE_BUSY, RETRY_AFTER_SECONDS
from app.extensions import db, limiter
from app.i18n import current_language
from app.models import Case, Photo
from app.models.types import utcnow
from app.security import client_key, send_photo, send_voice, uploaded_files
from app.services.cases.abuse import SubmissionRefused, bot_trap_reason, form_started_token
from app.services.cases.photos import PhotoError, photo_path, prepare_photos
from app.services.cases.public import is_public_photo, own_photo, own_voice_notes
from app.services.cases.submission import find_tracking, submit_case
from app.services.cases.voice import PreparedVoice, VoiceError, prepare_voice, voice_path
from app.services.cases.zones import CHOICE_PREFIX
from app.services.errors import DomainError, NotFoundError
from app.services.spots.cache import FormSpot, form_spot
from app.services.spots.spots import is_retired_code, record_scan
from app.visitor.blueprint import bp
from app.visitor.form_page import blank_form_page, may_keep
from app.visitor.forms import ReportForm
from app.visitor.limits import address_key, device_key, give_device_cookie

log = logging.getLogger(__name__)


def _spot_or_404(code: str) -> FormSpot:
    # the spot, its park, unit and categories, from the spot cache (services.spots.cache)
    spot = form_spot(code)
    if spot is None:
        if is_retired_code(code):
            abort(make_response(render_template("visitor/code_replaced.html"), 410))
        abort(404)
    if not spot.active:
        abort(410)
    return spot


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("visitor/index.html")


def _submission_limit() -> str:
    return str(current_app.config["SUBMISSION_RATE_LIMIT"])


def _address_limit() -> str:
    return str(current_app.config["SUBMISSION_ADDRESS_LIMIT"])


def _too_many(limit: RequestLimit) -> Response:
    """A limit is reached: the form again with everything the visitor wrote (photos are
    chosen again) and when they can send it; 429 with Retry-After."""
    wait = max(1, math.ceil(limit.window.reset_time - time.time()))
    code = str((request.view_args or {}).get("code", ""))
    log.info("submission at %s refused by the rate limit %s", code[:16], limit.limit)
    spot = _spot_or_404(code)
    form = _report_form(spot)
    response = _render_form(spot, form, 429, retry_after=wait)
    response.headers["Retry-After"] = str(wait)
    return response


def _report_form(spot: FormSpot) -> ReportForm:
    form = ReportForm()
    locale = current_language()
    form.category.choices = [
        *(SelectChoice(zone.value, zone.choice(locale)) for zone in spot.open_zones(utcnow())),
        *(SelectChoice(c.code, c.name(locale)) for c in spot.categories)]
    return form


def _voice_note() -> PreparedVoice | None:
    """The form's voice note, re-encoded (before any database write); None without one."""
    files = uploaded_files("voice")
    return prepare_voice(files[0]) if files else None


def _chosen(value: str) -> tuple[str, str | None]:
    """(category code, zone code) of the form's choice: a category's, or a zone's."""
    if value.startswith(CHOICE_PREFIX):
        return "", value.removeprefix(CHOICE_PREFIX)
    return value, None


def _form_html(spot: FormSpot, form: ReportForm, *, busy: bool = False,
               retry_after: int | None = None) -> str:
    retry_at = None
    if retry_after is not None:
        retry_at = utcnow() + timedelta(seconds=retry_after)
    return render_template(
        "visitor/form.html", spot=spot, categories=spot.categories, form=form,
        zones=spot.open_zones(utcnow()),
        locale=current_language(), busy=busy, retry_after=retry_after, retry_at=retry_at)


def _render_form(spot: FormSpot, form: ReportForm, status: int, *, busy: bool = False,
                 retry_after: int | None = None) -> Response:
    return give_device_cookie(make_response(
        _form_html(spot, form, busy=busy, retry_after=retry_after), status))


def _blank_form(spot: FormSpot) -> Response:
    """The form as a scan opens it: the spot's kept page with this visitor's hidden values
    (app/visitor/form_page.py)."""
    def render(csrf_token: str, started: str) -> str:
        form = _report_form(spot)
        form.csrf_token.current_token = csrf_token
        form.started.data = started
        return _form_html(spot, form)

    return give_device_cookie(make_response(blank_form_page(spot, render), 200))


@bp.route("/q/<code>", methods=["GET", "POST"])
# per phone (a signed cookie), and a much higher ceiling per address (app/visitor/limits.py)
@limiter.limit(_submission_limit, methods=["POST"], key_func=device_key, on_breach=_too_many)
@limiter.limit(_address_limit, methods=["POST"], key_func=address_key, on_breach=_too_many)
def report_form(code: str) -> ResponseReturnValue:
    spot = _spot_or_404(code)
    if request.method == "GET":
        record_scan(spot.id, spot.timezone)
        if may_keep():
            return _blank_form(spot)
    form = _report_form(spot)
    locale = current_language()
    status, busy = 200, False
    if not form.is_submitted():
        form.started.data = form_started_token()
    else:
        if form.validate():
            try:
                trap = bot_trap_reason(form.website.data, form.started.data)
                if trap:
                    log.info("submission at point %s refused by bot trap: %s", spot.id, trap)
                    raise SubmissionRefused(trap)
                photos = prepare_photos(uploaded_files("photos"))
                voice = _voice_note()
                category_code, zone_code = _chosen(form.category.data or "")
                receipt = submit_case(
                    spot_id=spot.id,
                    category_code=category_code,
                    zone_code=zone_code,
                    body=form.body.data or "",
                    contact=form.contact.data,
                    rating=int(form.rating.data) if form.rating.data else None,
                    language=locale,
                    photos=photos,
                    voice=voice,
                    client_hash=client_key(),
                )
            except NotFoundError:
                abort(410)
            except SubmissionRefused:
                # looks like any accepted message: a bot learns nothing about why
                return render_template("visitor/received.html", spot=spot, locale=locale)
            except PhotoError as error:
                form.photos.errors = [*form.photos.errors, str(error)]
            except VoiceError as error:
                form.voice.errors = [*form.voice.errors, str(error)]
            except DomainError as error:
                form.body.errors = [*form.body.errors, str(error)]
            except DATABASE_BUSY as error:
                # the form comes back with what they wrote: nothing they typed is lost
                log.warning("submission at point %s not stored, database busy: %s",
                            spot.id, type(error).__name__)
                db.session.rollback()
                busy = True
            else:
                return redirect(url_for("visitor.track", token=receipt.token), code=303)
        status = 503 if busy else 400
    response = _render_form(spot, form, status, busy=busy)
    if busy:
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@bp.get("/t/<token>/photos/<int:photo_id>")
def track_photo(token: str, photo_id: int) -> ResponseReturnValue:
    tracking = find_tracking(token)
    # the visitor's own photos and the park's, never another visitor's
    photo = own_photo(tracking.case, tracking.link_id, photo_id)
    if photo is None:
        raise NotFoundError(_("No such photo."))
    return send_photo(photo_path(photo), photo.id)


@bp.get("/t/<token>/voice/<int:note_id>")
def track_voice(token: str, note_id: int) -> ResponseReturnValue:
    tracking = find_tracking(token)
    # the visitor's own voice note, never another visitor's
    note = next((n for n in own_voice_notes(tracking.case, tracking.link_id)
                 if n.id == note_id), None)
    if note is None:
        raise NotFoundError(_("No such voice note."))
    return send_voice(voice_path(note), note.id)


@bp.get("/photos/<int:photo_id>")
def public_photo(photo_id: int) -> ResponseReturnValue:
    """A photo a staff member made public (Open311's media_url); any other is not found."""
    photo = db.session.get(Photo, photo_id)
    case = db.session.get(Case, photo.case_id) if photo is not None else None
    if photo is None or case is None or not is_public_photo(case, photo):
        raise NotFoundError(_("No such photo."))
    return send_photo(photo_path(photo), photo.id)

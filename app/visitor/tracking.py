"""The visitor's tracking page /t/<token> and its actions: follow up, "fixed", "not fixed", rate."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, make_response, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional

from app.forms import Form, message_length
from app.i18n import current_language
from app.services.cases.danger import parse_emergency_numbers
from app.services.cases.public import own_voice_notes, shown_text, visible_to
from app.services.cases.submission import find_tracking, tracking_url
from app.services.cases.tracking import add_follow_up, confirm_fixed, rate_answer, report_not_fixed
from app.services.cases.workflow import STATUS_LABELS
from app.services.errors import DomainError
from app.services.spots.qr import render_qr_svg
from app.visitor.blueprint import bp


class FollowUpForm(Form):
    body = TextAreaField(
        _l("Add to your message"),
        validators=[
            DataRequired(message=_l("Please write a few words.")),
            message_length(),
        ],
    )


class NotFixedForm(Form):
    body = TextAreaField(_l("What is still wrong? (optional)"),
                         validators=[Optional(), message_length()])


class RateForm(Form):
    score = RadioField(
        _l("How well was your message answered?"),
        choices=[SelectChoice(str(n), str(n)) for n in range(1, 6)],
        validators=[DataRequired(message=_l("Please choose 1 to 5 stars."))],
        validate_choice=True,
    )


class ConfirmForm(Form):
    """The "fixed" button: nothing but its CSRF token."""


def render_tracking(token: str, status: int = 200) -> ResponseReturnValue:
    """The tracking page: status, the public thread, and what the visitor can do now."""
    tracking = find_tracking(token)
    case = tracking.case
    # the park's replies and the status, and only this visitor's own words and photos
    thread, photos = visible_to(case, tracking.link_id)
    response = make_response(render_template(
        "visitor/track.html",
        case=case,
        emergency_numbers_list=parse_emergency_numbers(case.unit.emergency_numbers),
        thread=thread,
        photos=photos,
        voice_notes=own_voice_notes(case, tracking.link_id),
        texts={message.id: shown_text(message, tracking.link_id) for message in thread},
        link_id=tracking.link_id,
        token=token,
        # the page's own link, as text and as a QR code (a visitor may screenshot it)
        track_url=tracking_url(token),
        track_qr=render_qr_svg(tracking_url(token),
                               css_class="qr track-qr"),
        status_label=STATUS_LABELS,
        locale=current_language(),
    ), status)
    # the token in the URL is the visitor's only key: never leak it onwards
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/t/<token>")
def track(token: str) -> ResponseReturnValue:
    return render_tracking(token)


def _perform(token: str, form: Form, action: Callable[[], object],
             done: str) -> ResponseReturnValue:
    if not form.validate_on_submit():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        flash(" ".join(problems) or _("Please check the form."), "error")
        return render_tracking(token, 400)
    try:
        action()
    except DomainError as error:
        flash(str(error), "error")
        return render_tracking(token, 400)
    flash(done, "success")
    return redirect(url_for("visitor.track", token=token), code=303)


@bp.post("/t/<token>/follow-up")
def follow_up(token: str) -> ResponseReturnValue:
    form = FollowUpForm()
    return _perform(token, form, lambda: add_follow_up(token=token, body=form.body.data or ""),
                    _("Added. The park staff can see it now."))


@bp.post("/t/<token>/fixed")
def fixed(token: str) -> ResponseReturnValue:
    return _perform(token, ConfirmForm(), lambda: confirm_fixed(token=token),
                    _("Thank you for confirming. The case is closed."))


@bp.post("/t/<token>/not-fixed")
def not_fixed(token: str) -> ResponseReturnValue:
    form = NotFixedForm()
    return _perform(token, form,
                    lambda: report_not_fixed(token=token, body=form.body.data or ""),
                    _("Sorry about that. The case is open again and the staff have been told."))


@bp.post("/t/<token>/rate")
def rate(token: str) -> ResponseReturnValue:
    form = RateForm()
    return _perform(token, form, lambda: rate_answer(token=token, score=int(form.score.data)),
                    _("Thank you for your rating."))


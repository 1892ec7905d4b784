"""Staff routes: login, the inbox, a case and its reply."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask.wrappers import Response
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from app.extensions import db
from app.formatting import duration_formats
from app.i18n import current_language
from app.models import Case, Category, Source, StaffUser, Status
from app.models.types import utcnow
from app.realtime import NAMESPACE
from app.realtime.events import latest_visible_event_id
from app.security import send_photo, send_voice, start_staff_session, uploaded_files
from app.services.accounts.reach import director_routing_gaps, masked_mobile
from app.services.accounts.staff import authenticate, log_out_everywhere, login_wait_seconds
from app.services.bureau.warnings import names_for_warnings, unacknowledged_warnings
from app.services.cases.deadlines import deadline_state, next_deadline
from app.services.cases.hotline import CONTACT_LABELS, RESULT_LABELS, ticket_of
from app.services.cases.inbox import (
    InboxFilter,
    count_open,
    count_unanswered,
    filter_choices,
    inbox_query,
    is_yours,
)
from app.services.cases.metoo import first_report_messages
from app.services.cases.operations import (
    acting_unit_ids,
    add_staff_photos,
    can_act,
    colleagues,
    reply_to_visitor,
)
from app.services.cases.photos import find_photo_of_case, photo_path, prepare_photos
from app.services.cases.public import mask_personal_data, public_description
from app.services.cases.reply_templates import fill_reply_template, reply_templates_for
from app.services.cases.submission import get_case_for_staff
from app.services.cases.suggest import suggest_categories
from app.services.cases.transfers import transfer_targets, unit_offices
from app.services.cases.voice import find_voice_note_of_case, voice_notes_by_message, voice_path
from app.services.cases.workflow import (
    CHANNEL_LABELS,
    INTAKE_CHANNELS,
    ROLE_LABELS,
    STATUS_LABELS,
    TRANSITIONS,
)
from app.services.demo.ritan import USERS as DEMO_USERS
from app.services.demo.ritan import demo_loaded
from app.services.errors import DomainError
from app.services.notify.channels import failing_channels
from app.services.notify.ladder import case_ladder
from app.staff.blueprint import bp
from app.staff.decorators import staff_required
from app.staff.forms import HotlineReplyForm, LoginForm, PhotoForm, ReplyForm

log = logging.getLogger(__name__)

INBOX_LIMIT = 200
# a director's inbox lists their unit's warnings of this many days not yet acknowledged
WARNING_DAYS = 7


@bp.app_context_processor
def _case_helpers() -> dict[str, Any]:
    return {"deadline_state": deadline_state, "next_deadline": next_deadline, "is_yours": is_yours,
            "role_label": ROLE_LABELS, "channel_label": CHANNEL_LABELS}


def _safe_next(target: str | None) -> str:
    """Only local paths are followed after login (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("staff.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("staff.inbox"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        email = form.email.data or ""
        wait = login_wait_seconds(email)
        if wait:
            # checked before the password, so guessing on gains nothing
            log.info("login for %s throttled after too many failures", email.strip().lower())
            flash(_("Too many failed logins for this account. Please wait a minute and try "
                    "again."), "error")
            return (render_template("staff/login.html", form=form, demo_logins=[]), 429,
                    {"Retry-After": str(wait)})
        user = authenticate(email, form.password.data or "")
        if user is not None:
            session.clear()  # a fresh session at login (no fixation)
            login_user(user)
            start_staff_session()
            if user.bureau_role and not user.unit_ids and not request.args.get("next"):
                return redirect(url_for("bureau.index"), code=303)
            return redirect(_safe_next(request.args.get("next")), code=303)
        flash(_("Wrong e-mail or password."), "error")
        status = 401
    elif form.is_submitted():
        status = 400
    demo_logins = [email for email, *_rest in DEMO_USERS] if demo_loaded() else []
    return render_template("staff/login.html", form=form, demo_logins=demo_logins), status


@bp.post("/logout")
@staff_required
def logout(user: StaffUser) -> ResponseReturnValue:
    log_out_everywhere(user.id)
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"), code=303)


def _live_context(user: StaffUser) -> dict[str, Any]:
    """What staff.js needs to go live: labels, and the event id the page is current to.

    Read before the page's data, so that an event committed in between is replayed
    (and dropped as a duplicate if it was already on the page) rather than missed.
    """
    return {
        "namespace": NAMESPACE,
        "last_event_id": latest_visible_event_id(user),
        "status_labels_json": json.dumps({s.value: str(STATUS_LABELS[s]) for s in Status},
                                         ensure_ascii=False),
        "status_label": STATUS_LABELS,
        # staff.js's clock: "3 min ago" and the time limits, counted on without a reload
        "clock_json": json.dumps({**duration_formats(), "claim": _("Claim"), "reply": _("Reply"),
                                  "resolve": _("Resolve")}, ensure_ascii=False),
    }


@bp.get("/")
@staff_required
def inbox(user: StaffUser) -> ResponseReturnValue:
    live = _live_context(user)
    selected = InboxFilter.from_args(request.args)
    now = utcnow()
    cases = db.session.scalars(inbox_query(user, selected, now).limit(INBOX_LIMIT)).all()
    parks, categories = filter_choices(user)
    warnings = unacknowledged_warnings(user, now - timedelta(days=WARNING_DAYS))
    return render_template("staff/inbox.html", cases=cases, open_count=count_open(user),
                           unanswered_count=count_unanswered(user), selected=selected,
                           parks=parks, categories=categories, now=now, user=user,
                           failing_channels=failing_channels(user),
                           reach_gaps=director_routing_gaps(user), role_labels=ROLE_LABELS,
                           warnings=warnings, names=names_for_warnings(warnings),
                           can_take_down=bool(acting_unit_ids(user)),
                           intake_channels=INTAKE_CHANNELS, **live)


def _reply_form(status: str) -> ReplyForm:
    form = ReplyForm()
    keep = SelectChoice("", _("Keep: %(status)s", status=STATUS_LABELS[Status(status)]))
    form.status.choices = [keep] + [
        SelectChoice(target.value, str(STATUS_LABELS[target]))
        for target in Status if target in TRANSITIONS[Status(status)]
    ]
    return form


def render_case(user: StaffUser, case: Case, status: int = 200, *,
                form: ReplyForm | None = None,
                photo_form: PhotoForm | None = None,
                hotline_form: HotlineReplyForm | None = None) -> ResponseReturnValue:
    """The case page with its thread and every action the user may take."""
    live = _live_context(user)
    ticket = ticket_of(case.id) if case.source == Source.HOTLINE else None
    if ticket is not None and hotline_form is None:
        hotline_form = HotlineReplyForm(
            formdata=None, contact_made=ticket.reply_contact or "contacted",
            result=ticket.reply_result or "resolved", body=ticket.reply_text or "")
    form = form or _reply_form(case.status)
    templates = reply_templates_for(case)
    template_id = request.args.get("template", type=int)
    if template_id and not form.body.data:
        chosen = next((t for t in templates if t.id == template_id), None)
        if chosen is not None:
            form.body.data = fill_reply_template(chosen, case, current_language())
    return render_template(
        "staff/case.html", case=case, form=form, photo_form=photo_form or PhotoForm(),
        user=user, now=utcnow(),
        templates=templates, template_id=template_id, colleagues=colleagues(case.unit_id),
        can_act=can_act(user, case), is_director="director" in user.roles_in(case.unit_id),
        next_statuses=[t for t in Status if t in TRANSITIONS[Status(case.status)]],
        splittable=_first_me_too_messages(case), public_text=public_description(case),
        voice_at=voice_notes_by_message(case),
        unit_categories=[c for c in case.unit.categories if c.active],
        suggested=_differing_suggestion(case),
        masked_text=mask_personal_data(case.body), ticket=ticket, hotline_form=hotline_form,
        reply_contact_label=CONTACT_LABELS, reply_result_label=RESULT_LABELS,
        ladder=case_ladder(case), masked_mobile=masked_mobile,
        transfer_parks=transfer_targets(case), offices=unit_offices(case.unit_id), **live), status


def _differing_suggestion(case: Case) -> Category | None:
    """The category the words suggest when it is not the case's own: shown, never applied."""
    best = suggest_categories(case.unit_id, case.body, limit=1)
    if not best or best[0].category == case.category.code:
        return None
    return next((c for c in case.unit.categories
                 if c.code == best[0].category and c.active), None)


def _first_me_too_messages(case: Case) -> set[int]:
    """The first message of each "me too" report: where staff may split it off."""
    return {message_id for link_id, message_id in first_report_messages(case).items()
            if link_id is not None}


@bp.get("/manifest.webmanifest")
def manifest() -> ResponseReturnValue:
    """The web app manifest: the staff app can be added to a phone's home screen."""
    icons = [{"src": url_for("static", filename=f"icons/icon-{size}.png"),
              "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any maskable"}
             for size in (192, 512)]
    body = {
        "name": _("Park Mailbox staff"),
        "short_name": _("Park Mailbox"),
        "start_url": url_for("staff.inbox"),
        "scope": url_for("staff.inbox"),
        "display": "standalone",
        "background_color": "#f6f5f0",
        "theme_color": "#1d6b3a",
        "lang": "en" if current_language() == "en" else "zh-CN",
        "icons": icons,
    }
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")


@bp.get("/cases/<int:case_id>")
@staff_required
def case_detail(user: StaffUser, case_id: int) -> ResponseReturnValue:
    case = get_case_for_staff(user, case_id)
    return render_case(user, case)


@bp.post("/cases/<int:case_id>/reply")
@staff_required
def reply(user: StaffUser, case_id: int) -> ResponseReturnValue:
    case = get_case_for_staff(user, case_id)
    form = _reply_form(case.status)
    if form.validate_on_submit():
        try:
            reply_to_visitor(user=user, case_id=case_id, body=form.body.data or "",
                             new_status=form.status.data or None,
                             referred_to=form.referred_to.data)
        except DomainError as error:
            form.body.errors = [*form.body.errors, str(error)]
        else:
            flash(_("Reply sent; the visitor can see it now."), "success")
            return redirect(url_for("staff.case_detail", case_id=case_id), code=303)
    return render_case(user, case, 400, form=form)


@bp.get("/cases/<int:case_id>/photos/<int:photo_id>")
@staff_required
def case_photo(user: StaffUser, case_id: int, photo_id: int) -> ResponseReturnValue:
    photo = find_photo_of_case(get_case_for_staff(user, case_id), photo_id)
    return send_photo(photo_path(photo), photo.id)


@bp.get("/cases/<int:case_id>/voice/<int:note_id>")
@staff_required
def case_voice(user: StaffUser, case_id: int, note_id: int) -> ResponseReturnValue:
    note = find_voice_note_of_case(get_case_for_staff(user, case_id), note_id)
    return send_voice(voice_path(note), note.id)


@bp.post("/cases/<int:case_id>/photos")
@staff_required
def add_photo(user: StaffUser, case_id: int) -> ResponseReturnValue:
    case = get_case_for_staff(user, case_id)
    form = PhotoForm()
    if form.validate_on_submit():
        try:
            add_staff_photos(user=user, case_id=case_id,
                             photos=prepare_photos(uploaded_files("photos")))
        except DomainError as error:
            form.photos.errors = [*form.photos.errors, str(error)]
        else:
            flash(_("Photo added."), "success")
            return redirect(url_for("staff.case_detail", case_id=case_id), code=303)
    return render_case(user, case, 400, photo_form=form)

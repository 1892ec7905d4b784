"""Staff actions on a case: claim, assign, hand back, note, status, spam, split a "me too" off,
merge a case into another, and what the public sees of it (summary, private, public photos)."""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.forms import Form
from app.models import Case, StaffUser, Status
from app.services.cases.metoo import merge_me_too, split_me_too
from app.services.cases.operations import (
    add_internal_note,
    assign_case,
    change_category,
    change_status,
    claim_case,
    hand_back_case,
    publish_summary,
    set_case_private,
    set_case_urgent,
    set_photo_public,
)
from app.services.cases.submission import get_case_for_staff
from app.services.errors import DomainError, ForbiddenError
from app.staff.blueprint import bp
from app.staff.decorators import staff_required
from app.staff.forms import (
    ActionForm,
    AssignForm,
    CategoryForm,
    MergeForm,
    NoteForm,
    PhotoPublicForm,
    PrivateForm,
    PublishForm,
    SplitForm,
    StatusForm,
    UrgentForm,
)
from app.staff.views import render_case


def _perform(user: StaffUser, case_id: int, form: Form, action: Callable[[], object],
             done: str, after: Callable[[], str] | None = None) -> ResponseReturnValue:
    """Validate the form, run the service, then back to the case with a message.

    Another unit's case is 404 before anything else; a broken rule shows the case page
    again with the reason and status 400, and nothing has changed.
    """
    case = get_case_for_staff(user, case_id)
    if not form.validate_on_submit():
        problems = [str(e) for errors in form.errors.values() for e in errors]
        flash(" ".join(problems) or _("Please check the form."), "error")
        return render_case(user, case, 400)
    try:
        action()
    except ForbiddenError as error:
        flash(str(error), "error")
        return render_case(user, get_case_for_staff(user, case_id), 403)
    except DomainError as error:
        flash(str(error), "error")
        return render_case(user, get_case_for_staff(user, case_id), 400)
    flash(done, "success")
    return redirect(after() if after else url_for("staff.case_detail", case_id=case_id),
                    code=303)


@bp.post("/cases/<int:case_id>/claim")
@staff_required
def claim(user: StaffUser, case_id: int) -> ResponseReturnValue:
    return _perform(user, case_id, ActionForm(),
                    lambda: claim_case(user=user, case_id=case_id),
                    _("The case is yours now."))


@bp.post("/cases/<int:case_id>/assign")
@staff_required
def assign(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = AssignForm()
    return _perform(user, case_id, form,
                    lambda: assign_case(user=user, case_id=case_id,
                                        assignee_id=form.assignee_id.data or 0),
                    _("The case is assigned."))


@bp.post("/cases/<int:case_id>/hand-back")
@staff_required
def hand_back(user: StaffUser, case_id: int) -> ResponseReturnValue:
    return _perform(user, case_id, ActionForm(),
                    lambda: hand_back_case(user=user, case_id=case_id),
                    _("The case is back with the team."))


@bp.post("/cases/<int:case_id>/note")
@staff_required
def note(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = NoteForm()
    return _perform(user, case_id, form,
                    lambda: add_internal_note(user=user, case_id=case_id,
                                              body=form.body.data or ""),
                    _("Note added (staff only)."))


@bp.post("/cases/<int:case_id>/status")
@staff_required
def status(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = StatusForm()
    return _perform(user, case_id, form,
                    lambda: change_status(user=user, case_id=case_id,
                                          status=form.status.data or "",
                                          referred_to=form.referred_to.data,
                                          reply=form.reply.data),
                    _("Status changed."))


@bp.post("/cases/<int:case_id>/spam")
@staff_required
def mark_spam(user: StaffUser, case_id: int) -> ResponseReturnValue:
    # one tap for the commonest honest close; the same status change as the status form
    return _perform(user, case_id, ActionForm(),
                    lambda: change_status(user=user, case_id=case_id, status=Status.SPAM.value),
                    _("Marked as spam."))


@bp.post("/cases/<int:case_id>/split")
@staff_required
def split(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = SplitForm()
    return _perform(user, case_id, form,
                    lambda: split_me_too(user=user, case_id=case_id,
                                         link_id=form.link_id.data or 0),
                    _("The report is a case of its own now."))


@bp.post("/cases/<int:case_id>/merge")
@staff_required
def merge(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = MergeForm()
    merged_into: list[Case] = []
    return _perform(user, case_id, form,
                    lambda: merged_into.append(merge_me_too(
                        user=user, case_id=case_id, into_reference=form.into.data or "")),
                    _("The case is merged into this one: its visitors follow this case now."),
                    after=lambda: url_for("staff.case_detail", case_id=merged_into[0].id))


@bp.post("/cases/<int:case_id>/publish")
@staff_required
def publish(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = PublishForm()
    summary = (form.summary.data or "").strip()
    return _perform(user, case_id, form,
                    lambda: publish_summary(user=user, case_id=case_id, summary=summary),
                    _("The public summary is published.") if summary
                    else _("The public summary is withdrawn: the masked text is shown."))


@bp.post("/cases/<int:case_id>/private")
@staff_required
def private(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = PrivateForm()
    hidden = form.private.data == "1"
    return _perform(user, case_id, form,
                    lambda: set_case_private(user=user, case_id=case_id, private=hidden),
                    _("The case is private: the public sees no text or photo of it.")
                    if hidden else _("The case is public again."))


@bp.post("/cases/<int:case_id>/urgent")
@staff_required
def urgent(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = UrgentForm()
    raised = form.urgent.data == "1"
    return _perform(user, case_id, form,
                    lambda: set_case_urgent(user=user, case_id=case_id, urgent=raised),
                    _("The case is urgent: it heads every inbox.") if raised
                    else _("The case is no longer urgent."))


@bp.post("/cases/<int:case_id>/category")
@staff_required
def category(user: StaffUser, case_id: int) -> ResponseReturnValue:
    form = CategoryForm()
    return _perform(user, case_id, form,
                    lambda: change_category(user=user, case_id=case_id,
                                            category_code=form.category.data or ""),
                    _("The case is filed under its new category."))


@bp.post("/cases/<int:case_id>/photos/<int:photo_id>/public")
@staff_required
def photo_public(user: StaffUser, case_id: int, photo_id: int) -> ResponseReturnValue:
    form = PhotoPublicForm()
    shown = form.public.data == "1"
    return _perform(user, case_id, form,
                    lambda: set_photo_public(user=user, case_id=case_id, photo_id=photo_id,
                                             public=shown),
                    _("The photo is public.") if shown else _("The photo is not public."))

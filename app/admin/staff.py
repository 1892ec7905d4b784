"""Staff accounts of the unit: create or invite, roles, deactivate, reset a password."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from app.admin.blueprint import bp
from app.admin.decorators import director_required
from app.admin.forms import (
    ActionForm,
    PasswordResetForm,
    SetPasswordForm,
    StaffCreateForm,
    StaffRolesForm,
)
from app.models import StaffUser, Unit
from app.services.accounts.reach import routing_gaps
from app.services.accounts.staff import (
    Credential,
    accept_invite,
    check_invite,
    create_staff_account,
    get_unit_staff_member,
    reset_staff_password,
    set_staff_active,
    set_staff_roles,
    unit_staff,
)
from app.services.cases.workflow import ROLE_LABELS
from app.services.errors import DomainError
from app.services.platform.urls import absolute_url_for


def show_credential(credential: Credential, *, created: bool, nav: str = "staff/_nav.html",
                    done_url: str | None = None) -> ResponseReturnValue:
    """The one and only time the password or link is shown (the page is never cached)."""
    link = None
    if credential.invite_token:
        link = absolute_url_for("admin.invite", token=credential.invite_token)
    return render_template(
        "admin/credential.html", credential=credential, link=link, created=created,
        hours=current_app.config["STAFF_INVITE_HOURS"], nav=nav,
        done_url=done_url or url_for("admin.staff_member", user_id=credential.user_id))


@bp.get("/staff")
@director_required
def staff_list(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    return render_template("admin/staff.html", unit=unit, members=unit_staff(unit.id),
                           role_labels=ROLE_LABELS, reach_gaps=routing_gaps(unit.id))


@bp.route("/staff/new", methods=["GET", "POST"])
@director_required
def new_staff(user: StaffUser, unit: Unit) -> ResponseReturnValue:
    form = StaffCreateForm()
    if form.validate_on_submit():
        try:
            credential = create_staff_account(
                director=user, unit_id=unit.id, email=form.email.data or "",
                name=form.name.data or "", roles=list(form.roles.data or []),
                credential=form.credential.data or "")
        except DomainError as error:
            form.form_errors.append(str(error))
        else:
            return show_credential(credential, created=True)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/staff_new.html", unit=unit, form=form), status


def _member_page(director: StaffUser, unit: Unit, member: StaffUser,
                 roles_form: StaffRolesForm | None = None,
                 status: int = 200) -> ResponseReturnValue:
    if roles_form is None:
        roles_form = StaffRolesForm(data={"roles": sorted(member.roles_in(unit.id))})
    return render_template(
        "admin/staff_member.html", unit=unit, member=member, roles_form=roles_form,
        reset_form=PasswordResetForm(), action_form=ActionForm(), role_labels=ROLE_LABELS,
        is_self=member.id == director.id), status


def _member(unit: Unit, user_id: int) -> StaffUser:
    return get_unit_staff_member(unit.id, user_id)


@bp.get("/staff/<int:user_id>")
@director_required
def staff_member(user: StaffUser, unit: Unit, user_id: int) -> ResponseReturnValue:
    return _member_page(user, unit, _member(unit, user_id))


@bp.post("/staff/<int:user_id>/roles")
@director_required
def staff_roles(user: StaffUser, unit: Unit, user_id: int) -> ResponseReturnValue:
    member = _member(unit, user_id)
    form = StaffRolesForm()
    if form.validate_on_submit():
        try:
            set_staff_roles(director=user, unit_id=unit.id, user_id=user_id,
                            roles=list(form.roles.data or []))
        except DomainError as error:
            form.roles.errors = [*form.roles.errors, str(error)]
        else:
            flash(_("Roles saved."), "success")
            return redirect(url_for("admin.staff_member", user_id=user_id), code=303)
    return _member_page(user, unit, member, roles_form=form, status=400)


def _account_action(director: StaffUser, unit: Unit, user_id: int,
                    active: bool) -> ResponseReturnValue:
    member = _member(unit, user_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        set_staff_active(director=director, unit_id=unit.id, user_id=user_id, active=active)
    except DomainError as error:
        flash(str(error), "error")
        return _member_page(director, unit, member, status=400)
    flash(_("Account reactivated.") if active else
          _("Account deactivated; it was logged out everywhere."), "success")
    return redirect(url_for("admin.staff_member", user_id=user_id), code=303)


@bp.post("/staff/<int:user_id>/deactivate")
@director_required
def deactivate_staff(user: StaffUser, unit: Unit, user_id: int) -> ResponseReturnValue:
    return _account_action(user, unit, user_id, active=False)


@bp.post("/staff/<int:user_id>/reactivate")
@director_required
def reactivate_staff(user: StaffUser, unit: Unit, user_id: int) -> ResponseReturnValue:
    return _account_action(user, unit, user_id, active=True)


@bp.post("/staff/<int:user_id>/password")
@director_required
def reset_password(user: StaffUser, unit: Unit, user_id: int) -> ResponseReturnValue:
    member = _member(unit, user_id)
    form = PasswordResetForm()
    if not form.validate_on_submit():
        return _member_page(user, unit, member, status=400)
    try:
        credential = reset_staff_password(director=user, unit_id=unit.id, user_id=user_id,
                                          credential=form.credential.data or "")
    except DomainError as error:
        flash(str(error), "error")
        return _member_page(user, unit, member, status=400)
    return show_credential(credential, created=False)


# Not for directors: the person who got a link sets their password here, logged out.
@bp.route("/invite/<token>", methods=["GET", "POST"])
def invite(token: str) -> ResponseReturnValue:
    try:
        member = check_invite(token)
    except DomainError as error:
        return render_template("admin/invite.html", problem=str(error), form=None), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        try:
            accept_invite(token, form.password.data or "")
        except DomainError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            flash(_("Your password is set. Log in with your e-mail and the new password."),
                  "success")
            return redirect(url_for("staff.login"), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("admin/invite.html", form=form, member=member, problem=None), status

"""A person's own account: change the password; a temporary one must be changed first."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user
from werkzeug.exceptions import Forbidden

from app.models import StaffUser
from app.services.accounts.staff import change_own_password
from app.services.errors import DomainError, NotFoundError
from app.staff.blueprint import bp
from app.staff.forms import PasswordChangeForm
from app.staff.views import _safe_next

# what a person with a temporary password may still reach: this page, logging out, files
ALLOWED_BEFORE_CHANGE = frozenset({"staff.password", "staff.logout", "bureau.logout", "static"})
CHANGE_FIRST = "Choose your own password first (/staff/password)."


@bp.before_app_request
def _require_own_password() -> ResponseReturnValue | None:
    """Someone else chose this password and handed it over: nothing else until it is changed."""
    # the endpoint first: static files need not load the user
    if request.endpoint in ALLOWED_BEFORE_CHANGE:
        return None
    if not current_user.is_authenticated or not current_user.password_change_required:
        return None
    if request.path.startswith(("/api/", "/open311/")):
        # the app's error handlers answer in each API's own error format
        refusal = Forbidden(CHANGE_FIRST)
        refusal.data = {"message": CHANGE_FIRST}  # type: ignore[attr-defined]
        raise refusal
    return redirect(url_for("staff.password", next=request.full_path), code=303)


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    user: StaffUser = current_user._get_current_object()
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            user = change_own_password(user_id=user.id, current=form.current.data or "",
                                       new=form.password.data or "")
        except NotFoundError:
            return redirect(url_for("staff.login"), code=303)
        except DomainError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            login_user(user)  # the other sessions ended with the old password; this one goes on
            flash(_("Your password is changed. Your other sessions are logged out."), "success")
            if user.bureau_role and not user.unit_ids and not request.args.get("next"):
                return redirect(url_for("bureau.index"), code=303)
            return redirect(_safe_next(request.args.get("next")), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template("staff/password.html", form=form, user=user,
                           required=user.password_change_required), status

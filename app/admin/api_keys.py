"""API keys page (/admin/api-keys): directors for their unit, bureau admins for any."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.admin.blueprint import bp
from app.forms import Form
from app.models import StaffUser
from app.services.accounts.api_keys import (
    MAX_NAME,
    is_bureau_admin,
    issue_api_key,
    manageable_keys,
    manageable_units,
    may_manage_keys,
    revoke_api_key,
)
from app.services.errors import DomainError

View = TypeVar("View", bound=Callable[..., Any])
BUREAU_WIDE = "bureau"


class ApiKeyForm(Form):
    name = StringField(_l("What the key is for"),
                       validators=[DataRequired(), Length(max=MAX_NAME)])
    unit = SelectField(_l("Unit"), choices=[], validate_choice=True)


def key_manager_required(view: View) -> View:
    """Directors and bureau admins; the view receives the user. Others: 403."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.full_path))
        user = cast(StaffUser, current_user._get_current_object())
        if not may_manage_keys(user):
            abort(403)
        return view(user, *args, **kwargs)

    return cast(View, wrapped)


def _form(user: StaffUser, *, blank: bool = False) -> ApiKeyForm:
    form = ApiKeyForm(formdata=None) if blank else ApiKeyForm()
    choices = [(str(unit.id), unit.name_zh) for unit in manageable_units(user)]
    if is_bureau_admin(user):
        choices.append((BUREAU_WIDE, str(_("Every unit (bureau-wide)"))))
    form.unit.choices = choices
    return form


def _page(user: StaffUser, form: ApiKeyForm, secret: str | None = None,
          status: int = 200) -> ResponseReturnValue:
    return render_template("admin/api_keys.html", form=form, keys=manageable_keys(user),
                           secret=secret), status


@bp.get("/api-keys")
@key_manager_required
def api_keys(user: StaffUser) -> ResponseReturnValue:
    return _page(user, _form(user))


@bp.post("/api-keys")
@key_manager_required
def issue_key(user: StaffUser) -> ResponseReturnValue:
    form = _form(user)
    if not form.validate_on_submit():
        return _page(user, form, status=400)
    unit_id = None if form.unit.data == BUREAU_WIDE else int(form.unit.data or 0)
    try:
        issued = issue_api_key(user=user, unit_id=unit_id, name=form.name.data or "")
    except DomainError as error:
        form.name.errors = [*form.name.errors, str(error)]
        return _page(user, form, status=400)
    # shown once, in this response only: never in a flash message (the session cookie is
    # signed, not encrypted) nor anywhere it could be read again
    return _page(user, _form(user, blank=True), secret=issued.secret)


@bp.post("/api-keys/<int:key_id>/revoke")
@key_manager_required
def revoke_key(user: StaffUser, key_id: int) -> ResponseReturnValue:
    form = Form()
    if not form.validate_on_submit():
        abort(400)
    key = revoke_api_key(user=user, key_id=key_id)
    flash(_("Key %(prefix)s… revoked: requests with it are refused from now on.",
            prefix=key.prefix), "success")
    return redirect(url_for("admin.api_keys"), code=303)

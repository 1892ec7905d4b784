"""Access control for /admin: directors only, of their own unit."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, redirect, request, url_for
from flask_login import current_user

from app.extensions import db
from app.models import StaffUser, Unit

View = TypeVar("View", bound=Callable[..., Any])


def directed_unit(user: StaffUser) -> Unit | None:
    """The unit the user directs (the first, if several)."""
    unit_ids = sorted(m.unit_id for m in user.memberships if m.role == "director")
    return db.session.get(Unit, unit_ids[0]) if unit_ids else None


def director_required(view: View) -> View:
    """Directors only; the view receives (user, unit) before its URL arguments.

    Anonymous: redirect to login. Logged in but not a director: 403. Objects of another
    unit are the view's to refuse with 404 (it must look them up within `unit`).
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.full_path))
        user = cast(StaffUser, current_user._get_current_object())
        unit = directed_unit(user)
        if unit is None:
            abort(403)
        return view(user, unit, *args, **kwargs)

    return cast(View, wrapped)

"""Access control for staff pages: one decorator owns it and hands the user to the view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, redirect, request, url_for
from flask_login import current_user

from app.models import StaffUser

View = TypeVar("View", bound=Callable[..., Any])


def staff_required(view: View) -> View:
    """Logged-in park staff only; the view receives the user as its first argument."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.full_path))
        user = cast(StaffUser, current_user._get_current_object())
        if not user.unit_ids:
            abort(403)
        return view(user, *args, **kwargs)

    return cast(View, wrapped)

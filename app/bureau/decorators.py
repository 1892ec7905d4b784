"""Access control for /bureau: bureau users see every park; directors only their unit's."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar, cast

from flask import abort, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select

from app.extensions import db
from app.models import BUREAU_ROLES, Park, StaffUser

View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class Scope:
    """Who is looking, and at which parks."""

    user: StaffUser
    parks: list[Park]
    is_bureau: bool

    @property
    def is_bureau_admin(self) -> bool:
        return self.user.bureau_role == "admin"

    @property
    def park_ids(self) -> list[int]:
        return [park.id for park in self.parks]

    def park(self, park_id: int) -> Park:
        """One of the scope's parks; any other is 404 (its existence is not ours to tell)."""
        for park in self.parks:
            if park.id == park_id:
                return park
        abort(404)


def scope_of(user: StaffUser) -> Scope | None:
    """The parks a user may compare, or None if the user may not use /bureau at all."""
    if user.bureau_role in BUREAU_ROLES:
        parks = list(db.session.scalars(select(Park).order_by(Park.id)))
        return Scope(user=user, parks=parks, is_bureau=True)
    unit_ids = {m.unit_id for m in user.memberships if m.role == "director"}
    if unit_ids:
        parks = list(db.session.scalars(
            select(Park).where(Park.unit_id.in_(unit_ids)).order_by(Park.id)))
        return Scope(user=user, parks=parks, is_bureau=False)
    return None


def bureau_required(view: View) -> View:
    """Bureau users and directors; the view receives the Scope before its URL arguments.

    Anonymous: redirect to login. Other staff: 403.
    """

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.full_path))
        scope = scope_of(cast(StaffUser, current_user._get_current_object()))
        if scope is None:
            abort(403)
        return view(scope, *args, **kwargs)

    return cast(View, wrapped)


def bureau_admin_required(view: View) -> View:
    """Bureau administrators only (onboarding new units and parks)."""

    @wraps(view)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return redirect(url_for("staff.login", next=request.full_path))
        user = cast(StaffUser, current_user._get_current_object())
        scope = scope_of(user)
        if scope is None or user.bureau_role != "admin":
            abort(403)
        return view(scope, *args, **kwargs)

    return cast(View, wrapped)

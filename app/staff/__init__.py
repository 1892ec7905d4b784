"""The staff side: login, the mobile inbox, the case page and its actions."""

from app.staff import account as _account  # noqa: F401 - registers the account routes on bp
from app.staff import actions as _actions  # noqa: F401 - registers the action routes on bp
from app.staff.views import bp

__all__ = ["bp"]

"""The staff side: login, the mobile inbox, the case page and its actions."""

from app.staff.views import bp

__all__ = ["bp"]

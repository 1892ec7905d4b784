"""The anonymous side: QR landing page, feedback form, receipt and tracking page."""

from app.visitor import tracking as _tracking  # noqa: F401 - registers the tracking actions
from app.visitor.views import bp

__all__ = ["bp"]

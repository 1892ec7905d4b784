"""The anonymous side: QR landing page, feedback form, receipt and tracking page."""

from app.visitor.views import bp

__all__ = ["bp"]

"""The director's side: the unit's spots, posters, staff, categories and settings."""

from app.admin.views import bp

__all__ = ["bp"]

"""The director's side: the unit's spots, posters, staff, categories and settings."""

from app.admin import api_keys as _api_keys  # noqa: F401 - registers its routes on bp
from app.admin import points as _points  # noqa: F401 - registers the spot pages on bp
from app.admin.views import bp

__all__ = ["bp"]

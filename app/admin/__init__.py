"""The director's side: the unit's spots, posters, staff, categories and settings."""

# each module registers its pages on bp
from app.admin import api_keys as _api_keys  # noqa: F401
from app.admin import blocks as _blocks  # noqa: F401
from app.admin import categories, replies, routing, spots, staff, unit_settings  # noqa: F401
from app.admin.views import bp

__all__ = ["bp"]

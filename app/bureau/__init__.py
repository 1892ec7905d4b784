"""The city parks bureau's side: compare parks, trends, topics, warnings, hotline, exports."""

from app.bureau.views import bp

__all__ = ["bp"]

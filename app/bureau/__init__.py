"""The city parks bureau's side: compare parks, trends, topics, warnings, hotline, exports."""

from app.bureau import exports, hotline, topics, trends, units, views, visits
from app.bureau.blueprint import bp

__all__ = ["bp", "exports", "hotline", "topics", "trends", "units", "views",
           "visits"]

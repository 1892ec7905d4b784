"""The director's side (/admin/): its blueprint and the modules of its routes."""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")

# the modules whose views attach to `bp` (each imports `bp` from here)
ROUTE_MODULES = ("views", "spots", "staff", "categories", "routing", "replies", "unit_settings",
                 "api_keys", "blocks", "channels", "offices", "map", "zones")


def admin_blueprint() -> Blueprint:
    """The blueprint with the routes of every module in ROUTE_MODULES."""
    for module in ROUTE_MODULES:
        import_module(f"{__package__}.{module}")
    return bp

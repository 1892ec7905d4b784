"""The bureau's side (/bureau/): its blueprint and the modules of its routes."""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint

bp = Blueprint("bureau", __name__, url_prefix="/bureau")

# the modules whose views attach to `bp` (each imports `bp` from here)
ROUTE_MODULES = ("views", "trends", "topics", "exports", "hotline", "visits", "units",
                 "map", "zones")


def bureau_blueprint() -> Blueprint:
    """The blueprint with the routes of every module in ROUTE_MODULES."""
    for module in ROUTE_MODULES:
        import_module(f"{__package__}.{module}")
    return bp

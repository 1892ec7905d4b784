"""The staff side (/staff/): its blueprint and the modules of its routes."""

from __future__ import annotations

from importlib import import_module

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

# the modules whose views attach to `bp` (each imports `bp` from here)
ROUTE_MODULES = ("views", "actions", "transfers", "account", "push", "new_case", "hotline")


def staff_blueprint() -> Blueprint:
    """The blueprint with the routes of every module in ROUTE_MODULES."""
    for module in ROUTE_MODULES:
        import_module(f"{__package__}.{module}")
    return bp

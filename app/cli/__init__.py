"""Command-line tools (`flask --app wsgi ...`), one module per group, registered here."""

from __future__ import annotations

from flask import Flask

from app.cli.accounts import register_accounts
from app.cli.backup import register_backup
from app.cli.bureau import register_bureau
from app.cli.cases import register_cases
from app.cli.categories import register_categories
from app.cli.demo import register_demo
from app.cli.notify import register_notify
from app.cli.posters import register_posters
from app.cli.push import register_push
from app.cli.spots import register_spots


def register_commands(app: Flask) -> None:
    """Every command group of the app, in `flask --help` order."""
    for register in (register_accounts, register_backup, register_bureau, register_cases,
                     register_categories, register_demo, register_notify, register_posters,
                     register_push, register_spots):
        register(app)

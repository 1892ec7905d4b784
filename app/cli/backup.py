"""Command-line backups: `flask --app wsgi backup PATH` and `flask --app wsgi restore PATH`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask, current_app

from app.extensions import db
from app.services.errors import DomainError
from app.services.platform.backup import (
    backup_sqlite,
    pg_dump_instructions,
    restore_sqlite,
    sqlite_path,
)


def _database() -> Path:
    url = current_app.config["SQLALCHEMY_DATABASE_URI"]
    database = sqlite_path(url)
    if database is None:
        click.echo(pg_dump_instructions(url))
        raise click.ClickException("nothing was written: use pg_dump and pg_restore as above")
    return database


def register_backup(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup(path: Path) -> None:
        """Write a consistent copy of the live database (and photos) to PATH."""
        try:
            report = backup_sqlite(_database(), path, Path(current_app.config["PHOTO_DIR"]))
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"backup written to {report.path} ({report.pages} pages, "
                   f"{report.photos} photos)")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
    def restore(path: Path, yes: bool) -> None:
        """Replace the database with the backup at PATH (stop the server first)."""
        database = _database()
        if not yes:
            click.confirm(f"Replace everything in {database} with {path}?", abort=True)
        db.session.remove()
        db.engine.dispose()  # no pooled connection may keep the old pages
        try:
            report = restore_sqlite(path, database, Path(current_app.config["PHOTO_DIR"]))
        except DomainError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"restored {report.path} from {path} ({report.pages} pages, "
                   f"{report.photos} photos)")

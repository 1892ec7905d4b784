"""Command-line tools for the bureau: `hotline import FILE`, `bureau visits FILE`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Park

CsvFile = click.Path(exists=True, dir_okay=False, path_type=Path)


def import_file(file: Path, run: Callable[[str, list[Park]], int]) -> int:
    """Import a CSV file into any park, or print each bad row and fail having changed nothing."""
    from app.services.bureau.csv_import import CsvImportError, decode_upload
    from app.services.errors import DomainError

    parks = list(db.session.scalars(select(Park)))
    try:
        return run(decode_upload(file.read_bytes()), parks)
    except CsvImportError as error:
        for row in error.errors:
            where = f"line {row.line}" if row.line else "file"
            click.echo(f"{file}: {where}: {row.message}", err=True)
        raise click.ClickException(str(error)) from None
    except DomainError as error:
        raise click.ClickException(str(error)) from None


def register_bureau(app: Flask) -> None:
    @app.cli.group("hotline")
    def hotline() -> None:
        """12345 hotline tickets."""

    @hotline.command("import")
    @click.argument("file", type=CsvFile)
    def import_tickets(file: Path) -> None:
        """Import tickets from a CSV file (ticket_id,date,park,category,text): all or none."""
        from app.services.bureau.hotline import import_hotline_tickets

        count = import_file(file, lambda text, parks: import_hotline_tickets(
            text, parks, user_id=None))
        click.echo(f"{count} hotline tickets imported")

    @app.cli.group("bureau")
    def bureau() -> None:
        """The city parks bureau's data."""

    @bureau.command("visits")
    @click.argument("file", type=CsvFile)
    def import_visits(file: Path) -> None:
        """Import daily visits from a CSV file (park,date,visits): all or none.

        A park and day imported before gets the new number.
        """
        from app.services.bureau.visits import import_park_visits

        count = import_file(file, lambda text, parks: import_park_visits(
            text, parks, user_id=None))
        click.echo(f"{count} days of park visits imported")

"""Command-line tools for the bureau: `hotline import FILE`, `bureau visits FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from flask import Flask
from sqlalchemy import select

from app.extensions import db
from app.models import Park


def register_bureau(app: Flask) -> None:
    @app.cli.group("hotline")
    def hotline() -> None:
        """12345 hotline tickets."""

    @hotline.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    def import_tickets(file: Path) -> None:
        """Import tickets from a CSV file (ticket_id,date,park,category,text): all or none."""
        from app.services.hotline import HotlineImportError, decode_upload, import_hotline_tickets

        parks = list(db.session.scalars(select(Park)))
        try:
            count = import_hotline_tickets(decode_upload(file.read_bytes()), parks, user_id=None)
        except HotlineImportError as error:
            for row in error.errors:
                where = f"line {row.line}" if row.line else "file"
                click.echo(f"{file}: {where}: {row.message}", err=True)
            raise click.ClickException(str(error)) from None
        click.echo(f"{count} hotline tickets imported")

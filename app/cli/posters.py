"""`flask --app wsgi posters PARK_ID --layout a4 -o out.pdf`: a park's posters as one PDF."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask import Flask, current_app

from app.extensions import db
from app.models import Park
from app.services.spots.posters import LAYOUTS, PosterError, render_posters
from app.services.spots.spots import unit_spots


def register_posters(app: Flask) -> None:
    @app.cli.command("posters")
    @click.argument("park_id", type=int)
    @click.option("--layout", type=click.Choice(LAYOUTS), default="a4", show_default=True,
                  help="a4 posters, a6 table signs, A4 sheets of stickers with cut marks, or "
                       "board: the park's A4 poster whose code opens its public board.")
    @click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path),
                  required=True, help="The PDF file to write.")
    @click.option("--allow-local", is_flag=True,
                  help="Print even though BASE_URL is a local address (test prints only).")
    def posters(park_id: int, layout: str, output: Path, allow_local: bool) -> None:
        """Render the posters of every active spot of a park into one PDF."""
        park = db.session.get(Park, park_id)
        if park is None:
            raise click.ClickException(f"no park with id {park_id}")
        spots = unit_spots(park.unit, park_id=park.id, active_only=True)
        if not spots:
            raise click.ClickException(f"park {park_id} has no active spots")
        with click.progressbar(length=len(spots), label=f"{len(spots)} spots ({layout})",
                               file=sys.stderr) as bar:
            try:
                pdf = render_posters(spots, layout, base_url=current_app.config["BASE_URL"],
                                     title=park.name_zh, allow_local=allow_local,
                                     progress=bar.update)
            except PosterError as error:
                raise click.ClickException(str(error)) from error
        output.write_bytes(pdf)
        click.echo(f"{output}: {len(spots)} spots, {len(pdf) // 1024} KiB")

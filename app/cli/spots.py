"""`flask points list`: every spot with its QR URL (the command's name is a public contract)."""

from __future__ import annotations

import json

import click
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Park, Spot
from app.services.spots.qr import spot_url


def register_spots(app: Flask) -> None:
    @app.cli.group("points")
    def spots() -> None:
        """Spots and their QR codes."""

    @spots.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    def list_spots(as_json: bool) -> None:
        """Print every spot with its park, name, code and full QR URL."""
        rows = db.session.scalars(
            select(Spot).options(joinedload(Spot.park)).join(Park).order_by(Park.id, Spot.id)
        ).all()
        records = [
            {
                "id": spot.id,
                "park_id": spot.park_id,
                "park_code": spot.park.park_code,
                "park": spot.park.name_zh,
                "park_en": spot.park.name_en,
                "name": spot.name_zh,
                "name_en": spot.name_en,
                "code": spot.code,
                "active": spot.active,
                # WGS-84 decimal degrees, None where the spot has no position yet
                "latitude": spot.latitude,
                "longitude": spot.longitude,
                "url": spot_url(spot),
            }
            for spot in rows
        ]
        if as_json:
            click.echo(json.dumps(records, ensure_ascii=False, indent=2))
            return
        for record in records:
            state = "" if record["active"] else "  (inactive)"
            click.echo(f"{record['park']}\t{record['name']}\t{record['code']}\t"
                       f"{record['url']}{state}")

"""Command-line tools: `demo`, `points list`, `notify send`, `posters`, `sla tick`, `cases`."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.cli_notify import register_notify
from app.cli_posters import register_posters
from app.extensions import db
from app.models import Park, Point


def qr_url(point: Point) -> str:
    return f"{current_app.config['BASE_URL']}/q/{point.code}"


def register(app: Flask) -> None:
    register_notify(app)
    register_posters(app)

    @app.cli.command("demo")
    def demo() -> None:
        """Load the demo data (Ritan Park office, four parks, demo logins) once."""
        from app.services.demo import create_demo_data, demo_loaded

        if not current_app.config["DEMO_ALLOWED"]:
            raise click.ClickException("demo data is never loaded in production")
        if demo_loaded():
            click.echo("demo data already loaded")
            return
        create_demo_data()
        click.echo("demo data loaded: 4 parks; logins director@ritan.demo, security@ritan.demo, "
                   "cleaning@ritan.demo, bureau@parks.demo (password demo12345)")

    @app.cli.group("points")
    def points() -> None:
        """Spots and their QR codes."""

    @points.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
    def list_points(as_json: bool) -> None:
        """Print every spot with its park, name, code and full QR URL."""
        rows = db.session.scalars(
            select(Point).options(joinedload(Point.park)).join(Park).order_by(Park.id, Point.id)
        ).all()
        records = [
            {
                "id": point.id,
                "park_id": point.park_id,
                "park": point.park.name_zh,
                "park_en": point.park.name_en,
                "name": point.name_zh,
                "name_en": point.name_en,
                "code": point.code,
                "active": point.active,
                "url": qr_url(point),
            }
            for point in rows
        ]
        if as_json:
            click.echo(json.dumps(records, ensure_ascii=False, indent=2))
            return
        for record in records:
            state = "" if record["active"] else "  (inactive)"
            click.echo(f"{record['park']}\t{record['name']}\t{record['code']}\t"
                       f"{record['url']}{state}")

    @app.cli.group("sla")
    def sla() -> None:
        """Time limits and escalation."""

    @sla.command("tick")
    def sla_tick() -> None:
        """Escalate the cases that missed their claim or reply limit (once each)."""
        from app.services.jobs import run_job_now

        raised = run_job_now("sla.tick")
        click.echo(f"{raised} escalation(s) raised")

    @app.cli.group("cases")
    def cases() -> None:
        """Case housekeeping."""

    @cases.command("autoclose")
    def cases_autoclose() -> None:
        """Close the cases resolved longer ago than their unit's auto-close delay."""
        from app.services.jobs import run_job_now

        closed = run_job_now("cases.autoclose")
        click.echo(f"{closed} case(s) closed")

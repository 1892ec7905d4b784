"""Command-line tools: `demo`, `points list`, `notify send`, `posters`, `sla tick`, `cases`,
`backup`, `restore`."""

from __future__ import annotations

import json
import time

import click
from flask import Flask, current_app
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.cli_accounts import register_accounts
from app.cli_backup import register_backup
from app.cli_bureau import register_bureau
from app.cli_notify import register_notify
from app.cli_posters import register_posters
from app.extensions import db
from app.models import Park, Spot


def qr_url(spot: Spot) -> str:
    return f"{current_app.config['BASE_URL']}/q/{spot.code}"


def add_history(cases: int, *, parks: int, days: int, seed: int) -> None:
    """Generate synthetic history with a progress bar and print how long it took."""
    from app.services.demo.synthetic import generate_history

    started = time.perf_counter()
    with click.progressbar(length=cases, label=f"adding {cases} synthetic cases") as bar:
        added = generate_history(cases, parks=parks, days=days, seed=seed, progress=bar.update)
    click.echo(f"{added} cases added in {time.perf_counter() - started:.1f} s")


def register(app: Flask) -> None:
    register_notify(app)
    register_posters(app)
    register_bureau(app)
    register_accounts(app)
    register_backup(app)

    @app.cli.command("demo")
    @click.option("--cases", type=click.IntRange(min=0), default=0,
                  help="Also add this many synthetic past cases (bulk inserts).")
    @click.option("--parks", type=click.IntRange(min=4), default=30, show_default=True,
                  help="With --cases: add synthetic parks until the city has this many.")
    @click.option("--days", type=click.IntRange(min=1), default=730, show_default=True,
                  help="With --cases: spread them over this many past days.")
    @click.option("--seed", type=int, default=2026, show_default=True)
    def demo(cases: int, parks: int, days: int, seed: int) -> None:
        """Load the demo data (Ritan Park office, four parks, demo logins) once."""
        from app.services.demo.ritan import create_demo_data, demo_loaded

        if not current_app.config["DEMO_ALLOWED"]:
            raise click.ClickException("demo data is never loaded in production")
        if demo_loaded():
            click.echo("demo data already loaded")
        else:
            create_demo_data()
            click.echo("demo data loaded: 4 parks; logins director@ritan.demo, "
                       "security@ritan.demo, cleaning@ritan.demo, bureau@parks.demo "
                       "(password demo12345)")
        if cases:
            add_history(cases, parks=parks, days=days, seed=seed)

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
                "park": spot.park.name_zh,
                "park_en": spot.park.name_en,
                "name": spot.name_zh,
                "name_en": spot.name_en,
                "code": spot.code,
                "active": spot.active,
                "url": qr_url(spot),
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

    @app.cli.group("sla")
    def sla() -> None:
        """Time limits and escalation."""

    @sla.command("tick")
    def sla_tick() -> None:
        """Escalate the cases that missed their claim or reply limit (once each)."""
        from app.services.platform.jobs import run_job_now

        raised = run_job_now("sla.tick")
        click.echo(f"{raised} escalation(s) raised")

    @app.cli.group("cases")
    def cases() -> None:
        """Case housekeeping."""

    @cases.command("autoclose")
    def cases_autoclose() -> None:
        """Close the cases resolved longer ago than their unit's auto-close delay."""
        from app.services.platform.jobs import run_job_now

        closed = run_job_now("cases.autoclose")
        click.echo(f"{closed} case(s) closed")

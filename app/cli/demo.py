"""`flask demo`: the Ritan demo unit, and optionally synthetic history for the bureau."""

from __future__ import annotations

import time

import click
from flask import Flask, current_app


def add_history(cases: int, *, parks: int, days: int, seed: int) -> None:
    """Generate synthetic history with a progress bar and print how long it took."""
    from app.services.demo.synthetic import generate_history

    started = time.perf_counter()
    with click.progressbar(length=cases, label=f"adding {cases} synthetic cases") as bar:
        added = generate_history(cases, parks=parks, days=days, seed=seed, progress=bar.update)
    click.echo(f"{added} cases added in {time.perf_counter() - started:.1f} s")


def register_demo(app: Flask) -> None:
    @app.cli.command("demo")
    @click.option("--cases", type=click.IntRange(min=0), default=0,
                  help="Also add this many synthetic past cases (bulk inserts).")
    @click.option("--parks", type=click.IntRange(min=4), default=30, show_default=True,
                  help="With --cases: add synthetic parks until the city has this many.")
    @click.option("--days", type=click.IntRange(min=1), default=730, show_default=True,
                  help="With --cases: spread them over this many past days.")
    @click.option("--seed", type=int, default=2026, show_default=True)
    @click.option("--history/--no-history", default=True, show_default=True,
                  help="The four parks' last six months: cases, 12345 tickets, visits.")
    def demo(cases: int, parks: int, days: int, seed: int, history: bool) -> None:
        """Load the demo data (Ritan Park office, four parks, demo logins) once."""
        from app.services.demo.history import load_history
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
        if history:
            started = time.perf_counter()
            if load_history(seed=seed):
                click.echo("demo history loaded (six months of cases, 12345 tickets, visits) "
                           f"in {time.perf_counter() - started:.1f} s")
            else:
                click.echo("demo history already loaded")
        if cases:
            add_history(cases, parks=parks, days=days, seed=seed)

"""`flask sla tick` and `flask cases autoclose`: the clock's jobs, run now."""

from __future__ import annotations

import click
from flask import Flask

from app.services.platform.jobs import run_job_now


def register_cases(app: Flask) -> None:
    @app.cli.group("sla")
    def sla() -> None:
        """Time limits and escalation."""

    @sla.command("tick")
    def sla_tick() -> None:
        """Escalate the cases that missed their claim or reply limit (once each)."""
        raised = run_job_now("sla.tick")
        click.echo(f"{raised} escalation(s) raised")

    @app.cli.group("cases")
    def cases() -> None:
        """Case housekeeping."""

    @cases.command("autoclose")
    def cases_autoclose() -> None:
        """Close the cases resolved longer ago than their unit's auto-close delay."""
        closed = run_job_now("cases.autoclose")
        click.echo(f"{closed} case(s) closed")

"""Command-line tools for Web Push to staff phones: `flask --app wsgi push keys` and
`flask --app wsgi push send`."""

from __future__ import annotations

import click
from flask import Flask


def register_push(app: Flask) -> None:
    @app.cli.group("push")
    def push() -> None:
        """Web Push alerts to staff phones (/staff/alerts)."""

    @push.command("keys")
    def keys() -> None:
        """Print the deployment's VAPID public key (created the first time, in
        VAPID_KEY_FILE, unless VAPID_PRIVATE_KEY is set)."""
        from app.services.notify.push import public_key, vapid_subject

        click.echo(public_key())
        click.echo(f"subject: {vapid_subject()}", err=True)

    @push.command("send")
    @click.option("--limit", default=500, show_default=True, help="At most this many.")
    def send(limit: int) -> None:
        """Send the pushes that are due now (the server also does it every 5 s)."""
        from app.services.notify.push import send_due_pushes

        report = send_due_pushes(limit=limit)
        click.echo(f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}, "
                   f"subscriptions gone {report.gone}")

"""Command-line tools for notifications: `flask --app wsgi notify send` (visitors) and
`flask --app wsgi notify alerts` (staff alert channels)."""

from __future__ import annotations

import click
from flask import Flask


def register_notify(app: Flask) -> None:
    @app.cli.group("notify")
    def notify() -> None:
        """E-mails and SMS to visitors about their cases."""

    @notify.command("send")
    @click.option("--limit", default=500, show_default=True, help="At most this many.")
    @click.option("--retry-failed", is_flag=True,
                  help="First queue again the notifications that ran out of attempts.")
    def send(limit: int, retry_failed: bool) -> None:
        """Send the notifications that are due now (the server also does it every 30 s)."""
        from app.services.notify.visitors import (
            retry_failed_notifications,
            send_due_notifications,
        )

        if retry_failed:
            click.echo(f"{retry_failed_notifications()} failed notifications queued again")
        report = send_due_notifications(limit=limit)
        click.echo(f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}")

    @notify.command("alerts")
    @click.option("--limit", default=500, show_default=True, help="At most this many.")
    def alerts(limit: int) -> None:
        """Send the staff alerts to group robots and webhooks that are due now (the server
        also does it every 10 s; /admin/channels)."""
        from app.services.notify.channels import send_due_alerts

        report = send_due_alerts(limit=limit)
        click.echo(f"sent {report.sent}, to retry {report.retrying}, failed {report.failed}")

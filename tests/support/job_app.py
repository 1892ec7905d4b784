"""A server app with one counting job, for the test that jobs run once across processes."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

from app import create_app
from app.services.platform.jobs import HOLDER, Job, app_jobs


def tick(now: datetime) -> None:
    """Append the round's time and this process to a file every test process shares."""
    with Path(os.environ["JOB_TICK_LOG"]).open("a") as log:
        log.write(f"{now.isoformat()} {HOLDER}\n")


app = create_app()
app_jobs(app).append(Job("test.tick", timedelta(seconds=1), tick))

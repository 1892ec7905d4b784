"""Periodic jobs that run exactly once per round across every server process.

Each job has a row in `job_leases`. A process runs a job only if it moves the lease's
expiry forward with a conditional UPDATE (`... WHERE expires_at <= now`), which one
process wins per round on SQLite and PostgreSQL alike. The app's jobs are listed in
`app.services.platform.schedule` and given to the app by `init_jobs`; servers start
`run_job_loop` in the background; `run_job_now` serves the CLI.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app
from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite

from app.database import write_transaction
from app.extensions import db
from app.models import JobLease
from app.models.types import utcnow
from app.services.spots.spots import flush_scans

log = logging.getLogger(__name__)

HOLDER = f"{socket.gethostname()}:{os.getpid()}"


JOBS_KEY = "park_mailbox_jobs"


@dataclass(frozen=True)
class Job:
    """A function(now) run every `every`, once across all processes."""

    name: str
    every: timedelta
    function: Callable[[datetime], object]


def init_jobs(app: Flask, jobs: Iterable[Job]) -> None:
    """Give the app its jobs (a test app may append its own to the list)."""
    app.extensions[JOBS_KEY] = list(jobs)


def app_jobs(app: Flask | None = None) -> list[Job]:
    """The jobs of this app, by name order of the schedule."""
    jobs: list[Job] = (app or current_app).extensions[JOBS_KEY]
    return jobs


def _ensure_lease_row(name: str) -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(JobLease)
        .values(name=name, holder="", expires_at=datetime(2000, 1, 1, tzinfo=UTC))
        .on_conflict_do_nothing(index_elements=["name"])
    )


def try_acquire(name: str, every: timedelta, now: datetime) -> bool:
    """Take this round of the job if no process holds it; True if we got it."""
    with write_transaction() as session:
        _ensure_lease_row(name)
        result = session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.expires_at <= now)
            .values(holder=HOLDER, expires_at=now + every, last_started_at=now)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _finish(name: str, error: str | None) -> None:
    with write_transaction() as session:
        session.execute(
            update(JobLease).where(JobLease.name == name)
            .values(last_finished_at=utcnow(), last_error=error)
        )


def run_job_now(name: str, now: datetime | None = None) -> object:
    """Run a job in this process regardless of its lease (CLI, tests)."""
    job = next(job for job in app_jobs() if job.name == name)
    return job.function(now or utcnow())


def run_due_jobs(now: datetime | None = None) -> list[str]:
    """Run every job whose round this process wins; return the names run."""
    now = now or utcnow()
    ran = []
    for job in app_jobs():
        if not try_acquire(job.name, job.every, now):
            continue
        error = None
        try:
            job.function(now)
        except Exception as exc:  # one failing job must not stop the others
            log.exception("job %s failed", job.name)
            error = repr(exc)[:500]
        _finish(job.name, error)
        ran.append(job.name)
    return ran


def run_job_loop(app: Flask, sleep: Callable[[float], object]) -> None:
    """Run due jobs forever (started as a background task by the server process)."""
    names = ", ".join(job.name for job in app_jobs(app)) or "-"
    log.info("job loop started in %s with jobs %s", HOLDER, names)
    while True:
        with app.app_context():
            try:
                flush_scans()  # per process, unlike the jobs: each has its own buffer
                run_due_jobs()
            except Exception:  # the database may be briefly away; try again next round
                log.exception("job loop round failed")
            finally:
                db.session.remove()
        sleep(app.config["JOB_LOOP_SECONDS"])

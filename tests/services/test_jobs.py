"""Periodic jobs run once per round, whoever asks."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from app.models.types import utcnow
from app.services.platform import jobs


@pytest.fixture
def counting_job(app):
    calls = []
    jobs.app_jobs(app).append(jobs.Job("test.count", timedelta(seconds=60), calls.append))
    return calls


def test_a_round_runs_once_however_many_ask(app, counting_job):
    now = utcnow()
    assert "test.count" in jobs.run_due_jobs(now)
    assert "test.count" not in jobs.run_due_jobs(now + timedelta(seconds=30))
    assert len(counting_job) == 1
    assert "test.count" in jobs.run_due_jobs(now + timedelta(seconds=61))
    assert len(counting_job) == 2


def test_concurrent_processes_share_one_round(app, counting_job):
    now = utcnow()
    winners = []

    def contender() -> None:
        with app.app_context():
            winners.append(jobs.try_acquire("test.count", timedelta(seconds=60), now))

    threads = [threading.Thread(target=contender) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(winners) == [False] * 5 + [True]


def test_a_failing_job_is_recorded_and_others_still_run(app, db, counting_job):
    from app.models import JobLease

    def broken(now):
        raise RuntimeError("boom")

    jobs.app_jobs(app).append(jobs.Job("test.broken", timedelta(seconds=60), broken))
    ran = jobs.run_due_jobs(utcnow())
    assert set(ran) >= {"test.broken", "test.count"}
    assert "boom" in db.session.get(JobLease, "test.broken").last_error

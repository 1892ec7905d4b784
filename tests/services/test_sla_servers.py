"""Two real server processes run the SLA timer: a late case is escalated once, not twice."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.models import Event, JobLease, Spot
from app.models.types import utcnow
from app.services.cases.submission import submit_case
from tests.support.servers import prepare_database, running_server, served_database, server_env

pytestmark = pytest.mark.server


def escalation_reasons(app):
    with app.app_context():
        reasons = [event.payload["reason"] for event in db.session.scalars(
            select(Event).where(Event.kind == "case.escalated").order_by(Event.id))]
        db.session.remove()
    return reasons


def test_two_processes_escalate_a_late_case_exactly_once_per_limit(tmp_path):
    url = served_database(tmp_path, "jobs")
    env = server_env(url, tmp_path / "instance", RUN_JOBS="1")
    prepare_database(env)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        spot_id = db.session.scalars(select(Spot.id)).first()
        with time_machine.travel(utcnow() - timedelta(days=3), tick=False):
            submit_case(spot_id=spot_id, category_code="toilets", body="三天没人管了")
        db.session.remove()

    with running_server(env, tmp_path / "one.log") as one,\
            running_server(env, tmp_path / "two.log") as two:
        deadline = time.monotonic() + 30
        while len(escalation_reasons(app)) < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(6)  # more rounds of both job loops (every 5 s)
        assert "job loop started" in one.log()
        assert "job loop started" in two.log()
    assert escalation_reasons(app) == ["claim", "reply"]
    with app.app_context():
        lease = db.session.get(JobLease, "sla.tick")
        assert lease is not None
        assert lease.last_error is None
        db.session.remove()
    with app.app_context():
        db.engine.dispose()

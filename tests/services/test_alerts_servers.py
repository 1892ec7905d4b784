"""Two real server processes run the alert job: each alert reaches its webhook once."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.models import AlertChannel, AlertDelivery, Spot
from app.services.cases.submission import submit_case
from tests.admin.test_channels import WEBHOOK_SECRET, StandIn, stand_in  # noqa: F401 - fixture
from tests.support.servers import prepare_database, running_server, served_database, server_env

pytestmark = pytest.mark.server
CASES = 6


def test_two_processes_deliver_each_alert_once(tmp_path, stand_in: StandIn) -> None:  # noqa: F811
    url = served_database(tmp_path, "alerts")
    env = server_env(url, tmp_path / "instance", RUN_JOBS="1", OUTBOUND_ALLOW_PRIVATE="1")
    prepare_database(env)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        # a spot each: at one spot the later reports would join the first case ("me too")
        spots = db.session.scalars(select(Spot).order_by(Spot.id).limit(CASES)).all()
        assert len(spots) == CASES
        spot = spots[0]
        db.session.add(AlertChannel(unit_id=spot.park.unit_id, kind="webhook",
                                    url=f"{stand_in.base}/hooks/two-processes",
                                    secret=WEBHOOK_SECRET, events="feedback.created"))
        db.session.commit()
        spot_ids = [s.id for s in spots]
        db.session.remove()

    with running_server(env, tmp_path / "one.log") as one,\
            running_server(env, tmp_path / "two.log") as two:
        with app.app_context():
            for number, spot_id in enumerate(spot_ids):
                submit_case(spot_id=spot_id, category_code="toilets",
                            body=f"两个进程 第{number}条")
            db.session.remove()
        deadline = time.monotonic() + 60
        while len(stand_in.accepted("webhook")) < CASES and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(12)  # more rounds of both job loops
        assert "job loop started" in one.log()
        assert "job loop started" in two.log()
    ids = [r.headers["webhook-id"] for r in stand_in.accepted("webhook")]
    assert len(ids) == CASES, ids
    assert len(set(ids)) == CASES
    assert len(stand_in.received) == CASES  # nothing refused, nothing sent twice
    with app.app_context():
        states = db.session.scalars(select(AlertDelivery.state)).all()
        assert states == ["sent"] * CASES
        db.session.remove()
        db.engine.dispose()

"""Two real server processes run the push job: each push reaches the phone once, signed
with the one key of the deployment (created once, in the shared instance folder)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from app import create_app
from app.config import TestingConfig
from app.extensions import db
from app.models import ROLES, Membership, PushDelivery, PushSubscription, Spot, StaffUser
from app.services.accounts.staff import hash_password
from app.services.cases.submission import submit_case
from tests.support.servers import prepare_database, running_server, served_database, server_env
from tests.support.webpush import running_push_service

pytestmark = pytest.mark.server
CASES = 6


def test_two_processes_push_each_case_once(tmp_path) -> None:
    url = served_database(tmp_path, "push")
    env = server_env(url, tmp_path / "instance", RUN_JOBS="1", OUTBOUND_ALLOW_PRIVATE="1",
                     VAPID_SUBJECT="mailto:ops@parks.example.org")
    prepare_database(env)
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=url)
    with running_push_service() as service, app.app_context():
        # a spot each: at one spot the later reports would join the first case ("me too")
        spots = db.session.scalars(select(Spot).order_by(Spot.id).limit(CASES)).all()
        assert len(spots) == CASES
        unit_id = spots[0].park.unit_id
        spot_ids = [s.id for s in spots if s.park.unit_id == unit_id]
        assert len(spot_ids) >= 3
        # one person holding every role of the unit: every new case is theirs, once
        person = StaffUser(email="everyone@ritan.test", name="everyone",
                           password_hash=hash_password("x" * 12))
        person.memberships.extend(Membership(unit_id=unit_id, role=role) for role in ROLES)
        db.session.add(person)
        db.session.flush()
        phone = service.phone("two-processes")
        keys = phone.to_json()["keys"]
        db.session.add(PushSubscription(user_id=person.id, endpoint=phone.endpoint,
                                        p256dh=keys["p256dh"], auth=keys["auth"]))
        db.session.commit()
        db.session.remove()

        with running_server(env, tmp_path / "one.log") as one,\
                running_server(env, tmp_path / "two.log") as two:
            case_ids = [submit_case(spot_id=spot_id, category_code="toilets",
                                    body=f"两个进程 第{number}条").case.id
                        for number, spot_id in enumerate(spot_ids)]
            db.session.remove()
            deadline = time.monotonic() + 60
            while len(service.received) < len(case_ids) and time.monotonic() < deadline:
                time.sleep(0.5)
            time.sleep(8)  # more rounds of both job loops
            assert "job loop started" in one.log()
            assert "job loop started" in two.log()
        pushed = [phone.decrypt(p.body)["case_id"] for p in service.received]
        assert sorted(pushed) == sorted(case_ids)  # each case once, nothing twice
        assert len({p.vapid_key for p in service.received}) == 1  # one key, both processes
        assert db.session.scalars(select(PushDelivery.state)).all() == ["sent"] * len(case_ids)
        db.session.remove()
        db.engine.dispose()

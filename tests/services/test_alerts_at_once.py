"""Staff alerts leave right after the commit that queued them (issue 16): the push and the
webhook of a new case reach their local stand-ins with no job round at all; a refusal
leaves the row in the outbox for the job to retry; the job racing the send at once never
sends a row twice; and a robot's per-minute limit holds with several senders at once.

The sends at once run in a background thread here (threading mode);
`at_once.wait_for_sends` waits for them to end, so no test depends on timing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, current_app
from sqlalchemy import event, select

from app.extensions import db
from app.models import (
    AlertChannel,
    AlertDelivery,
    PushDelivery,
    PushSubscription,
    Spot,
    StaffUser,
    Unit,
)
from app.models.types import utcnow
from app.services.notify import at_once, channels, push
from app.services.notify.channels import PER_MINUTE, send_due_alerts
from app.services.notify.push import send_due_pushes
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.robots import WEBHOOK_SECRET, StandIn, running_robot_stand_in
from tests.support.webpush import Phone, PushService, running_push_service

pytestmark = pytest.mark.config(ALERTS_AT_ONCE=True)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with running_push_service() as service:
        yield service


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with running_robot_stand_in() as state:
        yield state


@pytest.fixture(autouse=True)
def key_file(app: Flask, tmp_path: Path) -> Path:
    path = tmp_path / "instance" / "vapid_private_key.pem"
    app.config["VAPID_KEY_FILE"] = str(path)
    return path


def phones_of(app: Flask, person: StaffUser, service: PushService, count: int) -> list[Phone]:
    """`count` phones of the person, subscribed through the contract's endpoint."""
    client = app.test_client()
    assert log_in(client, person.email).status_code == 303
    token = csrf_token(client, "/staff/password")
    phones = [service.phone(f"{person.id}-{number}") for number in range(count)]
    for phone in phones:
        answer = client.post("/staff/push/subscriptions", json=phone.to_json(),
                             headers={"X-CSRFToken": token})
        assert answer.status_code == 201
    return phones


@pytest.fixture
def cleaner(unit: Unit) -> StaffUser:
    return make_staff(unit, "cleaner@rt.test", roles=("cleaning",))


@pytest.fixture
def no_job(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outbox jobs must not run: a send here can only be the one at once."""
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("the job ran")
    monkeypatch.setattr(push, "send_due_pushes", refuse)
    monkeypatch.setattr(channels, "send_due_alerts", refuse)


def webhook(unit: Unit, stand_in: StandIn) -> AlertChannel:
    channel = AlertChannel(unit_id=unit.id, kind="webhook", url=f"{stand_in.base}/hooks/pm",
                           secret=WEBHOOK_SECRET, events="feedback.created")
    db.session.add(channel)
    db.session.commit()
    return channel


def rows(model: Any) -> list[Any]:
    db.session.commit()
    return list(db.session.scalars(select(model).order_by(model.id)))


def test_a_new_case_reaches_the_phone_and_the_webhook_without_the_job(
        app: Flask, unit: Unit, spot: Spot, cleaner: StaffUser, push_service: PushService,
        stand_in: StandIn, no_job: None) -> None:
    (phone,) = phones_of(app, cleaner, push_service, 1)
    webhook(unit, stand_in)
    receipt = make_case(spot, body="厕所没有纸了")
    at_once.wait_for_sends(app)
    (got,) = push_service.for_phone(phone)
    message = phone.decrypt(got.body)
    assert (message["type"], message["case_id"]) == ("feedback.created", receipt.case.id)
    (delivery,) = rows(PushDelivery)
    assert (delivery.state, delivery.attempts) == ("sent", 1)
    (hook,) = stand_in.accepted("webhook")
    (alert,) = rows(AlertDelivery)
    assert hook.headers["webhook-id"] == f"msg_alert_{alert.id}"
    assert (alert.state, alert.attempts) == ("sent", 1)


def test_nothing_leaves_at_once_when_it_is_switched_off(
        app: Flask, spot: Spot, cleaner: StaffUser, push_service: PushService) -> None:
    phones_of(app, cleaner, push_service, 1)
    app.config["ALERTS_AT_ONCE"] = False
    make_case(spot, body="厕所没有纸了")
    at_once.wait_for_sends(app)
    assert push_service.received == []
    assert send_due_pushes() == push.PushReport(sent=1)  # the job still sends it


def test_a_rolled_back_alert_is_not_sent(
        app: Flask, spot: Spot, cleaner: StaffUser, push_service: PushService) -> None:
    (phone,) = phones_of(app, cleaner, push_service, 1)
    subscription_id = rows(PushSubscription)[0].id
    db.session.add(PushDelivery(subscription_id=subscription_id, case_id=None, event="test",
                                payload={"type": "test"}, urgent=False, state="pending",
                                attempts=0, next_attempt_at=utcnow()))
    db.session.flush()
    db.session.rollback()
    make_case(spot, body="厕所没有纸了")  # a later commit in the same session
    at_once.wait_for_sends(app)
    (got,) = push_service.for_phone(phone)
    assert phone.decrypt(got.body)["type"] == "feedback.created"


def test_a_refused_push_stays_for_the_job_to_retry(
        app: Flask, spot: Spot, cleaner: StaffUser, push_service: PushService) -> None:
    (phone,) = phones_of(app, cleaner, push_service, 1)
    push_service.answers = [503]
    before = utcnow()
    make_case(spot, body="厕所没有纸了")
    at_once.wait_for_sends(app)
    assert push_service.received == []
    (delivery,) = rows(PushDelivery)
    assert (delivery.state, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "DomainError: HTTP 503"
    assert delivery.next_attempt_at > before
    assert send_due_pushes(before) == push.PushReport()  # backing off: not due yet
    assert send_due_pushes(delivery.next_attempt_at) == push.PushReport(sent=1)
    assert len(push_service.for_phone(phone)) == 1


def run_side_by_side(*senders: Callable[[], object]) -> None:
    """Each sender in a thread of its own with an app context, all started together."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    start = threading.Barrier(len(senders))
    errors: list[BaseException] = []

    def run(sender: Callable[[], object]) -> None:
        with app.app_context():
            try:
                start.wait()
                sender()
            except BaseException as error:  # reported by the test below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(sender,)) for sender in senders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_the_job_racing_the_send_at_once_sends_each_row_once(
        app: Flask, unit: Unit, spot: Spot, cleaner: StaffUser, push_service: PushService,
        stand_in: StandIn) -> None:
    phones = phones_of(app, cleaner, push_service, 6)
    phones += phones_of(app, make_staff(unit, "c2@rt.test", roles=("cleaning",)),
                        push_service, 6)
    webhook(unit, stand_in)
    bodies = ["厕所没有纸了", "洗手池的水龙头一直漏水", "男厕所的门锁坏了打不开"]
    for body in bodies:  # three cases (different problems: none joins another)
        make_case(spot, body=body)  # each starts its send at once
        run_side_by_side(send_due_pushes, send_due_pushes, send_due_alerts, send_due_alerts)
    at_once.wait_for_sends(app)
    send_due_pushes()
    send_due_alerts()
    states = [(d.id, d.state, d.attempts, d.last_error) for d in rows(PushDelivery)]
    for phone in phones:
        got = push_service.for_phone(phone)
        assert sorted(phone.decrypt(p.body)["body"] for p in got) == sorted(bodies), states
    assert {(d.state, d.attempts) for d in rows(PushDelivery)} == {("sent", 1)}
    hooks = stand_in.accepted("webhook")
    assert len(hooks) == 3
    assert len({hook.headers["webhook-id"] for hook in hooks}) == 3
    assert {(d.state, d.attempts) for d in rows(AlertDelivery)} == {("sent", 1)}


# the pushes are written here, not sent: no send at once may take them (nor outlive the
# test, holding a connection of the pool the test's end disposes of)
@pytest.mark.config(ALERTS_AT_ONCE=False)
def test_two_batches_of_one_persons_pushes_record_their_outcomes_without_a_deadlock(
        app: Flask, cleaner: StaffUser, push_service: PushService) -> None:
    """The job and a send at once record two batches of the same two phones, each batch
    in the other order (as it came). Each pauses after its first write to a phone's row
    until the other has made its own (or a second has passed): on PostgreSQL, without one
    locking order, each then waits for the row the other holds (a deadlock, seen in a
    loaded `make test`). The batches are written here directly, so the order is sure."""
    phones_of(app, cleaner, push_service, 2)
    first, second = (subscription.id for subscription in rows(PushSubscription))
    pushes = [PushDelivery(subscription_id=phone, case_id=None, event="test")
              for phone in (first, second, second, first)]
    db.session.add_all(pushes)
    db.session.commit()
    batches = [[push._Attempt(d.id, d.subscription_id) for d in pushes[:2]],
               [push._Attempt(d.id, d.subscription_id) for d in pushes[2:]]]
    both_wrote = threading.Barrier(2)
    paused: set[int] = set()

    def pause_after_the_first_phone(_conn: Any, _cursor: Any, statement: str,
                                    *_rest: Any) -> None:
        if statement.startswith("UPDATE push_subscriptions") and \
                threading.get_ident() not in paused:
            paused.add(threading.get_ident())
            try:
                both_wrote.wait(timeout=1)
            except threading.BrokenBarrierError:  # the other waits for our lock: go on
                pass

    states: list[dict[int, str]] = []
    event.listen(db.engine, "after_cursor_execute", pause_after_the_first_phone)
    try:
        run_side_by_side(*(lambda batch=batch: states.append(push._record(batch, utcnow()))
                           for batch in batches))
    finally:
        event.remove(db.engine, "after_cursor_execute", pause_after_the_first_phone)
    assert sorted(state for recorded in states for state in recorded.values()) == ["sent"] * 4
    assert {d.state for d in rows(PushDelivery)} == {"sent"}


def test_a_robot_keeps_its_rate_with_senders_side_by_side(
        app: Flask, unit: Unit, stand_in: StandIn) -> None:
    channel = AlertChannel(unit_id=unit.id, kind="wecom",
                           url=f"{stand_in.base}/cgi-bin/webhook/send?key=k",
                           events="feedback.created")
    db.session.add(channel)
    db.session.flush()
    now = utcnow()
    for number in range(PER_MINUTE + 5):
        db.session.add(AlertDelivery(channel_id=channel.id, case_id=None, event="test",
                                     payload={"type": "test", "case_id": None, "reference": "",
                                              "url": "http://x/staff/", "title": f"t{number}",
                                              "body": "b"},
                                     state="pending", attempts=0, next_attempt_at=now))
    db.session.commit()
    run_side_by_side(*[lambda: send_due_alerts(now)] * 3)
    at_once.wait_for_sends(app)
    assert len(stand_in.accepted("wecom")) == PER_MINUTE
    waiting = [d for d in rows(AlertDelivery) if d.state == "pending"]
    assert len(waiting) == 5
    assert all(d.attempts == 0 for d in waiting)  # queued, never dropped


def test_the_webhook_does_not_wait_behind_the_phones(
        app: Flask, unit: Unit, spot: Spot, cleaner: StaffUser, push_service: PushService,
        stand_in: StandIn, no_job: None, monkeypatch: pytest.MonkeyPatch,
        separate_cases: Unit) -> None:
    # the phones' sends at once are all busy (a slow push service; here one task at most):
    # the next case's webhook still leaves at once; its pushes wait for the job loop.
    # Behind a thousand phones a webhook waited for the job's next round (bench/alerts.py)
    monkeypatch.setattr(at_once, "MAX_TASKS", {**at_once.MAX_TASKS, "phones": 1})
    phones_of(app, cleaner, push_service, 2)
    webhook(unit, stand_in)
    push_service.hold = 0.5
    first = make_case(spot, body="厕所没有纸了")
    second = make_case(spot, body="厕所没有纸了")  # a case of its own ("me too" off)
    at_once.wait_for_sends(app)
    hooked = {hook.body["data"]["case_id"] for hook in stand_in.accepted("webhook")}
    assert hooked == {first.case.id, second.case.id}
    assert len(push_service.received) == 2  # the first case's; the second's wait
    assert {row.state for row in rows(PushDelivery)} == {"sent", "pending"}

"""Alert channels (/admin/channels): a director connects WeCom, DingTalk and Feishu group
robots and Standard Webhooks endpoints; new cases reach them from the outbox.

Each vendor is played by a local stand-in (tests/support/robots.py) that checks what the
vendor documents: the body's shape and, for DingTalk ("加签") and Feishu, the signature;
the webhook receiver verifies the Standard Webhooks signature with the `standardwebhooks`
package. A request with a wrong signature is refused as the vendor refuses it, so a wrong
signer fails here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AlertChannel, AlertDelivery, Park, Spot, StaffUser, Unit
from app.models.types import utcnow
from app.security import new_spot_code
from app.services.cases.operations import reply_to_visitor
from app.services.cases.sla import escalate_overdue_cases
from app.services.cases.tracking import report_not_fixed
from app.services.notify.channels import PER_MINUTE, send_due_alerts
from tests.admin.helpers import audit_entries, submit
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.robots import (
    DINGTALK_SECRET,
    FEISHU_SECRET,
    WEBHOOK_SECRET,
    StandIn,
    running_robot_stand_in,
)


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with running_robot_stand_in() as state:
        yield state


def _connect(client: FlaskClient, **fields: Any) -> Any:
    return submit(client, "/admin/channels", fields)


def _urls(stand_in: StandIn) -> dict[str, str]:
    return {"wecom": f"{stand_in.base}/cgi-bin/webhook/send?key=wecom-key-1",
            "dingtalk": f"{stand_in.base}/robot/send?access_token=ding-token-1",
            "feishu": f"{stand_in.base}/open-apis/bot/v2/hook/feishu-hook-1",
            "webhook": f"{stand_in.base}/hooks/park-mailbox"}


def _connect_all(client: FlaskClient, stand_in: StandIn) -> None:
    urls = _urls(stand_in)
    for kind, secret in (("wecom", ""), ("dingtalk", DINGTALK_SECRET),
                         ("feishu", FEISHU_SECRET), ("webhook", WEBHOOK_SECRET)):
        response = _connect(client, kind=kind, url=urls[kind], secret=secret)
        assert response.status_code == 303, response.get_data(as_text=True)[:500]


def test_a_new_case_reaches_each_robot_and_webhook_signed_as_documented(
        app: Flask, staff_client: FlaskClient, stand_in: StandIn, spot: Spot) -> None:
    _connect_all(staff_client, stand_in)
    assert len(audit_entries("channel.added")) == 4
    case = make_case(spot, body="北门厕所没有纸了，电话 13812345678", contact="visitor@example.org"
                     ).case
    # nothing is sent inside the submission: it waits in the outbox
    assert stand_in.received == []
    report = send_due_alerts()
    assert report.sent == 4, [(r.vendor, r.accepted) for r in stand_in.received]
    for vendor in ("wecom", "dingtalk", "feishu", "webhook"):
        (got,) = stand_in.accepted(vendor)
        text = json.dumps(got.body, ensure_ascii=False)
        assert "北门厕所" in text, vendor  # the spot
        assert "厕所与保洁" in text, vendor  # the category
        assert "没有纸了" in text, vendor  # the excerpt
        assert f"/staff/cases/{case.id}" in text, vendor  # the link to the case
        # never a visitor's contact, not even one written into the message
        assert "visitor@example.org" not in text, vendor
        assert "13812345678" not in text, vendor
    webhook = stand_in.accepted("webhook")[0]
    webhook_delivery = db.session.scalars(
        select(AlertDelivery.id).join(AlertChannel).where(AlertChannel.kind == "webhook")).one()
    # the webhook-id is the outbox row's: the same on a retry, so a receiver drops repeats
    assert webhook.headers["webhook-id"] == f"msg_alert_{webhook_delivery}"
    assert webhook.body["type"] == "feedback.created"
    assert webhook.body["data"]["case_id"] == case.id
    # sent once: a second round finds nothing due
    assert send_due_alerts().sent == 0
    assert len(stand_in.received) == 4


def test_a_wrong_signature_is_refused_kept_and_shown_as_failing(
        app: Flask, staff_client: FlaskClient, stand_in: StandIn, spot: Spot) -> None:
    urls = _urls(stand_in)
    wrong_webhook = "whsec_" + base64.b64encode(b"w" * 32).decode()
    for kind, secret in (("dingtalk", "SEC" + "0" * 60), ("feishu", "not-the-secret"),
                         ("webhook", wrong_webhook)):
        assert _connect(staff_client, kind=kind, url=urls[kind],
                        secret=secret).status_code == 303
    make_case(spot)
    report = send_due_alerts()
    assert report.sent == 0
    assert report.retrying == 3
    assert {r.vendor for r in stand_in.received} == {"dingtalk", "feishu", "webhook"}
    assert not any(r.accepted for r in stand_in.received)
    deliveries = db.session.scalars(select(AlertDelivery)).all()
    assert {d.state for d in deliveries} == {"pending"}  # kept, to be tried again
    assert all(d.next_attempt_at > utcnow() for d in deliveries)
    page = staff_client.get("/admin/channels").get_data(as_text=True)
    assert page.count("is-failing") == 3
    assert "sign not match" in page
    assert "HTTP 401" in page
    assert "19021" in page


def test_a_failing_channel_never_blocks_a_submission_and_delivers_when_it_is_back(
        app: Flask, client: FlaskClient, staff: StaffUser, stand_in: StandIn,
        spot: Spot) -> None:
    dead = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    dead_port = dead.server_address[1]
    dead.server_close()  # nothing listens there now
    channel = AlertChannel(unit_id=spot.park.unit_id, kind="wecom",
                           url=f"http://127.0.0.1:{dead_port}/cgi-bin/webhook/send?key=k",
                           events="feedback.created")
    db.session.add(channel)
    db.session.commit()
    response = client.post(f"/q/{spot.code}", data={
        "csrf_token": csrf_token(client, f"/q/{spot.code}"), "category": "toilets",
        "body": "洗手池漏水"})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:300]
    assert send_due_alerts().retrying == 1
    (delivery,) = db.session.scalars(select(AlertDelivery)).all()
    assert delivery.state == "pending"
    assert "Error" in (delivery.last_error or "")
    # the robot is reachable again: the same alert goes out at its next attempt
    channel.url = f"{stand_in.base}/cgi-bin/webhook/send?key=k"
    db.session.commit()
    assert send_due_alerts(utcnow() + timedelta(minutes=2)).sent == 1
    (got,) = stand_in.accepted("wecom")
    assert "洗手池漏水" in got.body["markdown"]["content"]


def test_send_a_test_message(app: Flask, staff_client: FlaskClient, stand_in: StandIn) -> None:
    assert _connect(staff_client, kind="webhook", url=_urls(stand_in)["webhook"]
                    ).status_code == 303
    channel = db.session.scalars(select(AlertChannel)).one()
    assert channel.secret
    assert channel.secret.startswith("whsec_")
    page = staff_client.get("/admin/channels").get_data(as_text=True)
    assert channel.secret in page  # the director copies it to the receiver
    response = submit(staff_client, f"/admin/channels/{channel.id}/test", {},
                      form_url="/admin/channels")
    assert response.status_code == 303
    # the receiver verifies with its own copy of the secret
    stand_in.webhook_secret = channel.secret
    assert send_due_alerts().sent == 1
    (got,) = stand_in.accepted("webhook")
    assert got.body["type"] == "test"
    page = staff_client.get("/admin/channels").get_data(as_text=True)
    assert "Working" in page or "正常" in page


def test_a_park_channel_gets_only_its_park_and_chosen_events(
        app: Flask, staff_client: FlaskClient, stand_in: StandIn, unit: Unit) -> None:
    other_park = Park(unit_id=unit.id, name_zh="第二公园", name_en="Second Park")
    other_park.spots.append(Spot(code=new_spot_code(), name_zh="南门", name_en="South gate"))
    db.session.add(other_park)
    db.session.commit()
    first_park = unit.parks[0]
    assert _connect(staff_client, kind="wecom", url=_urls(stand_in)["wecom"],
                    park_id=str(first_park.id)).status_code == 303
    make_case(other_park.spots[0], body="南门的灯坏了")
    make_case(first_park.spots[0], body="北门的椅子坏了")
    assert send_due_alerts().sent == 1
    (got,) = stand_in.accepted("wecom")
    assert "北门的椅子坏了" in got.body["markdown"]["content"]


def test_a_robot_beyond_its_rate_waits_and_is_never_dropped(
        app: Flask, unit: Unit, stand_in: StandIn) -> None:
    channel = AlertChannel(unit_id=unit.id, kind="wecom",
                           url=f"{stand_in.base}/cgi-bin/webhook/send?key=k",
                           events="feedback.created")
    db.session.add(channel)
    db.session.flush()
    now = utcnow()
    for number in range(PER_MINUTE + 3):
        db.session.add(AlertDelivery(channel_id=channel.id, case_id=None, event="test",
                                     payload={"type": "test", "case_id": None, "reference": "",
                                              "url": "http://x/staff/", "title": f"t{number}",
                                              "body": "b"},
                                     state="pending", attempts=0, next_attempt_at=now))
    db.session.commit()
    assert send_due_alerts(now).sent == PER_MINUTE
    waiting = db.session.scalars(select(AlertDelivery).where(AlertDelivery.state == "pending")
                                 ).all()
    assert len(waiting) == 3
    assert all(d.attempts == 0 for d in waiting)
    assert send_due_alerts(now + timedelta(minutes=2)).sent == 3


@pytest.mark.parametrize(("kind", "url", "reason"), [
    ("wecom", "http://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k", "https://"),
    ("wecom", "https://evil.example.org/cgi-bin/webhook/send?key=k", "qyapi.weixin.qq.com"),
    ("dingtalk", "https://example.org/robot/send?access_token=t", "oapi.dingtalk.com"),
    ("webhook", "https://127.0.0.1/hook", "公网"),
    ("webhook", "https://10.1.2.3/hook", "公网"),
])
def test_outside_development_a_robot_url_must_be_https_to_its_vendor(
        app: Flask, staff_client: FlaskClient, kind: str, url: str, reason: str) -> None:
    app.config["OUTBOUND_ALLOW_PRIVATE"] = False
    token = csrf_token(staff_client, "/admin/channels")
    with nothing_stored(url):
        response = staff_client.post("/admin/channels", data={
            "kind": kind, "url": url, "secret": "", "csrf_token": token})
    assert response.status_code == 400
    assert reason in response.get_data(as_text=True)


def test_production_refuses_outbound_allow_private() -> None:
    from app.config import ProductionConfig
    with pytest.raises(RuntimeError, match="OUTBOUND_ALLOW_PRIVATE"):
        ProductionConfig.finalize({"SECRET_KEY": "x" * 40, "OUTBOUND_ALLOW_PRIVATE": True,
                                   "SESSION_MAX_HOURS": 12})


def test_another_units_channel_is_not_found(app: Flask, staff_client: FlaskClient,
                                            other_unit: Unit) -> None:
    make_staff(other_unit, "director@xy.test")
    theirs = AlertChannel(unit_id=other_unit.id, kind="webhook",
                          url="https://hooks.example.org/xy", secret=WEBHOOK_SECRET,
                          events="feedback.created")
    db.session.add(theirs)
    db.session.commit()
    token = csrf_token(staff_client, "/admin/channels")
    with nothing_stored("a test message to another unit's channel"):
        response = staff_client.post(f"/admin/channels/{theirs.id}/test",
                                     data={"csrf_token": token})
    assert response.status_code == 404


def test_a_failing_channel_is_shown_in_the_directors_inbox_until_it_works_again(
        app: Flask, staff_client: FlaskClient, stand_in: StandIn, unit: Unit,
        spot: Spot) -> None:
    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    guard_client = app.test_client()
    assert log_in(guard_client, guard.email).status_code == 303
    assert _connect(staff_client, kind="dingtalk", url=_urls(stand_in)["dingtalk"],
                    secret="SEC" + "0" * 60).status_code == 303
    assert 'id="failing-channels"' not in staff_client.get("/staff/").get_data(as_text=True)
    make_case(spot)
    assert send_due_alerts().retrying == 1
    inbox = staff_client.get("/staff/").get_data(as_text=True)
    assert 'id="failing-channels"' in inbox
    assert "/admin/channels" in inbox
    # only directors are told (the page they would fix it on is theirs)
    assert 'id="failing-channels"' not in guard_client.get("/staff/").get_data(as_text=True)
    # the secret is corrected: the kept alert goes out and the warning is gone
    channel = db.session.scalars(select(AlertChannel)).one()
    channel.secret = DINGTALK_SECRET
    db.session.commit()
    assert send_due_alerts(utcnow() + timedelta(minutes=2)).sent == 1
    assert 'id="failing-channels"' not in staff_client.get("/staff/").get_data(as_text=True)


def test_flask_notify_alerts_sends_what_is_due(app: Flask, unit: Unit, spot: Spot,
                                               stand_in: StandIn) -> None:
    db.session.add(AlertChannel(unit_id=unit.id, kind="wecom",
                                url=f"{stand_in.base}/cgi-bin/webhook/send?key=k",
                                events="feedback.created"))
    db.session.commit()
    make_case(spot, body="长椅坏了")
    result = app.test_cli_runner().invoke(args=["notify", "alerts"])
    assert result.exit_code == 0, result.output
    assert "sent 1, to retry 0, failed 0" in result.output
    (got,) = stand_in.accepted("wecom")
    assert "长椅坏了" in got.body["markdown"]["content"]


def test_reopened_and_escalated_cases_go_to_the_channels_that_chose_them(
        app: Flask, unit: Unit, spot: Spot, staff: StaffUser, stand_in: StandIn) -> None:
    urls = _urls(stand_in)
    db.session.add_all([
        AlertChannel(unit_id=unit.id, kind="wecom", url=urls["wecom"],
                     events="feedback.created"),
        AlertChannel(unit_id=unit.id, kind="webhook", url=urls["webhook"],
                     secret=WEBHOOK_SECRET, events="case.reopened case.escalated"),
    ])
    db.session.commit()
    receipt = make_case(spot, body="垃圾桶满了")
    assert escalate_overdue_cases(utcnow() + timedelta(days=3)) >= 1
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="已清理", new_status="resolved")
    report_not_fixed(token=receipt.token)
    # sent now (a webhook's timestamp is the sending time: a receiver refuses one days off)
    report = send_due_alerts()
    assert report.sent == len(stand_in.received)
    assert report.retrying == 0
    (new_case,) = stand_in.accepted("wecom")  # only the new case
    assert "垃圾桶满了" in new_case.body["markdown"]["content"]
    kinds = {r.body["type"] for r in stand_in.accepted("webhook")}
    assert kinds == {"case.escalated", "case.reopened"}
    for got in stand_in.accepted("webhook"):
        assert got.body["data"]["case_id"] == receipt.case.id
        assert "垃圾桶满了" in got.body["data"]["body"]


def test_an_urgent_only_channel_gets_the_urgent_new_cases_only(
        app: Flask, staff_client: FlaskClient, stand_in: StandIn, unit: Unit,
        spot: Spot) -> None:
    noise = next(c for c in unit.categories if c.code == "noise")
    noise.urgent = True
    db.session.commit()
    assert _connect(staff_client, kind="wecom", url=_urls(stand_in)["wecom"],
                    events="feedback.urgent").status_code == 303
    channel = db.session.scalars(select(AlertChannel)).one()
    assert channel.events == "feedback.urgent"
    make_case(spot, category_code="toilets", body="厕所没有纸了")
    make_case(spot, category_code="noise", body="广场舞太吵了")
    assert send_due_alerts().sent == 1
    (got,) = stand_in.accepted("wecom")
    assert "广场舞太吵了" in got.body["markdown"]["content"]

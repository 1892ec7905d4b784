"""Web Push to staff phones: the contract endpoints, and pushes from the outbox to a
local push service.

The push service stand-in does what a real one does before it takes a message: it
verifies the VAPID token (RFC 8292: an ES256 JWT signed by the key in `k`, for its own
origin, expiring within 24 hours) and refuses a request without TTL. The test then plays
the browser: it holds the subscription's private key and decrypts the body as RFC 8291
says (aes128gcm), with http_ece, so a wrong key, a wrong encoding or a wrong token fails.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.extensions import db
from app.models import PushDelivery, PushSubscription, Spot, StaffUser, Unit
from app.models.types import utcnow
from app.services.cases.operations import reply_to_visitor
from app.services.cases.sla import escalate_overdue_cases
from app.services.cases.tracking import report_not_fixed
from app.services.notify import push
from app.services.notify.push import send_due_pushes
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.webpush import Phone, PushService, b64url, running_push_service, unb64url

SUBJECT = "mailto:ops@parks.example.org"
pytestmark = pytest.mark.config(VAPID_SUBJECT=SUBJECT)


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with running_push_service() as service:
        yield service


@pytest.fixture(autouse=True)
def key_file(app: Flask, tmp_path: Path) -> Path:
    """The deployment's key in this test's instance folder (created on first use)."""
    path = tmp_path / "instance" / "vapid_private_key.pem"
    app.config["VAPID_KEY_FILE"] = str(path)
    return path


def logged_in(app: Flask, user: StaffUser) -> tuple[FlaskClient, str]:
    client = app.test_client()
    assert log_in(client, user.email).status_code == 303
    return client, csrf_token(client, "/staff/password")


def subscribe(client: FlaskClient, token: str, body: Any) -> Any:
    return client.post("/staff/push/subscriptions", json=body, headers={"X-CSRFToken": token})


def subscriptions() -> list[PushSubscription]:
    db.session.commit()
    return list(db.session.scalars(select(PushSubscription).order_by(PushSubscription.id)))


# --- the key ---------------------------------------------------------------------------

def test_the_key_is_made_once_and_served_as_an_uncompressed_point(
        app: Flask, staff_client: FlaskClient, key_file: Path) -> None:
    assert not key_file.exists()
    answer = staff_client.get("/staff/push/key")
    assert answer.status_code == 200
    public = answer.get_json()["publicKey"]
    point = unb64url(public)
    assert len(point) == 65
    assert point[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    assert key_file.exists()
    assert key_file.stat().st_mode & 0o077 == 0
    # another process (no cache) reads the same key; the CLI prints it
    push._load_vapid.cache_clear()
    assert staff_client.get("/staff/push/key").get_json()["publicKey"] == public
    result = app.test_cli_runner().invoke(args=["push", "keys"])
    assert result.exit_code == 0, result.output
    assert public in result.output


def test_threads_making_the_key_at_once_agree_on_one(key_file: Path) -> None:
    # CI once failed here: two threads of one process wrote and removed the same draft
    start = threading.Barrier(8)
    failures: list[BaseException] = []

    def make() -> None:
        start.wait()
        try:
            push._create_key_file(key_file)
        except BaseException as error:  # noqa: BLE001 - collected for the assertion
            failures.append(error)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]
    assert key_file.stat().st_mode & 0o077 == 0
    serialization.load_pem_private_key(key_file.read_bytes(), password=None)


def test_a_configured_private_key_wins(app: Flask, staff_client: FlaskClient,
                                       key_file: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    raw = key.private_numbers().private_value.to_bytes(32, "big")
    app.config["VAPID_PRIVATE_KEY"] = b64url(raw)
    expected = key.public_key().public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint)
    assert staff_client.get("/staff/push/key").get_json() == {"publicKey": b64url(expected)}
    assert not key_file.exists()


def test_the_key_needs_a_login(client: FlaskClient) -> None:
    answer = client.get("/staff/push/key")
    assert answer.status_code == 302
    assert "/staff/login" in answer.headers["Location"]


# --- the subscriptions -----------------------------------------------------------------

def test_subscribe_again_and_unsubscribe(app: Flask, unit: Unit, staff: StaffUser,
                                         push_service: PushService) -> None:
    client, token = logged_in(app, staff)
    phone, tablet = push_service.phone("a"), push_service.phone("b")
    assert subscribe(client, token, phone.to_json()).status_code == 201
    assert subscribe(client, token, phone.to_json()).status_code == 200
    assert [s.endpoint for s in subscriptions()] == [phone.endpoint]
    assert subscribe(client, token, tablet.to_json()).status_code == 201  # several phones
    assert [s.user_id for s in subscriptions()] == [staff.id, staff.id]
    answer = client.delete("/staff/push/subscriptions", json={"endpoint": phone.endpoint},
                           headers={"X-CSRFToken": token})
    assert answer.status_code == 204
    assert [s.endpoint for s in subscriptions()] == [tablet.endpoint]


def test_no_subscription_without_the_csrf_header_or_a_login(
        app: Flask, unit: Unit, staff: StaffUser, push_service: PushService) -> None:
    client, _token = logged_in(app, staff)
    with nothing_stored("no CSRF header"):
        answer = client.post("/staff/push/subscriptions", json=push_service.phone("a").to_json())
        assert answer.status_code == 400
    with nothing_stored("no login"):
        answer = app.test_client().post("/staff/push/subscriptions",
                                        json=push_service.phone("a").to_json())
        assert answer.status_code in (400, 302)


def _bad_bodies() -> dict[str, Any]:
    good = Phone("https://fcm.googleapis.com/fcm/send/abc").to_json()
    return {
        "not JSON": "endpoint=x",
        "a list": [good],
        "no keys": {"endpoint": good["endpoint"]},
        "keys not an object": {**good, "keys": "p256dh"},
        "no auth": {**good, "keys": {"p256dh": good["keys"]["p256dh"]}},
        "auth too short": {**good, "keys": {**good["keys"], "auth": b64url(b"x" * 8)}},
        "p256dh not base64url": {**good, "keys": {**good["keys"], "p256dh": "*&^%"}},
        "p256dh not a point": {**good, "keys": {**good["keys"], "p256dh": b64url(b"\x04" * 65)}},
        "endpoint not a URL": {**good, "endpoint": "not a url"},
        "endpoint a number": {**good, "endpoint": 12},
        "endpoint javascript:": {**good, "endpoint": "javascript:alert(1)"},
        "endpoint too long": {**good, "endpoint": "https://push.example.com/" + "a" * 1000},
        "endpoint bad port": {**good, "endpoint": "https://push.example.com:99999999/x"},
    }


@pytest.mark.parametrize("case", list(_bad_bodies()))
def test_bad_subscriptions_are_400_and_store_nothing(app: Flask, unit: Unit, staff: StaffUser,
                                                     case: str) -> None:
    client, token = logged_in(app, staff)
    body = _bad_bodies()[case]
    with nothing_stored(case):
        if isinstance(body, str):
            answer = client.post("/staff/push/subscriptions", data=body,
                                 headers={"X-CSRFToken": token})
        else:
            answer = subscribe(client, token, body)
        assert answer.status_code == 400, case
        assert "error" in answer.get_json()


@pytest.mark.config(VAPID_SUBJECT=SUBJECT, OUTBOUND_ALLOW_PRIVATE=False)
@pytest.mark.parametrize("endpoint", ["https://127.0.0.1/push/x", "https://10.1.2.3/x",
                                      "https://localhost/x", "https://[::1]/x",
                                      "http://fcm.googleapis.com/fcm/send/abc"])
def test_in_production_a_private_or_plain_http_endpoint_is_refused(
        app: Flask, unit: Unit, staff: StaffUser, endpoint: str) -> None:
    client, token = logged_in(app, staff)
    with nothing_stored(endpoint):
        assert subscribe(client, token, Phone(endpoint).to_json()).status_code == 400
    # a public push service is taken
    answer = subscribe(client, token, Phone("https://fcm.googleapis.com/fcm/send/a").to_json())
    assert answer.status_code == 201


def test_a_phone_that_changes_hands_follows_the_last_login(
        app: Flask, unit: Unit, staff: StaffUser, push_service: PushService) -> None:
    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    phone = push_service.phone("shared")
    first, first_token = logged_in(app, staff)
    second, second_token = logged_in(app, guard)
    assert subscribe(first, first_token, phone.to_json()).status_code == 201
    assert subscribe(second, second_token, phone.to_json()).status_code == 200
    assert [s.user_id for s in subscriptions()] == [guard.id]
    # the first person cannot remove the guard's phone by its endpoint
    first.delete("/staff/push/subscriptions", json={"endpoint": phone.endpoint},
                 headers={"X-CSRFToken": first_token})
    assert [s.user_id for s in subscriptions()] == [guard.id]


# --- renewal by the service worker (pushsubscriptionchange) -----------------------------

RENEW = "/staff/push/subscriptions/renew"


def renew(client: FlaskClient, old: Phone, token: str | None, fresh: dict[str, Any]) -> Any:
    """What sw.js posts: no session cookie (credentials "omit"), no CSRF token."""
    body: dict[str, Any] = {"oldEndpoint": old.endpoint, "subscription": fresh}
    if token is not None:
        body["renewToken"] = token
    return client.post(RENEW, json=body)


def test_subscribing_hands_the_phone_a_renewal_token_kept_only_as_a_hash(
        app: Flask, unit: Unit, staff: StaffUser, push_service: PushService) -> None:
    client, token = logged_in(app, staff)
    phone = push_service.phone("a")
    first = subscribe(client, token, phone.to_json()).get_json()["renewToken"]
    (stored,) = subscriptions()
    assert stored.renew_token_hash == hashlib.sha256(first.encode()).hexdigest()
    # subscribing again (the page opened anew) replaces it: the old one no longer renews
    second = subscribe(client, token, phone.to_json()).get_json()["renewToken"]
    assert second != first
    fresh = push_service.phone("a2").to_json()
    assert renew(app.test_client(), phone, first, fresh).status_code == 403
    assert renew(app.test_client(), phone, second, fresh).status_code == 200


def test_a_rotated_subscription_is_replaced_and_the_alerts_follow_it(
        app: Flask, unit: Unit, spot: Spot, staff: StaffUser,
        push_service: PushService) -> None:
    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    client, token = logged_in(app, guard)
    old, rotated = push_service.phone("old"), push_service.phone("rotated")
    renew_token = subscribe(client, token, old.to_json()).get_json()["renewToken"]
    make_case(spot, category_code="noise", body="很吵")  # queued for the old subscription
    (before,) = subscriptions()

    answer = renew(app.test_client(), old, renew_token, rotated.to_json())
    assert answer.status_code == 200
    assert answer.get_json()["endpoint"] == rotated.endpoint
    (after,) = subscriptions()
    assert (after.id, after.user_id, after.endpoint) == (before.id, guard.id, rotated.endpoint)
    # the push queued before the rotation goes to the new subscription, readable there
    assert send_due_pushes() == push.PushReport(sent=1)
    assert push_service.for_phone(old) == []
    (got,) = push_service.for_phone(rotated)
    assert rotated.decrypt(got.body)["type"] == "feedback.created"
    # the answer's new token renews it again; the one just used does not
    again = push_service.phone("again").to_json()
    assert renew(app.test_client(), rotated, renew_token, again).status_code == 403
    assert renew(app.test_client(), rotated, answer.get_json()["renewToken"],
                 again).status_code == 200


def _refusals() -> dict[str, tuple[str, int]]:
    """What is wrong with the renewal -> (which token the test sends, the status)."""
    return {"wrong token": ("wrong", 403), "no token": ("none", 403),
            "empty token": ("empty", 403), "unknown old endpoint": ("unknown", 403),
            "another phone's token": ("his", 403), "owner deactivated": ("deactivated", 403),
            "new subscription without keys": ("bad body", 400),
            "new endpoint held by another phone": ("taken", 409)}


@pytest.mark.parametrize("case", list(_refusals()))
def test_a_renewal_without_its_token_or_a_valid_subscription_changes_nothing(
        app: Flask, unit: Unit, staff: StaffUser, push_service: PushService, case: str) -> None:
    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    mine, his = push_service.phone("mine"), push_service.phone("his")
    client, token = logged_in(app, staff)
    mine_token = subscribe(client, token, mine.to_json()).get_json()["renewToken"]
    other, other_token = logged_in(app, guard)
    his_token = subscribe(other, other_token, his.to_json()).get_json()["renewToken"]
    sent, status = _refusals()[case]
    old, fresh = mine, push_service.phone("new").to_json()
    renew_token: str | None = {"wrong": mine_token[::-1], "none": None, "empty": "",
                               "his": his_token}.get(sent, mine_token)
    if sent == "unknown":
        old = push_service.phone("never-stored")
    elif sent == "deactivated":
        staff.active = False
        db.session.commit()
    elif sent == "bad body":
        fresh = {"endpoint": fresh["endpoint"]}
    elif sent == "taken":
        fresh = his.to_json()
    with nothing_stored(case):
        answer = renew(app.test_client(), old, renew_token, fresh)
        assert answer.status_code == status, case
        assert "error" in answer.get_json()


def test_a_renewal_is_refused_from_another_site_even_with_its_token(
        app: Flask, unit: Unit, staff: StaffUser, push_service: PushService) -> None:
    client, token = logged_in(app, staff)
    phone = push_service.phone("a")
    renew_token = subscribe(client, token, phone.to_json()).get_json()["renewToken"]
    with nothing_stored("foreign origin"):
        answer = app.test_client().post(RENEW, headers={"Origin": "https://evil.example"}, json={
            "oldEndpoint": phone.endpoint, "renewToken": renew_token,
            "subscription": push_service.phone("b").to_json()})
        assert answer.status_code == 403


# --- pushes ----------------------------------------------------------------------------

@dataclass
class Team:
    cleaner: Phone
    guard: Phone
    director: Phone


@pytest.fixture
def team(app: Flask, unit: Unit, staff: StaffUser, push_service: PushService) -> Team:
    """A cleaner, a guard and the director (the `staff` fixture), one phone each."""
    people = {"cleaner": make_staff(unit, "cleaner@rt.test", roles=("cleaning",)),
              "guard": make_staff(unit, "guard@rt.test", roles=("security",)),
              "director": staff}
    phones = {}
    for name, person in people.items():
        client, token = logged_in(app, person)
        phones[name] = push_service.phone(name)
        assert subscribe(client, token, phones[name].to_json()).status_code == 201
    return Team(**phones)


def test_a_new_case_reaches_the_phones_of_its_role_encrypted_and_signed(
        app: Flask, spot: Spot, team: Team, push_service: PushService,
        staff_client: FlaskClient) -> None:
    receipt = make_case(spot, body="厕所没有纸了，请联系我 13812345678 或 me@example.com")
    assert send_due_pushes() == push.PushReport(sent=1)
    assert send_due_pushes() == push.PushReport()  # exactly once
    assert push_service.for_phone(team.guard) == []
    assert push_service.for_phone(team.director) == []
    (got,) = push_service.for_phone(team.cleaner)
    public = staff_client.get("/staff/push/key").get_json()["publicKey"]
    assert got.vapid_key == public
    assert got.claims["sub"] == SUBJECT
    assert int(got.headers["ttl"]) >= 3600
    assert got.headers["urgency"] == "normal"
    message = team.cleaner.decrypt(got.body)
    case = receipt.case
    assert message["type"] == "feedback.created"
    assert message["case_id"] == case.id
    assert message["reference"] == case.reference
    assert message["url"] == f"https://parks.example.org/staff/cases/{case.id}"
    assert "厕所与保洁" in message["title"]
    assert "北门厕所" in message["title"]
    assert message["body"].startswith("厕所没有纸了")
    text = json.dumps(message, ensure_ascii=False)
    assert "13812345678" not in text
    assert "me@example.com" not in text
    # the phone's last successful delivery is recorded
    cleaner_phone = next(s for s in subscriptions() if s.endpoint == team.cleaner.endpoint)
    assert cleaner_phone.last_success_at is not None


def test_urgent_cases_escalations_and_reopened_cases(
        app: Flask, unit: Unit, spot: Spot, staff: StaffUser, team: Team,
        push_service: PushService) -> None:
    noise = next(c for c in unit.categories if c.code == "noise")
    noise.urgent = True
    db.session.commit()
    make_case(spot, category_code="noise", body="有人打架")
    send_due_pushes()
    (urgent,) = push_service.for_phone(team.guard)
    assert urgent.headers["urgency"] == "high"
    assert team.guard.decrypt(urgent.body)["type"] == "feedback.created"

    receipt = make_case(spot, body="垃圾桶满了")
    send_due_pushes()
    push_service.received.clear()
    assert escalate_overdue_cases(utcnow() + timedelta(days=3)) >= 1
    send_due_pushes()
    escalations = push_service.for_phone(team.director)
    assert escalations
    assert all(p.headers["urgency"] == "high" for p in escalations)
    assert {team.director.decrypt(p.body)["type"] for p in escalations} == {"case.escalated"}
    assert push_service.for_phone(team.cleaner) == []  # escalations: the directors only

    push_service.received.clear()
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="已清理", new_status="resolved")
    report_not_fixed(token=receipt.token)
    send_due_pushes()
    (reopened,) = push_service.for_phone(team.cleaner)
    message = team.cleaner.decrypt(reopened.body)
    assert (message["type"], message["case_id"]) == ("case.reopened", receipt.case.id)
    assert push_service.for_phone(team.guard) == []


def test_a_gone_subscription_is_removed_and_a_failure_is_retried_with_backoff(
        app: Flask, spot: Spot, team: Team, push_service: PushService) -> None:
    push_service.answers = [410]
    make_case(spot, body="厕所没有纸了")
    assert send_due_pushes() == push.PushReport(gone=1)
    assert team.cleaner.endpoint not in [s.endpoint for s in subscriptions()]
    assert db.session.scalar(select(func.count(PushDelivery.id))) == 0

    # the guard's phone: the push service fails once, the push waits and goes once
    push_service.answers = [503]
    make_case(spot, category_code="noise", body="很吵")
    now = utcnow()
    assert send_due_pushes(now) == push.PushReport(retrying=1)
    delivery = db.session.scalars(select(PushDelivery)).one()
    assert delivery.attempts == 1
    assert delivery.next_attempt_at > now
    assert delivery.last_error == "DomainError: HTTP 503"
    assert send_due_pushes(now) == push.PushReport()  # not yet due
    assert send_due_pushes(delivery.next_attempt_at) == push.PushReport(sent=1)
    assert len(push_service.for_phone(team.guard)) == 1


def test_a_case_for_many_phones_is_posted_side_by_side_and_each_outcome_recorded(
        app: Flask, unit: Unit, spot: Spot, push_service: PushService) -> None:
    # twelve phones of two cleaners; the push service answers each after 0.2 s, one 410
    # (that phone is gone) and one 503 (retried later), the rest 201
    phones = []
    for email in ("cleaner@rt.test", "cleaner2@rt.test"):
        client, token = logged_in(app, make_staff(unit, email, roles=("cleaning",)))
        for n in range(6):
            phones.append(push_service.phone(f"{email}-{n}"))
            assert subscribe(client, token, phones[-1].to_json()).status_code == 201
    push_service.hold, push_service.answers = 0.2, [410, 503]
    make_case(spot, body="厕所没有纸了")
    assert send_due_pushes() == push.PushReport(sent=10, retrying=1, gone=1)
    assert push_service.most_in_flight > 1  # one after another before
    assert len(subscriptions()) == 11
    states = sorted((d.state, d.attempts, d.last_error)
                    for d in db.session.scalars(select(PushDelivery)))
    assert states == [("pending", 1, "DomainError: HTTP 503")] + [("sent", 1, None)] * 10
    delivered = {p.path for p in push_service.received}
    assert len(delivered) == 10  # each phone once
    for phone in phones:
        for pushed in push_service.for_phone(phone):
            assert phone.decrypt(pushed.body)["type"] == "feedback.created"
    assert send_due_pushes() == push.PushReport()  # the 503 waits for its backoff


def test_a_deactivated_person_gets_no_push(app: Flask, unit: Unit, spot: Spot, team: Team,
                                           push_service: PushService) -> None:
    cleaner = db.session.scalars(select(StaffUser).where(
        StaffUser.email == "cleaner@rt.test")).one()
    cleaner.active = False
    db.session.commit()
    make_case(spot, body="厕所没有纸了")
    assert send_due_pushes() == push.PushReport()


def test_a_push_queued_before_a_deactivation_is_not_sent(
        app: Flask, unit: Unit, spot: Spot, team: Team, push_service: PushService) -> None:
    make_case(spot, body="厕所没有纸了")
    cleaner = db.session.scalars(select(StaffUser).where(
        StaffUser.email == "cleaner@rt.test")).one()
    cleaner.active = False
    db.session.commit()
    assert send_due_pushes() == push.PushReport(failed=1)
    assert push_service.received == []


# --- the page ---------------------------------------------------------------------------

ANDROID = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/131.0.0.0 Mobile Safari/537.36")


def test_the_alerts_page_lists_the_phones_and_sends_a_test(
        app: Flask, unit: Unit, staff: StaffUser, push_service: PushService) -> None:
    client, token = logged_in(app, staff)
    page = client.get("/staff/alerts?lang=en").get_data(as_text=True)
    assert "Alert me on this phone" in page
    assert "No phone yet" in page
    assert "iOS 16.4" in page
    phone = push_service.phone("pixel")
    answer = client.post("/staff/push/subscriptions", json=phone.to_json(),
                         headers={"X-CSRFToken": token, "User-Agent": ANDROID})
    assert answer.status_code == 201
    page = client.get("/staff/alerts?lang=en").get_data(as_text=True)
    assert "Android · Chrome" in page
    assert "no alert delivered yet" in page
    answer = client.post("/staff/push/test", data={"csrf_token": token})
    assert answer.status_code == 303
    assert send_due_pushes() == push.PushReport(sent=1)
    (got,) = push_service.for_phone(phone)
    message = phone.decrypt(got.body)
    assert message["type"] == "test"
    assert message["title"] == "园长信箱：测试提醒"
    assert "last alert delivered" in client.get("/staff/alerts?lang=en").get_data(as_text=True)
    # zh, the default
    assert "在这部手机上提醒我" in client.get("/staff/alerts?lang=zh_CN").get_data(as_text=True)


def test_remove_a_phone_and_not_someone_elses(app: Flask, unit: Unit, staff: StaffUser,
                                              push_service: PushService) -> None:
    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    client, token = logged_in(app, staff)
    other, other_token = logged_in(app, guard)
    assert subscribe(client, token, push_service.phone("mine").to_json()).status_code == 201
    assert subscribe(other, other_token, push_service.phone("his").to_json()).status_code == 201
    mine, his = subscriptions()
    with nothing_stored("someone else's phone"):
        answer = client.post(f"/staff/push/subscriptions/{his.id}/remove",
                             data={"csrf_token": token})
        assert answer.status_code == 404
    answer = client.post(f"/staff/push/subscriptions/{mine.id}/remove", data={"csrf_token": token})
    assert answer.status_code == 303
    assert [s.id for s in subscriptions()] == [his.id]


def test_the_service_worker_is_served_for_the_whole_staff_scope(client: FlaskClient) -> None:
    answer = client.get("/staff/sw.js")
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.headers["Service-Worker-Allowed"] == "/staff/"
    script = answer.get_data(as_text=True)
    assert 'addEventListener("push"' in script
    assert 'addEventListener("notificationclick"' in script
    assert 'addEventListener("pushsubscriptionchange"' in script
    assert '"push/subscriptions/renew"' in script

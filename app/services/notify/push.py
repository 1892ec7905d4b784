"""Web Push to staff phones: the deployment's VAPID key, each person's subscriptions, and
the outbox of pushes to them.

A staff member taps "Alert me on this phone" (/staff/alerts): the service worker
/staff/sw.js subscribes with the deployment's VAPID public key and the browser's
PushSubscription is stored here. A session hook writes one `PushDelivery` per phone of
each person who must know (push on, and out of their quiet hours unless the alert is
urgent: services.notify.recipients), in the transaction of the event (as channels.queue_alerts does
for group robots): a new case to the holders of its responsible role, a reopened case to
its assignee and those holders, an escalation to the unit's directors. They leave right
after that commit (services.notify.at_once); the periodic job `push.send` sends whatever
is left or failed, both outside any transaction: claimed in one statement (once across
processes), posted side by side, encrypted as RFC 8291 says (aes128gcm), signed as RFC 8292
says (VAPID), retried with backoff; a push service's 404 or 410 removes that subscription.
The message carries spot, category and a masked excerpt, never a contact
(channels.alert_payload).

Browsers rotate subscriptions now and then (pushsubscriptionchange). Each subscription
stored here hands its phone a renewal token (kept as a hash), which the service worker
keeps and sends with the old endpoint and the new subscription to
POST /staff/push/subscriptions/renew: no session and no CSRF token (the worker may run with
no page open), only that secret, replaces the old subscription in place.
"""

from __future__ import annotations

import base64
import functools
import hmac
import json
import logging
import os
import re
import secrets
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from py_vapid import Vapid
from pywebpush import WebPusher
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session, joinedload

from app.database import write_transaction
from app.extensions import db, socketio
from app.models import Event, Membership, PushDelivery, PushSubscription, StaffUser, Unit
from app.models.types import utcnow
from app.security import hash_token
from app.services.errors import ConflictError, DomainError, ForbiddenError, NotFoundError
from app.services.notify.channels import (
    _alert_kind,
    _allow_private,
    _check_destination,
    _is_private_literal,
    alert_payload,
)
from app.services.notify.outbox import drain
from app.services.notify.recipients import push_recipients
from app.services.notify.visitors import retry_delay
from app.services.platform.urls import absolute_url, base_url

log = logging.getLogger(__name__)

PENDING, SENT, FAILED, GONE = "pending", "sent", "failed", "gone"
# a push waits this long on the push service for a phone that is off (RFC 8030 TTL)
TTL_SECONDS = 6 * 3600
# the VAPID token's lifetime (RFC 8292: at most 24 hours)
TOKEN_SECONDS = 12 * 3600
TIMEOUT_SECONDS = 10.0
CLAIM_TIMEOUT = timedelta(minutes=5)
# a burst of pushes (a new case for every phone of a role) is posted this many at a time
SENDERS_SIDE_BY_SIDE = 16
MAX_ATTEMPTS = 12
BATCH = 100
MAX_PHONES = 10
TIMEZONE = "Asia/Shanghai"  # a unit's, when its row is not at hand
_B64URL = re.compile(r"^[A-Za-z0-9_-]+={0,2}$")


# --- the deployment's VAPID key -------------------------------------------------------

def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64url(value: Any) -> bytes:
    if not isinstance(value, str) or not _B64URL.match(value):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(value.rstrip("=") + "=" * (-len(value.rstrip("=")) % 4))


def _create_key_file(path: Path) -> None:
    """A new private key in `path`, unless another process wrote one first (atomic link)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    # a draft of its own (mkstemp: mode 0600, a fresh name), so that two threads of one
    # process creating the key at once do not write and remove the same draft
    descriptor, draft_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp",
                                              dir=path.parent)
    draft = Path(draft_name)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    try:
        os.link(draft, path)
        log.info("created the deployment's VAPID key in %s", path)
    except FileExistsError:
        pass  # another process created it: theirs is the deployment's key
    finally:
        draft.unlink()


@functools.lru_cache(maxsize=4)
def _load_vapid(private_key: str, key_file: str) -> Vapid:
    if private_key:
        if "BEGIN" in private_key:
            return Vapid.from_pem(private_key.encode())
        return Vapid.from_string(private_key)
    path = Path(key_file)
    if not path.exists():
        _create_key_file(path)
    return Vapid.from_pem(path.read_bytes())


def vapid() -> Vapid:
    """The deployment's VAPID key: VAPID_PRIVATE_KEY, else the one in VAPID_KEY_FILE
    (created there the first time)."""
    return _load_vapid(str(current_app.config.get("VAPID_PRIVATE_KEY") or ""),
                       str(current_app.config["VAPID_KEY_FILE"]))


def public_key() -> str:
    """The VAPID public key as browsers take it: the uncompressed P-256 point, base64url."""
    point = vapid().public_key.public_bytes(serialization.Encoding.X962,
                                            serialization.PublicFormat.UncompressedPoint)
    return _b64url(point)


def vapid_subject() -> str:
    """Who runs this deployment, for the push services: VAPID_SUBJECT, else BASE_URL's
    origin when it is https, else a mailto: placeholder."""
    subject = str(current_app.config.get("VAPID_SUBJECT") or "").strip()
    if subject:
        return subject
    parts = urllib.parse.urlsplit(base_url())
    if parts.scheme == "https" and parts.hostname:
        return f"https://{parts.hostname}"
    return "mailto:parkmailbox@localhost"


# --- subscriptions --------------------------------------------------------------------

@dataclass(frozen=True)
class SubscriptionFields:
    endpoint: str
    p256dh: str
    auth: str


def parse_subscription(data: Any) -> SubscriptionFields:
    """The browser's PushSubscription.toJSON(), checked (DomainError with the reason)."""
    if not isinstance(data, dict):
        raise DomainError(_("Send the browser's push subscription as JSON."))
    endpoint = validate_endpoint(data.get("endpoint"))
    keys = data.get("keys")
    if not isinstance(keys, dict):
        raise DomainError(_("The subscription has no keys."))
    try:
        p256dh, auth = _unb64url(keys.get("p256dh")), _unb64url(keys.get("auth"))
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), p256dh)
    except ValueError:
        raise DomainError(_("The subscription's keys are not valid.")) from None
    if len(p256dh) != 65 or len(auth) != 16:
        raise DomainError(_("The subscription's keys are not valid."))
    return SubscriptionFields(endpoint, _b64url(p256dh), _b64url(auth))


def validate_endpoint(endpoint: Any) -> str:
    """A push service URL: https and a public host (http and private hosts only with
    OUTBOUND_ALLOW_PRIVATE, for development and tests)."""
    if not isinstance(endpoint, str) or not 0 < len(endpoint) <= 1000:
        raise DomainError(_("The subscription's endpoint must be a full https:// URL."))
    try:
        parts = urllib.parse.urlsplit(endpoint)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise DomainError(_("The subscription's endpoint must be a full https:// URL.")) from None
    schemes = ("https", "http") if _allow_private() else ("https",)
    if parts.scheme not in schemes or not parts.hostname or any(c in endpoint for c in " \n\r\t"):
        raise DomainError(_("The subscription's endpoint must be a full https:// URL."))
    if not _allow_private() and _is_private_literal(parts.hostname):
        raise DomainError(_("The subscription's endpoint must be a public address."))
    return endpoint


@dataclass(frozen=True)
class Subscribed:
    subscription: PushSubscription
    created: bool
    renew_token: str  # for the phone's service worker only; the server keeps its hash


def _issue_renew_token(subscription: PushSubscription) -> str:
    """A new renewal secret for the subscription (the previous one no longer works)."""
    token = secrets.token_urlsafe(32)
    subscription.renew_token_hash = hash_token(token)
    return token


def subscribe(*, user: StaffUser, fields: SubscriptionFields, user_agent: str) -> Subscribed:
    """Store this phone's subscription for the user, with a new renewal token. The same
    endpoint again updates its keys (the browser renewed them) and its owner (whoever
    logged in last on that phone gets its alerts)."""
    with write_transaction() as session:
        existing = session.scalar(select(PushSubscription)
                                  .where(PushSubscription.endpoint == fields.endpoint))
        if existing is not None:
            if existing.user_id != user.id:
                session.execute(delete(PushDelivery)
                                .where(PushDelivery.subscription_id == existing.id))
            existing.user_id, existing.p256dh, existing.auth = user.id, fields.p256dh, fields.auth
            existing.user_agent = user_agent[:300]
            return Subscribed(existing, False, _issue_renew_token(existing))
        count = len(user_subscriptions(user.id, session))
        if count >= MAX_PHONES:
            raise DomainError(_("You have %(count)d phones with alerts already: remove one "
                                "first.", count=count))
        subscription = PushSubscription(user_id=user.id, endpoint=fields.endpoint,
                                        p256dh=fields.p256dh, auth=fields.auth,
                                        user_agent=user_agent[:300])
        token = _issue_renew_token(subscription)
        session.add(subscription)
        session.flush()
    log.info("push subscription %s added for user %s", subscription.id, user.id)
    return Subscribed(subscription, True, token)


def _renewable(session: Session, old_endpoint: object, renew_token: object
               ) -> PushSubscription:
    """The stored subscription at `old_endpoint` if `renew_token` is its renewal secret and
    its owner is active; ForbiddenError, the same whichever is wrong, otherwise."""
    refused = ForbiddenError(_("This phone cannot renew its alerts: open the alerts page on "
                               "it and turn them on again."))
    if not isinstance(old_endpoint, str) or not isinstance(renew_token, str) or not renew_token:
        raise refused
    found = session.scalar(select(PushSubscription).where(
        PushSubscription.endpoint == old_endpoint).with_for_update())
    if found is None or found.renew_token_hash is None or not hmac.compare_digest(
            found.renew_token_hash, hash_token(renew_token)):
        raise refused
    owner = session.get(StaffUser, found.user_id)
    if owner is None or not owner.active:
        raise refused
    return found


def renew_subscription(*, old_endpoint: object, renew_token: object, subscription: object
                       ) -> Subscribed:
    """The browser rotated a phone's subscription: the new one replaces the old in place
    (owner, pending pushes, history), with a new renewal token. Refused, nothing changed:
    a wrong token or unknown endpoint (ForbiddenError), a bad subscription (DomainError), a
    new endpoint another subscription holds (ConflictError)."""
    with write_transaction() as session:
        found = _renewable(session, old_endpoint, renew_token)
        fields = parse_subscription(subscription)
        if fields.endpoint != found.endpoint and session.scalar(select(PushSubscription.id).where(
                PushSubscription.endpoint == fields.endpoint)) is not None:
            raise ConflictError(_("This phone's new subscription is stored already."))
        found.endpoint, found.p256dh, found.auth = fields.endpoint, fields.p256dh, fields.auth
        token = _issue_renew_token(found)
    log.info("push subscription %s of user %s renewed by its phone", found.id, found.user_id)
    return Subscribed(found, False, token)


def _remove(session: Session, subscription_id: int) -> None:
    session.execute(delete(PushDelivery).where(PushDelivery.subscription_id == subscription_id))
    session.execute(delete(PushSubscription).where(PushSubscription.id == subscription_id))


def unsubscribe(*, user: StaffUser, endpoint: str) -> bool:
    """Forget this phone (the browser's endpoint) for the user; whether it was there."""
    with write_transaction() as session:
        found = session.scalar(select(PushSubscription.id).where(
            PushSubscription.endpoint == endpoint, PushSubscription.user_id == user.id))
        if found is None:
            return False
        _remove(session, found)
    log.info("push subscription %s removed by user %s", found, user.id)
    return True


def remove_subscription(*, user: StaffUser, subscription_id: int) -> None:
    """The remove button of one of the user's phones."""
    with write_transaction() as session:
        found = session.get(PushSubscription, subscription_id)
        if found is None or found.user_id != user.id:
            raise NotFoundError(_("No such phone."))
        _remove(session, found.id)
    log.info("push subscription %s removed by user %s", subscription_id, user.id)


def user_subscriptions(user_id: int, session: Session | None = None) -> list[PushSubscription]:
    return list((session or db.session).scalars(
        select(PushSubscription).where(PushSubscription.user_id == user_id)
        .order_by(PushSubscription.id)))


def phone_label(user_agent: str) -> str:
    """A short name for a phone from its browser's User-Agent ("Android · Chrome")."""
    systems = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
               ("HarmonyOS", "HarmonyOS"), ("Windows", "Windows"), ("Macintosh", "Mac"),
               ("Linux", "Linux"))
    browsers = (("MicroMessenger", "WeChat"), ("EdgA", "Edge"), ("Edg/", "Edge"),
                ("Firefox", "Firefox"), ("HuaweiBrowser", "Huawei"), ("SamsungBrowser", "Samsung"),
                ("Chrome", "Chrome"), ("Safari", "Safari"))
    system = next((name for key, name in systems if key in user_agent), "")
    browser = next((name for key, name in browsers if key in user_agent), "")
    return " · ".join(part for part in (system, browser) if part) or _("Unknown browser")


def queue_test(*, user: StaffUser) -> int:
    """A test alert to each of the user's phones, sent by the job like any alert; how many."""
    with force_locale("zh_CN"):
        title = _("Park Mailbox: test alert")
        body = _("Alerts reach this phone: new cases will appear like this.")
    payload = {"type": "test", "case_id": None, "reference": "", "url": absolute_url("/staff/"),
               "title": title, "body": body, "urgent": False}
    with write_transaction() as session:
        subscriptions = user_subscriptions(user.id, session)
        for subscription in subscriptions:
            session.add(PushDelivery(subscription_id=subscription.id, case_id=None, event="test",
                                     payload=payload, urgent=False, state=PENDING, attempts=0,
                                     next_attempt_at=utcnow()))
    log.info("test push queued for %d phone(s) of user %s", len(subscriptions), user.id)
    return len(subscriptions)


# --- the session hook: deliveries in the event's own transaction ----------------------

def _recipients(session: Session, kind: str, event: Event) -> set[int]:
    """The people who must know: by the case's responsible role, its assignee for a
    reopened case, the directors for an escalation (active accounts only)."""
    payload = event.payload or {}
    if kind == "case.escalated":
        roles = {"director"}
    else:
        roles = {str(payload.get("role") or "")}
    users = set(session.scalars(
        select(Membership.user_id).join(StaffUser, StaffUser.id == Membership.user_id)
        .where(Membership.unit_id == event.unit_id, Membership.role.in_(roles),
               StaffUser.active)))
    assignee = payload.get("assignee_id")
    if kind == "case.reopened" and isinstance(assignee, int):
        if session.scalar(select(StaffUser.id).where(StaffUser.id == assignee, StaffUser.active)):
            users.add(assignee)
    return users


def queue_pushes(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Before a flush: one push per phone of each person who must know, per alerting event."""
    events = [(kind, instance) for instance in list(session.new)
              if isinstance(instance, Event) and (kind := _alert_kind(instance))]
    for kind, event in events:
        if kind == "feedback.created" and (event.payload or {}).get("split_from"):
            continue  # split off an existing case: its people know it already
        with session.no_autoflush:
            payload = alert_payload(kind, event)
            urgent = bool(payload.get("urgent")) or kind == "case.escalated"
            unit = session.get(Unit, event.unit_id)
            users = push_recipients(session, _recipients(session, kind, event), urgent=urgent,
                                    now=utcnow(), timezone=unit.timezone if unit else TIMEZONE)
            subscription_ids = list(session.scalars(
                select(PushSubscription.id).where(PushSubscription.user_id.in_(users)))
            ) if users else []
        if not subscription_ids:
            continue
        for subscription_id in subscription_ids:
            session.add(PushDelivery(subscription_id=subscription_id, case_id=event.case_id,
                                     event=kind, payload=payload, urgent=urgent, state=PENDING,
                                     attempts=0, next_attempt_at=utcnow()))
        log.info("%s push queued for %d phone(s) of %d people", kind, len(subscription_ids),
                 len(users))


# --- the request ----------------------------------------------------------------------

@dataclass(frozen=True)
class PushRequest:
    url: str
    headers: dict[str, str]
    body: bytes


class SubscriptionGone(Exception):  # noqa: N818 - what the push service says
    """The push service no longer knows this subscription (404 or 410)."""


def _origin(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    default = {"https": 443, "http": 80}.get(parts.scheme)
    port = f":{parts.port}" if parts.port and parts.port != default else ""
    return f"{parts.scheme}://{parts.hostname}{port}"


def build_push(subscription: PushSubscription, payload: dict[str, Any], *, urgent: bool
               ) -> PushRequest:
    """The POST to the subscription's push service: the payload encrypted to the browser's
    keys (RFC 8291, aes128gcm) and a VAPID token for the endpoint's origin (RFC 8292)."""
    data = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    encrypted = WebPusher({"endpoint": subscription.endpoint,
                           "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth}}
                          ).encode(data, "aes128gcm")
    claims = {"aud": _origin(subscription.endpoint), "sub": vapid_subject(),
              "exp": int(time.time()) + TOKEN_SECONDS}
    headers = {**vapid().sign(claims),
               "TTL": str(TTL_SECONDS),
               "Urgency": "high" if urgent else "normal",
               "Content-Encoding": "aes128gcm",
               "Content-Type": "application/octet-stream",
               "User-Agent": "ParkMailbox-Alerts/1"}
    return PushRequest(subscription.endpoint, headers, bytes(encrypted["body"]))


def post_push(request: PushRequest) -> None:
    """Send it; SubscriptionGone on 404/410, DomainError on any other refusal."""
    _check_destination(request.url)
    outbound = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with urllib.request.urlopen(outbound, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - checked above
            response.read(16 * 1024)
    except urllib.error.HTTPError as error:
        if error.code in (404, 410):
            raise SubscriptionGone(f"HTTP {error.code}") from None
        raise DomainError(f"HTTP {error.code}") from None


# --- delivery -------------------------------------------------------------------------

def _claim(delivery_ids: list[int], now: datetime) -> set[int]:
    """Claim those of these pushes that are due and nobody holds: one UPDATE for all."""
    with write_transaction() as session:
        claimed = session.scalars(
            update(PushDelivery)
            .where(PushDelivery.id.in_(delivery_ids), PushDelivery.state == PENDING,
                   PushDelivery.next_attempt_at <= now)
            .values(attempts=PushDelivery.attempts + 1, next_attempt_at=now + CLAIM_TIMEOUT)
            .returning(PushDelivery.id)
            .execution_options(synchronize_session=False))
        return set(claimed)


@dataclass
class _Attempt:
    """One claimed push on its way: the request to make, or why none is made."""
    delivery_id: int
    subscription_id: int
    request: PushRequest | None = None
    outcome: str | None = None  # None: sent; GONE; FAILED (account); else the error


def _prepare(delivery: PushDelivery, active_users: set[int]) -> _Attempt:
    attempt = _Attempt(delivery.id, delivery.subscription_id)
    if delivery.subscription.user_id not in active_users:
        # deactivated after the push was queued: nothing more reaches their phones
        attempt.outcome = FAILED
        return attempt
    try:
        attempt.request = build_push(delivery.subscription, dict(delivery.payload),
                                     urgent=delivery.urgent)
    except Exception as exc:  # noqa: BLE001 - a subscription that cannot be encrypted to
        attempt.outcome = f"{type(exc).__name__}: {exc}"
    return attempt


def _post_all(attempts: list[_Attempt]) -> None:
    """Post every prepared push, SENDERS_SIDE_BY_SIDE at a time (greenlets under gevent,
    threads in tests): a push service's answer takes a round trip, and a thousand phones
    one after another took 20 s (bench/alerts.py)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    waiting = [attempt for attempt in attempts if attempt.request is not None]

    def post_some() -> None:
        with app.app_context():
            while waiting:
                attempt = waiting.pop()
                assert attempt.request is not None  # noqa: S101 - filtered above
                try:
                    post_push(attempt.request)
                except SubscriptionGone:
                    attempt.outcome = GONE
                except Exception as exc:  # noqa: BLE001 - any refusal is retried later
                    attempt.outcome = f"{type(exc).__name__}: {exc}"

    if len(waiting) <= 1:
        post_some()
        return
    senders = [socketio.start_background_task(post_some)
               for _ in range(min(SENDERS_SIDE_BY_SIDE, len(waiting)))]
    for sender in senders:
        sender.join()


def _record(attempts: list[_Attempt], now: datetime) -> dict[int, str]:
    """Write every outcome in one transaction; each push's state after.

    Two batches of one phone's pushes (the job and a send at once, side by side) write the
    same subscription rows: on PostgreSQL each batch first locks its subscriptions in one
    order (by id), so neither can hold one the other waits for (a deadlock, which lost the
    batch's outcomes to the retry). SQLite has one writer at a time anyway. The rows are
    loaded with their locks, so recording each outcome finds its subscription in the
    session."""
    states: dict[int, str] = {}
    with write_transaction() as session:
        session.scalars(select(PushSubscription).where(
            PushSubscription.id.in_({a.subscription_id for a in attempts}))
            .order_by(PushSubscription.id).with_for_update()).all()
        gone = {a.subscription_id for a in attempts if a.outcome == GONE}
        for subscription_id in gone:
            _remove(session, subscription_id)  # with its other pushes
        for attempt in attempts:
            states[attempt.delivery_id] = _record_one(session, attempt, now, gone)
    for subscription_id in gone:
        log.info("push subscription %s is gone at its push service: removed", subscription_id)
    return states


def _record_one(session: Session, attempt: _Attempt, now: datetime, gone: set[int]) -> str:
    if attempt.subscription_id in gone:
        return GONE
    delivery = session.get(PushDelivery, attempt.delivery_id)
    if delivery is None:
        return GONE  # its subscription was removed meanwhile
    if attempt.outcome == FAILED:
        delivery.state, delivery.last_error = FAILED, "account deactivated"
        return FAILED
    subscription = session.get(PushSubscription, delivery.subscription_id)
    assert subscription is not None  # noqa: S101 - removed with its deliveries
    if attempt.outcome is None:
        delivery.state, delivery.sent_at, delivery.last_error = SENT, now, None
        subscription.last_success_at = now
        log.info("push %s sent", delivery.id)
        return SENT
    error = attempt.outcome[:500]
    delivery.last_error = error
    subscription.last_failure_at, subscription.last_error = now, error
    if delivery.attempts >= MAX_ATTEMPTS:
        delivery.state = FAILED
    else:
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    log.warning("push %s failed (%s), now %s", delivery.id, error, delivery.state)
    return delivery.state


def deliver_pushes(delivery_ids: list[int], now: datetime) -> list[str | None]:
    """One attempt at each of these due pushes, sent side by side; the state of each after
    ("gone": its subscription was removed; None: another sender has it or it is not due).
    BATCH at a time, each claimed in one transaction, posted with no transaction open and
    recorded in one (a process killed meanwhile leaves at most a batch to the retry)."""
    states: list[str | None] = []
    for start in range(0, len(delivery_ids), BATCH):
        states.extend(_deliver_batch(delivery_ids[start:start + BATCH], now))
    return states


def _deliver_batch(delivery_ids: list[int], now: datetime) -> list[str | None]:
    db.session.rollback()
    claimed = _claim(delivery_ids, now)
    deliveries = list(db.session.scalars(
        select(PushDelivery).where(PushDelivery.id.in_(claimed))
        .options(joinedload(PushDelivery.subscription)))) if claimed else []
    owners = {delivery.subscription.user_id for delivery in deliveries}
    active_users = set(db.session.scalars(select(StaffUser.id).where(
        StaffUser.id.in_(owners), StaffUser.active))) if owners else set()
    attempts = [_prepare(delivery, active_users) for delivery in deliveries]
    db.session.commit()  # no transaction held while the push services answer
    _post_all(attempts)
    states = _record(attempts, now) if attempts else {}
    return [states.get(delivery_id) for delivery_id in delivery_ids]


@dataclass(frozen=True)
class PushReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    gone: int = 0


def due_push_ids(now: datetime, limit: int) -> list[int]:
    ids = list(db.session.scalars(
        select(PushDelivery.id)
        .where(PushDelivery.state == PENDING, PushDelivery.next_attempt_at <= now)
        .order_by(PushDelivery.next_attempt_at, PushDelivery.id).limit(limit)))
    db.session.commit()
    return ids


def send_due_pushes(now: datetime | None = None, limit: int = BATCH) -> PushReport:
    """Try every due push, `limit` at a time until none is left (the job `push.send`; new
    pushes leave at once after their commit, services.notify.at_once)."""
    states = drain(due_push_ids, deliver_pushes, now or utcnow(), limit)
    return PushReport(sent=states.count(SENT), retrying=states.count(PENDING),
                      failed=states.count(FAILED), gone=states.count(GONE))

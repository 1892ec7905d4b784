"""Staff alerts to group robots and signed webhooks: the unit's channels and their outbox.

A director connects channels at /admin/channels: a WeCom group robot (企业微信群机器人), a
DingTalk custom robot (钉钉自定义机器人, with its "加签" signature), a Feishu/Lark custom
bot (with its signature check) or any https webhook, signed as the Standard Webhooks
specification says. Each channel serves the whole unit or one park.

A session hook writes one `AlertDelivery` per channel in the transaction of the event it
is about (a new case, a reopened case, an escalation), so an alert exists exactly when
its event commits. They leave right after that commit (services.notify.at_once) and the
periodic job `alerts.send` sends whatever is left or failed, outside any transaction,
claimed row by row (once across processes), with a timeout, retried with backoff: a
failing channel never blocks a submission and never loses an alert. Messages carry the
park, spot, category, a masked excerpt and the link to the case, never a contact.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session
from standardwebhooks.webhooks import Webhook

from app.database import write_transaction
from app.extensions import db
from app.models import AlertChannel, AlertDelivery, ChannelKind, Event, Park, StaffUser
from app.models.types import utcnow
from app.services.accounts.audit import record_audit
from app.services.cases.public import mask_personal_data
from app.services.errors import DomainError, NotFoundError
from app.services.notify.outbox import drain, one_by_one
from app.services.notify.visitors import retry_delay
from app.services.platform.urls import absolute_url

log = logging.getLogger(__name__)

PENDING, SENT, FAILED = "pending", "sent", "failed"
# the events a channel may receive; a new channel gets new cases
# ("feedback.urgent": new cases of urgent categories only, for a channel without all new cases)
EVENTS = ("feedback.created", "feedback.urgent", "case.reopened", "case.escalated")
DEFAULT_EVENTS = ("feedback.created",)
# each vendor's documented host(s) for its kind (lifted by OUTBOUND_ALLOW_PRIVATE)
VENDOR_HOSTS: dict[str, tuple[str, ...]] = {
    ChannelKind.WECOM.value: ("qyapi.weixin.qq.com",),
    ChannelKind.DINGTALK.value: ("oapi.dingtalk.com",),
    ChannelKind.FEISHU.value: ("open.feishu.cn", "open.larksuite.com"),
}
WEBHOOK_SECRET_PREFIX = "whsec_"  # noqa: S105 - the spec's prefix, not a secret
# WeCom and DingTalk take about 20 messages a minute per robot: beyond, an alert waits
PER_MINUTE = 20
TIMEOUT_SECONDS = 10.0
CLAIM_TIMEOUT = timedelta(minutes=5)
MAX_ATTEMPTS = 12
BATCH = 50
EXCERPT = 120


# --- channels -------------------------------------------------------------------------

def _allow_private() -> bool:
    return bool(current_app.config.get("OUTBOUND_ALLOW_PRIVATE"))


def validate_url(kind: str, url: str) -> str:
    """The channel's URL, or DomainError with the reason: https only, and for a robot one of
    its vendor's documented hosts (both lifted by OUTBOUND_ALLOW_PRIVATE)."""
    url = url.strip()
    parts = urllib.parse.urlsplit(url)
    if kind not in {k.value for k in ChannelKind}:
        raise DomainError(_("Choose the kind of channel."))
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise DomainError(_("The address must be a full https:// URL."))
    if _allow_private():
        return url
    if parts.scheme != "https":
        raise DomainError(_("The address must be a full https:// URL."))
    hosts = VENDOR_HOSTS.get(kind)
    if hosts is not None and parts.hostname.lower() not in hosts:
        raise DomainError(_("This kind of robot sends to %(hosts)s only.",
                            hosts=", ".join(hosts)))
    if _is_private_literal(parts.hostname):
        raise DomainError(_("The address must be a public one."))
    return url


def _is_private_literal(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain") or host.endswith(".local"):
        return True
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return False


def _check_destination(url: str) -> None:
    """Before a send: refuse an address that resolves to a private or loopback one (SSRF)."""
    if _allow_private():
        return
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        raise DomainError("not an https URL")
    port = parts.port or 443
    for info in socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP):
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise DomainError(f"{parts.hostname} resolves to a non-public address")


def _validate_secret(kind: str, secret: str) -> str | None:
    secret = secret.strip()
    if kind == ChannelKind.WEBHOOK.value:
        if not secret:
            # a webhook is always signed: a new secret, shown on the channels page
            return WEBHOOK_SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()
        try:
            key = base64.b64decode(secret.removeprefix(WEBHOOK_SECRET_PREFIX), validate=True)
        except ValueError:
            key = b""
        if not secret.startswith(WEBHOOK_SECRET_PREFIX) or not 24 <= len(key) <= 64:
            raise DomainError(_("A webhook secret is whsec_ and 24 to 64 bytes in base64 "
                                "(leave it empty to get one)."))
        return secret
    if kind == ChannelKind.WECOM.value:
        return None  # the key is in the URL; WeCom has no signature
    return secret or None


@dataclass(frozen=True)
class ChannelFields:
    kind: str
    url: str
    secret: str = ""
    park_id: int | None = None
    events: tuple[str, ...] = DEFAULT_EVENTS


def add_channel(*, user: StaffUser, unit_id: int, fields: ChannelFields) -> AlertChannel:
    """Connect a channel for the unit (or one of its parks); audited without its secret."""
    url = validate_url(fields.kind, fields.url)
    secret = _validate_secret(fields.kind, fields.secret)
    events = [event for event in EVENTS if event in fields.events] or list(DEFAULT_EVENTS)
    with write_transaction() as session:
        if fields.park_id is not None:
            park = session.get(Park, fields.park_id)
            if park is None or park.unit_id != unit_id:
                raise DomainError(_("No such park."))
        channel = AlertChannel(unit_id=unit_id, park_id=fields.park_id, kind=fields.kind,
                               url=url, secret=secret, events=" ".join(events), active=True)
        session.add(channel)
        session.flush()
        record_audit("channel.added", user_id=user.id, unit_id=unit_id,
                     target_type="alert_channel", target_id=channel.id, before=None,
                     after={"kind": channel.kind, "host": urllib.parse.urlsplit(url).hostname,
                            "park_id": channel.park_id, "events": channel.events})
    log.info("alert channel %s (%s) added by user %s", channel.id, fields.kind, user.id)
    return channel


def _own_channel(session: Session, unit_id: int, channel_id: int) -> AlertChannel:
    channel = session.get(AlertChannel, channel_id)
    if channel is None or channel.unit_id != unit_id or not channel.active:
        raise NotFoundError(_("No such channel."))
    return channel


def remove_channel(*, user: StaffUser, unit_id: int, channel_id: int) -> None:
    """Disconnect a channel: nothing more is queued or sent to it (its log is kept)."""
    with write_transaction() as session:
        channel = _own_channel(session, unit_id, channel_id)
        channel.active = False
        session.execute(update(AlertDelivery)
                        .where(AlertDelivery.channel_id == channel.id,
                               AlertDelivery.state == PENDING)
                        .values(state=FAILED, last_error="channel removed"))
        record_audit("channel.removed", user_id=user.id, unit_id=unit_id,
                     target_type="alert_channel", target_id=channel.id,
                     before={"kind": channel.kind}, after=None)


def queue_test(*, user: StaffUser, unit_id: int, channel_id: int) -> AlertDelivery:
    """A test message to the channel, sent by the job like any alert."""
    with write_transaction() as session:
        channel = _own_channel(session, unit_id, channel_id)
        with force_locale("zh_CN"):
            title = _("Park Mailbox: test message")
            body = _("This channel is connected: new cases will appear here.")
        delivery = AlertDelivery(channel=channel, case_id=None, event="test", payload={
            "type": "test", "case_id": None, "reference": "", "url": absolute_url("/staff/"),
            "title": title, "body": body}, state=PENDING, attempts=0,
            next_attempt_at=utcnow())
        session.add(delivery)
        session.flush()
        log.info("test alert %s queued for channel %s by user %s", delivery.id, channel.id,
                 user.id)
        return delivery


def unit_channels(unit_id: int) -> list[AlertChannel]:
    return list(db.session.scalars(
        select(AlertChannel).where(AlertChannel.unit_id == unit_id, AlertChannel.active)
        .order_by(AlertChannel.id)))


def failing_channels(user: StaffUser) -> list[AlertChannel]:
    """The failing channels of the units the user directs (the inbox warns them)."""
    unit_ids = [m.unit_id for m in user.memberships if m.role == "director"]
    if not unit_ids:
        return []
    return list(db.session.scalars(
        select(AlertChannel)
        .where(AlertChannel.unit_id.in_(unit_ids), AlertChannel.active,
               AlertChannel.last_failure_at.is_not(None),
               or_(AlertChannel.last_success_at.is_(None),
                   AlertChannel.last_failure_at > AlertChannel.last_success_at))
        .order_by(AlertChannel.id)))


def recent_deliveries(channel_ids: list[int], per_channel: int = 5
                      ) -> dict[int, list[AlertDelivery]]:
    """The latest deliveries of each channel, newest first (the page's delivery log)."""
    log_: dict[int, list[AlertDelivery]] = {channel_id: [] for channel_id in channel_ids}
    if not channel_ids:
        return log_
    rows = db.session.scalars(
        select(AlertDelivery).where(AlertDelivery.channel_id.in_(channel_ids))
        .order_by(AlertDelivery.id.desc()).limit(per_channel * len(channel_ids) * 4))
    for row in rows:
        if len(log_[row.channel_id]) < per_channel:
            log_[row.channel_id].append(row)
    return log_


# --- the session hook: deliveries in the event's own transaction ----------------------

def _alert_kind(event: Event) -> str | None:
    if event.kind == "feedback.created":
        return "feedback.created"
    if event.kind == "case.escalated":
        return "case.escalated"
    if event.kind == "case.updated" and (event.payload or {}).get("change") == "reopened":
        return "case.reopened"
    return None


def alert_payload(kind: str, event: Event) -> dict[str, Any]:
    """What an alert says (in Chinese, the staff's language): never a visitor's contact."""
    summary = event.payload or {}
    with force_locale("zh_CN"):
        heading = {"feedback.created": _("New case"), "case.reopened": _("Case reopened"),
                   "case.escalated": _("Case escalated")}[kind]
        if summary.get("urgent"):
            heading = _("Urgent") + " · " + heading
    place = " · ".join(part for part in (summary.get("park_name"), summary.get("point_name"))
                       if part)
    text = mask_personal_data(" ".join(str(summary.get("excerpt") or "").split()))
    if len(text) > EXCERPT:
        text = text[: EXCERPT - 1] + "…"
    return {
        "type": kind,
        "case_id": event.case_id,
        "reference": summary.get("reference", ""),
        "url": absolute_url(f"/staff/cases/{event.case_id}"),
        "title": f"{heading}: {summary.get('category_name', '')} · {place}",
        "body": text,
        "urgent": bool(summary.get("urgent")),
    }


def queue_alerts(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Before a flush: one delivery per matching channel for each new alerting event."""
    events = [(kind, instance) for instance in list(session.new)
              if isinstance(instance, Event) and (kind := _alert_kind(instance))]
    if not events:
        return
    for kind, event in events:
        with session.no_autoflush:
            channels = session.scalars(
                select(AlertChannel).where(AlertChannel.unit_id == event.unit_id,
                                           AlertChannel.active)).all()
        urgent = kind == "feedback.created" and bool((event.payload or {}).get("urgent"))
        targets = [c for c in channels
                   if (c.receives(kind) or (urgent and c.receives("feedback.urgent")))
                   and (c.park_id is None or c.park_id == event.park_id)]
        if not targets:
            continue
        payload = alert_payload(kind, event)
        for channel in targets:
            session.add(AlertDelivery(channel=channel, case_id=event.case_id, event=kind,
                                      payload=payload, state=PENDING, attempts=0,
                                      next_attempt_at=utcnow()))
        log.info("%s alert queued for %s channel(s)", kind, len(targets))


# --- each vendor's request ------------------------------------------------------------

@dataclass(frozen=True)
class OutboundRequest:
    url: str
    headers: dict[str, str]
    body: bytes


def _markdown(payload: dict[str, Any]) -> str:
    lines = [f"**{payload['title']}**"]
    if payload.get("reference"):
        lines.append(f"> {payload['reference']}")
    if payload.get("body"):
        lines.append(f"> {payload['body']}")
    lines.append(f"[{_('Open the case') if payload.get('case_id') else _('Open')}]"
                 f"({payload['url']})")
    return "\n".join(lines)


def _plain(payload: dict[str, Any]) -> str:
    parts = [payload["title"], payload.get("reference") or "", payload.get("body") or "",
             payload["url"]]
    return "\n".join(part for part in parts if part)


def _json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk's "加签": base64(HMAC-SHA256(key=secret, msg=timestamp + "\\n" + secret))."""
    to_sign = f"{timestamp_ms}\n{secret}".encode()
    return base64.b64encode(hmac.new(secret.encode(), to_sign, hashlib.sha256).digest()).decode()


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu's signature: base64(HMAC-SHA256(key=timestamp + "\\n" + secret, msg=""))."""
    key = f"{timestamp_s}\n{secret}".encode()
    return base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()


def build_request(channel: AlertChannel, delivery_id: int, payload: dict[str, Any],
                  now: datetime) -> OutboundRequest:
    """The HTTP request for one alert to one channel, as its vendor documents it."""
    headers = {"Content-Type": "application/json; charset=utf-8",
               "User-Agent": "ParkMailbox-Alerts/1"}
    with force_locale("zh_CN"):
        markdown, plain = _markdown(payload), _plain(payload)
    if channel.kind == ChannelKind.WECOM.value:
        # markdown content: at most 4096 bytes (UTF-8)
        content = markdown.encode()[:4096].decode(errors="ignore")
        return OutboundRequest(channel.url, headers,
                               _json({"msgtype": "markdown", "markdown": {"content": content}}))
    if channel.kind == ChannelKind.DINGTALK.value:
        url = channel.url
        if channel.secret:
            timestamp = int(now.timestamp() * 1000)
            query = urllib.parse.urlencode({"timestamp": str(timestamp),
                                            "sign": dingtalk_sign(channel.secret, timestamp)})
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + query
        body = {"msgtype": "markdown",
                "markdown": {"title": payload["title"][:100], "text": markdown}}
        return OutboundRequest(url, headers, _json(body))
    if channel.kind == ChannelKind.FEISHU.value:
        signed: dict[str, Any] = {}
        if channel.secret:
            timestamp = int(now.timestamp())
            signed = {"timestamp": str(timestamp),
                      "sign": feishu_sign(channel.secret, timestamp)}
        return OutboundRequest(channel.url, headers, _json(
            {**signed, "msg_type": "text", "content": {"text": plain}}))
    # a generic webhook: the Standard Webhooks envelope and signature; the id is the
    # outbox row's, the same on every retry, so that the receiver can drop a repeat
    message_id = f"msg_alert_{delivery_id}"
    data = _json({"type": payload["type"], "timestamp": now.isoformat(), "data": payload})
    signature = Webhook(channel.secret or "").sign(message_id, now, data.decode())
    headers.update({"webhook-id": message_id,
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": signature})
    return OutboundRequest(channel.url, headers, data)


def post(request: OutboundRequest) -> None:
    """Send it; raise with the reason unless the receiver took it (2xx, and a robot's own
    error code 0)."""
    _check_destination(request.url)
    outbound = urllib.request.Request(  # noqa: S310 - http(s) only, checked above
        request.url, data=request.body, headers=request.headers, method="POST")
    try:
        with urllib.request.urlopen(outbound, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - checked above
            raw = response.read(64 * 1024)
    except urllib.error.HTTPError as error:
        raise DomainError(f"HTTP {error.code}") from None
    try:
        answer = json.loads(raw) if raw.strip() else {}
    except ValueError:
        answer = {}
    if isinstance(answer, dict):
        for key in ("errcode", "code", "StatusCode"):
            if answer.get(key) not in (None, 0):
                message = answer.get("errmsg") or answer.get("msg") or ""
                raise DomainError(f"{key} {answer[key]}: {message}"[:300])


# --- delivery -------------------------------------------------------------------------

def _claim(delivery_id: int, now: datetime) -> bool | None:
    """Claim one due delivery (True), unless another sender has it (False) or its robot
    took PER_MINUTE messages in the last minute (None: it waits a minute, queued, not
    dropped). The limit is checked and the row claimed under the channel's row lock, so
    that senders running side by side (the job, the sends at once after a commit, other
    processes) cannot pass it together."""
    with write_transaction() as session:
        channel_id = session.scalar(select(AlertDelivery.channel_id).where(
            AlertDelivery.id == delivery_id, AlertDelivery.state == PENDING,
            AlertDelivery.next_attempt_at <= now))
        if channel_id is None:
            return False
        # PostgreSQL: one claim per channel at a time (SQLite's write lock holds them all)
        session.execute(select(AlertChannel.id).where(AlertChannel.id == channel_id)
                        .with_for_update())
        if _over_rate(session, channel_id, now):
            session.execute(update(AlertDelivery).where(AlertDelivery.id == delivery_id)
                            .values(next_attempt_at=now + timedelta(minutes=1)))
            return None
        result = session.execute(
            update(AlertDelivery)
            .where(AlertDelivery.id == delivery_id, AlertDelivery.state == PENDING,
                   AlertDelivery.next_attempt_at <= now)
            .values(attempts=AlertDelivery.attempts + 1, next_attempt_at=now + CLAIM_TIMEOUT,
                    sent_at=now))
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _over_rate(session: Session, channel_id: int, now: datetime) -> bool:
    """Whether the channel took PER_MINUTE messages in the last minute: sent, or being
    sent now (a claim stamps `sent_at`; a refusal clears it again)."""
    taken = session.scalar(
        select(func.count(AlertDelivery.id))
        .where(AlertDelivery.channel_id == channel_id,
               AlertDelivery.state.in_((SENT, PENDING)),
               AlertDelivery.sent_at > now - timedelta(minutes=1)))
    return (taken or 0) >= PER_MINUTE


def _record(delivery_id: int, now: datetime, error: str | None) -> str:
    with write_transaction() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        assert delivery is not None  # noqa: S101 - deliveries are never deleted
        channel = session.get(AlertChannel, delivery.channel_id)
        assert channel is not None  # noqa: S101
        if error is None:
            delivery.state, delivery.sent_at, delivery.last_error = SENT, now, None
            channel.last_success_at = now
        else:
            delivery.last_error, delivery.sent_at = error[:500], None
            channel.last_failure_at, channel.last_error = now, error[:500]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.state = FAILED
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        return delivery.state


def deliver_alert(delivery_id: int, now: datetime) -> str | None:
    """One attempt at one due delivery; its state after, None if another process has it
    (or it waits for its robot's per-minute limit)."""
    db.session.rollback()
    if not _claim(delivery_id, now):
        return None
    delivery = db.session.get(AlertDelivery, delivery_id)
    assert delivery is not None  # noqa: S101 - just claimed
    error = None
    try:
        request = build_request(delivery.channel, delivery.id, dict(delivery.payload), now)
        db.session.commit()  # no transaction held while the network answers
        post(request)
    except Exception as exc:  # any failure of any receiver is retried later
        error = f"{type(exc).__name__}: {exc}"
        db.session.rollback()
    state = _record(delivery_id, now, error)
    if error is None:
        log.info("alert %s sent", delivery_id)
    else:
        log.warning("alert %s failed (%s), now %s", delivery_id, error, state)
    return state


@dataclass(frozen=True)
class AlertReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def due_alert_ids(now: datetime, limit: int) -> list[int]:
    ids = list(db.session.scalars(
        select(AlertDelivery.id)
        .where(AlertDelivery.state == PENDING, AlertDelivery.next_attempt_at <= now)
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id).limit(limit)))
    db.session.commit()
    return ids


def send_due_alerts(now: datetime | None = None, limit: int = BATCH) -> AlertReport:
    """Try every due alert, `limit` at a time until none is left (the job `alerts.send`;
    new alerts leave at once after their commit, services.notify.at_once)."""
    states = drain(due_alert_ids, one_by_one(deliver_alert), now or utcnow(), limit)
    return AlertReport(sent=states.count(SENT), retrying=states.count(PENDING),
                       failed=states.count(FAILED))


def webhook_secret(secret: str) -> str:
    """A Standard Webhooks secret as given (checked), or a new one when none was given."""
    checked = _validate_secret(ChannelKind.WEBHOOK.value, secret)
    assert checked is not None  # noqa: S101 - a webhook secret is never None
    return checked

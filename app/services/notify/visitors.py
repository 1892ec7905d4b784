"""Visitor notifications: an outbox row per visitor per public reply or status change.

The outbox row is written by a session hook in the same transaction as the reply or status
message, so the workflow services need not know about notifications, and a message that
commits always has its notification (a rolled-back one never has). Delivery happens
outside any write transaction (network I/O), from the periodic job `notify.send` or
`flask --app wsgi notify send`, with retries and exponential backoff.

Who is told: every visitor of the case who left a contact, the first one and those who
joined it with "me too" (in their own language), once per address; never the visitor whose
own click ("fixed", "not fixed", a follow-up) made the change.

The tracking link: a visitor's token is stored only as a SHA-256 hash, so that a copy of
the database cannot open anyone's thread. The one exception is the first message after a
submission ("received", when a contact was given): it carries the private link, because
the link is the visitor's only way back to their case. The link is kept in that outbox
row only until the message is sent, then erased (`tracking_link`), and never written to
a log. Later messages (replies, status changes) carry what the visitor needs to read the
news without the link (the reference, the reply itself, the new status, the place) and
point to the link of that first message.
"""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.database import write_transaction
from app.extensions import db
from app.models import (
    Case,
    CaseToken,
    Channel,
    DeliveryState,
    Message,
    MessageKind,
    Notification,
    Status,
)
from app.models.types import utcnow
from app.security import without_tracking_tokens
from app.services.cases.workflow import STATUS_LABELS
from app.services.notify.sms import masked, sms_sender

log = logging.getLogger(__name__)

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()\-]{5,30}$")
FIRST_RETRY = timedelta(minutes=1)
LONGEST_WAIT = timedelta(hours=6)
# a claimed row is retried after this if its sender died in the middle of a send
CLAIM_TIMEOUT = timedelta(minutes=10)
BATCH = 50
SMS_EXCERPT = 60


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def contact_target(contact: str | None) -> tuple[Channel, str] | None:
    """Which channel a visitor's contact is for: an e-mail address, a phone number, or none."""
    contact = (contact or "").strip()
    if EMAIL_PATTERN.match(contact):
        return Channel.EMAIL, contact
    if PHONE_PATTERN.match(contact) and sum(c.isdigit() for c in contact) >= 6:
        return Channel.SMS, re.sub(r"[ ()\-]", "", contact)
    return None


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff: 1, 2, 4, 8... minutes after each failed attempt, at most 6 h."""
    wait: timedelta = FIRST_RETRY * 2 ** max(attempts - 1, 0)
    return min(wait, LONGEST_WAIT)


# --- the session hook: an outbox row with every new reply or status message -------------

def _case_of(session: Session, message: Message) -> Case | None:
    if message.case is not None:
        return message.case
    with session.no_autoflush:
        return session.get(Case, message.case_id)


# session.info key: which visitor's own click caused this transaction's status change
VISITOR_ACTION = "visitor_action"
FIRST_VISITOR = 0  # the visitor who opened the case; a "me too" visitor: their CaseToken id


def mark_visitor_action(session: Session, link_id: int | None) -> None:
    """Say that the visitor behind `link_id` (None: the first one) changes the case now.

    Their own click ("fixed", "not fixed") is not news to them; the other visitors of the
    case are still told.
    """
    session.info[VISITOR_ACTION] = FIRST_VISITOR if link_id is None else link_id


def _recipients(session: Session, case: Case,
                acting: set[int]) -> list[tuple[Channel, str, str]]:
    """Everyone who left a contact on the case, once each: the first visitor and the "me
    too" visitors, less those whose own action this is."""
    people: list[tuple[str | None, str]] = []
    if FIRST_VISITOR not in acting:
        people.append((case.contact, case.language or "zh_CN"))
    if case.id is not None:
        links = session.execute(
            select(CaseToken.id, CaseToken.contact, CaseToken.language)
            .where(CaseToken.case_id == case.id, CaseToken.contact.is_not(None))
            .order_by(CaseToken.id))
        people += [(contact, language or "zh_CN") for link_id, contact, language in links
                   if link_id not in acting]
    recipients: dict[str, tuple[Channel, str, str]] = {}
    for contact, language in people:
        target = contact_target(contact)
        if target is not None:
            recipients.setdefault(target[1], (target[0], target[1], language))
    return list(recipients.values())


def queue_notifications(session: Session, _flush_context: Any, _instances: Any) -> None:
    """Before a flush: one notification per visitor of each case with new reply/status
    messages."""
    new_messages: dict[int, tuple[Case, list[Message]]] = {}
    for instance in list(session.new):
        if isinstance(instance, Message):
            case = _case_of(session, instance)
            if case is not None:
                new_messages.setdefault(id(case), (case, []))[1].append(instance)
    if not new_messages:
        return
    marked = session.info.pop(VISITOR_ACTION, None)
    for case, messages in new_messages.values():
        replies = [m for m in messages if m.kind == MessageKind.REPLY.value]
        changes = [m for m in messages if m.kind == MessageKind.STATUS.value]
        if not (replies or changes):
            continue
        # the visitor's own action (a follow-up, "fixed", "not fixed") is not news to them
        acting = {m.case_token_id or FIRST_VISITOR for m in messages
                  if m.kind == MessageKind.VISITOR.value}
        if marked is not None:
            acting.add(marked)
        with session.no_autoflush:
            recipients = _recipients(session, case, acting)
        for channel, recipient, language in recipients:
            session.add(Notification(
                case=case,
                message=replies[0] if replies else changes[-1],
                status_to=changes[-1].status_to if changes else None,
                channel=channel.value,
                recipient=recipient,
                language=language,
                state=DeliveryState.PENDING.value,
                attempts=0,
                next_attempt_at=utcnow(),
            ))
            log.info("notification by %s queued for case %s", channel.value, case.reference)


def queue_received(session: Session, case: Case, message: Message, *, contact: str | None,
                   language: str | None, tracking_link: str) -> Notification | None:
    """The first message to a visitor who left a contact: "received", with their private
    link (kept in the row until it is sent). None without a usable contact."""
    target = contact_target(contact)
    if target is None:
        return None
    notification = Notification(
        case=case, message=message, status_to=None, channel=target[0].value,
        recipient=target[1], language=language or "zh_CN",
        state=DeliveryState.PENDING.value, attempts=0, next_attempt_at=utcnow(),
        tracking_link=tracking_link)
    session.add(notification)
    log.info("\"received\" by %s queued for case %s", target[0].value, case.reference)
    return notification


def forget_visitor_action(session: Session, *_args: Any) -> None:
    session.info.pop(VISITOR_ACTION, None)  # a mark never outlives its transaction



# --- rendering ------------------------------------------------------------------------

@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def _render(notification: Notification) -> Rendered:
    """The e-mail or SMS text, in the case's language."""
    case = notification.case
    message = notification.message
    if message.kind == MessageKind.VISITOR.value:
        return _render_received(notification)
    reply = message if message.kind == MessageKind.REPLY.value else None
    language = "en" if notification.language == "en" else "zh_CN"
    with force_locale(language):
        status = str(STATUS_LABELS[Status(notification.status_to)])\
            if notification.status_to else None
        if reply is not None:
            subject = _("[%(reference)s] The park answered your message",
                        reference=case.reference)
        else:
            subject = _("[%(reference)s] Your message is now: %(status)s",
                        reference=case.reference, status=status or "")
        if notification.channel == Channel.SMS.value:
            news = reply.body if reply is not None else (status or "")
            if len(news) > SMS_EXCERPT:
                news = news[: SMS_EXCERPT - 1] + "…"
            text = _("[Park Mailbox] %(reference)s: %(news)s", reference=case.reference,
                     news=news)
            return Rendered(subject=subject, text=text)
        locale = "en" if language == "en" else "zh_CN"
        # straight from the Jinja environment: the app's context processors need a request
        template = current_app.jinja_env.get_template("email/case_update.txt")
        text = template.render(case=case, reply=reply, status=status, locale=locale)
    return Rendered(subject=subject, text=text)


def _render_received(notification: Notification) -> Rendered:
    """The first message after a submission: the park has it, and the private link."""
    case = notification.case
    link = notification.tracking_link or ""
    language = "en" if notification.language == "en" else "zh_CN"
    with force_locale(language):
        subject = _("[%(reference)s] The park has your message", reference=case.reference)
        if notification.channel == Channel.SMS.value:
            text = _("[Park Mailbox] %(reference)s: the park has your message. Follow the "
                     "answer here (keep this link private): %(link)s",
                     reference=case.reference, link=link)
            return Rendered(subject=subject, text=text)
        locale = "en" if language == "en" else "zh_CN"
        template = current_app.jinja_env.get_template("email/case_received.txt")
        text = template.render(case=case, link=link, locale=locale)
    return Rendered(subject=subject, text=text)


# --- senders --------------------------------------------------------------------------

def _sender_address() -> str:
    configured: str = current_app.config["SMTP_FROM"]
    if configured:
        return configured
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "localhost"
    return f"noreply@{host}"


def send_email(recipient: str, rendered: Rendered) -> None:
    """Send one plain-text e-mail over SMTP (or to the log when SMTP_HOST is not set)."""
    mail = new_mail(recipient, rendered.subject)
    mail.set_content(rendered.text)
    if not current_app.config["SMTP_HOST"]:
        log.warning("SMTP_HOST is not set: e-mail to %s written to the log only:\n%s\n\n%s",
                    recipient, rendered.subject, without_tracking_tokens(rendered.text))
        return
    send_mail(mail)


def new_mail(recipient: str, subject: str) -> EmailMessage:
    """An automatic e-mail from the mailbox's address (content and attachments to add)."""
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = _sender_address()
    mail["To"] = recipient
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=_sender_address().rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"
    return mail


def send_mail(mail: EmailMessage) -> None:
    """Hand one e-mail to the SMTP server of the configuration."""
    config = current_app.config
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"],
                      timeout=config["SMTP_TIMEOUT"]) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["SMTP_USERNAME"]:
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(mail)


# --- delivery -------------------------------------------------------------------------

def _claim(notification_id: int, now: datetime) -> bool:
    """Take one due notification for this attempt; False if someone else has it."""
    with write_transaction() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.id == notification_id,
                   Notification.state == DeliveryState.PENDING.value,
                   Notification.next_attempt_at <= now)
            .values(attempts=Notification.attempts + 1, next_attempt_at=now + CLAIM_TIMEOUT)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _record_result(notification_id: int, now: datetime, error: str | None) -> str:
    max_attempts: int = current_app.config["NOTIFY_MAX_ATTEMPTS"]
    with write_transaction() as session:
        notification = session.get(Notification, notification_id)
        assert notification is not None  # noqa: S101 - outbox rows are never deleted
        if error is None:
            notification.state = DeliveryState.SENT.value
            notification.sent_at = now
            notification.last_error = None
            notification.tracking_link = None  # the visitor has it now; the outbox keeps none
        else:
            notification.last_error = error[:500]
            if notification.attempts >= max_attempts:
                notification.state = DeliveryState.FAILED.value
            else:
                notification.next_attempt_at = now + retry_delay(notification.attempts)
        return notification.state


def deliver_notification(notification_id: int, now: datetime) -> str | None:
    """Make one attempt at a due notification; returns its state after, None if not ours."""
    if not _claim(notification_id, now):
        return None
    notification = db.session.get(Notification, notification_id)
    assert notification is not None  # noqa: S101 - just claimed
    channel, recipient = notification.channel, notification.recipient
    error = None
    try:
        rendered = _render(notification)
        db.session.commit()  # end the read before the network: no transaction held while sending
        if channel == Channel.EMAIL.value:
            send_email(recipient, rendered)
        else:
            sms_sender().send(recipient, rendered.text, notification_id)
    except Exception as exc:  # any failure of any sender is retried later
        error = f"{type(exc).__name__}: {exc}"
        db.session.rollback()
    state = _record_result(notification_id, now, error)
    shown = masked(recipient) if channel == Channel.SMS.value else recipient
    if error is None:
        log.info("notification %s sent by %s to %s", notification_id, channel, shown)
    else:
        log.warning("notification %s to %s failed (%s), now %s", notification_id, shown,
                    error, state)
    return state


def due_notification_ids(now: datetime, limit: int = BATCH) -> list[int]:
    return list(db.session.scalars(
        select(Notification.id)
        .where(Notification.state == DeliveryState.PENDING.value,
               Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
    ))


def send_due_notifications(now: datetime | None = None, limit: int = BATCH) -> DeliveryReport:
    """Try every notification that is due; each failure waits longer before its next try."""
    now = now or utcnow()
    ids = due_notification_ids(now, limit)
    db.session.commit()
    states = [deliver_notification(notification_id, now) for notification_id in ids]
    report = _count(states)
    if ids:
        log.info("notifications: %s sent, %s to retry, %s failed", report.sent,
                 report.retrying, report.failed)
    return report


def _count(states: Iterable[str | None]) -> DeliveryReport:
    states = list(states)
    return DeliveryReport(sent=states.count(DeliveryState.SENT.value),
                          retrying=states.count(DeliveryState.PENDING.value),
                          failed=states.count(DeliveryState.FAILED.value))


def retry_failed_notifications(now: datetime | None = None) -> int:
    """Give every notification that ran out of attempts a fresh start; returns how many."""
    now = now or utcnow()
    with write_transaction() as session:
        result = session.execute(
            update(Notification)
            .where(Notification.state == DeliveryState.FAILED.value)
            .values(state=DeliveryState.PENDING.value, attempts=0, next_attempt_at=now)
        )
        count = int(result.rowcount)  # type: ignore[attr-defined]
    log.info("%s failed notifications queued again", count)
    return count


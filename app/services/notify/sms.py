"""SMS senders for visitor notifications: pluggable, the default keeps an outbox table."""

from __future__ import annotations

import logging
from typing import Protocol

from flask import current_app
from werkzeug.utils import import_string

from app.database import write_transaction
from app.models import SmsMessage
from app.security import without_tracking_tokens

log = logging.getLogger(__name__)


class SmsSender(Protocol):
    """Sends one text message; raises on failure (the caller retries later)."""

    def send(self, phone: str, text: str, notification_id: int | None) -> None: ...


def masked(phone: str) -> str:
    """A phone number as logs show it: only the last four digits."""
    return "*" * max(len(phone) - 4, 0) + phone[-4:]


class OutboxSmsSender:
    """The default: writes the text to `sms_outbox` and to the log, for a gateway to pick up."""

    def send(self, phone: str, text: str, notification_id: int | None) -> None:
        """Store one SMS in the outbox table."""
        with write_transaction() as session:
            session.add(SmsMessage(phone=phone, body=text, notification_id=notification_id))
        log.info("sms to %s queued in the outbox: %s", masked(phone),
                 without_tracking_tokens(text))


def sms_sender() -> SmsSender:
    """The sender named by the SMS_SENDER setting ("module:Class")."""
    sender_class = import_string(current_app.config["SMS_SENDER"].replace(":", "."))
    sender: SmsSender = sender_class()
    return sender

"""Visitors who left an address hear about every public reply and status change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.database import write_transaction
from app.models import (
    Case,
    DeliveryState,
    Message,
    MessageKind,
    Notification,
    SmsMessage,
    Status,
)
from app.models.types import utcnow
from app.services.cases.operations import reply_to_visitor
from app.services.cases.tracking import confirm_fixed, report_not_fixed
from app.services.notify.visitors import (
    DeliveryReport,
    contact_target,
    deliver_notification,
    retry_delay,
    send_due_notifications,
)
from app.services.platform import jobs
from tests.conftest import make_case as submit
from tests.support.cases import received_sent
from tests.support.servers import free_port
from tests.support.smtp import smtp_server


def make_case(spot, **fields):
    """A submission whose "received" message is out already (tested on its own below)."""
    receipt = submit(spot, **fields)
    received_sent()
    return receipt


@pytest.fixture
def mail(app):
    with smtp_server() as (controller, handler):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port,
                          SMTP_STARTTLS=False, SMTP_FROM="Park Mailbox <mailbox@parks.test>")
        yield handler


def notifications(db):
    """The notifications about replies and status changes (not the "received" ones)."""
    return db.session.scalars(
        select(Notification).join(Message, Message.id == Notification.message_id)
        .where(Message.kind != MessageKind.VISITOR.value).order_by(Notification.id)).all()


def reply(staff, receipt, body="已经补充了厕纸", status=None):
    return reply_to_visitor(user=staff, case_id=receipt.case.id, body=body, new_status=status)


def test_a_reply_queues_one_notification_with_the_reply(db, spot, staff):
    receipt = make_case(spot, contact="visitor@example.org")
    message = reply(staff, receipt)
    [notification] = notifications(db)
    assert notification.message_id == message.id
    assert notification.channel == "email"
    assert notification.recipient == "visitor@example.org"
    # the first reply also acknowledged the case: one e-mail tells both
    assert notification.status_to == Status.ACKNOWLEDGED.value
    assert notification.state == DeliveryState.PENDING.value


def test_the_notification_commits_or_rolls_back_with_the_reply(db, spot, staff):
    receipt = make_case(spot, contact="visitor@example.org")
    seen_inside = []

    def failing_reply():
        with write_transaction() as session:
            case = session.get(Case, receipt.case.id)
            case.messages.append(Message(kind=MessageKind.REPLY.value, body="draft",
                                         author_id=staff.id))
            session.flush()
            seen_inside.extend(notifications(db))
            raise RuntimeError("the reply fails after the flush")

    with pytest.raises(RuntimeError):
        failing_reply()
    assert len(seen_inside) == 1  # written in the same transaction...
    assert notifications(db) == []  # ...and gone with it


@pytest.mark.parametrize("contact", [None, "", "no contact please"])
def test_no_usable_contact_no_notification(db, spot, staff, contact):
    reply(staff, make_case(spot, contact=contact))
    assert notifications(db) == []


def test_internal_notes_and_visitor_messages_notify_nobody(db, spot, staff):
    receipt = make_case(spot, contact="visitor@example.org")
    with write_transaction() as session:
        case = session.get(Case, receipt.case.id)
        case.messages.append(Message(kind=MessageKind.NOTE.value, body="internal",
                                     author_id=staff.id))
    with write_transaction() as session:
        case = session.get(Case, receipt.case.id)
        # the visitor's own "not fixed": a follow-up and a status change in one go
        case.messages.append(Message(kind=MessageKind.VISITOR.value, body="still dirty"))
        case.messages.append(Message(kind=MessageKind.STATUS.value, status_from="resolved",
                                     status_to="in_progress"))
    assert notifications(db) == []


def test_a_status_change_alone_is_notified(db, spot, staff, mail):
    receipt = make_case(spot, contact="visitor@example.org", language="en")
    with write_transaction() as session:
        case = session.get(Case, receipt.case.id)
        case.messages.append(Message(kind=MessageKind.STATUS.value, author_id=staff.id,
                                     status_from="new", status_to="resolved"))
    assert send_due_notifications().sent == 1
    [email] = mail.messages
    assert email["Subject"] == f"[{receipt.case.reference}] Your message is now: Resolved"
    assert "Status of your message: Resolved" in email.get_content()


def test_email_is_delivered_over_smtp_in_chinese(db, spot, staff, mail):
    receipt = make_case(spot, contact="visitor@example.org")
    reply(staff, receipt, body="已经补充了厕纸，谢谢您的反馈")
    report = send_due_notifications()
    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [email] = mail.messages
    reference = receipt.case.reference
    assert email["To"] == "visitor@example.org"
    assert email["From"] == "Park Mailbox <mailbox@parks.test>"
    assert email["Subject"] == f"[{reference}] 园方已回复您的留言"
    body = email.get_content()
    assert "已经补充了厕纸，谢谢您的反馈" in body
    assert "北门厕所" in body
    assert receipt.token not in body  # the private link is never mailed
    [notification] = notifications(db)
    assert notification.state == DeliveryState.SENT.value
    assert notification.sent_at is not None


def test_email_is_in_english_for_an_english_case(db, spot, staff, mail):
    receipt = make_case(spot, contact="visitor@example.org", language="en")
    reply(staff, receipt, body="We refilled the paper.", status="resolved")
    send_due_notifications()
    [email] = mail.messages
    assert email["Subject"] == f"[{receipt.case.reference}] The park answered your message"
    body = email.get_content()
    assert "We refilled the paper." in body
    assert "Status of your message: Resolved" in body
    assert "North gate toilet" in body


def test_a_refusing_server_is_retried_with_backoff_until_it_accepts(db, spot, staff, mail):
    receipt = make_case(spot, contact="visitor@example.org")
    reply(staff, receipt)
    mail.refuse = 2
    start = utcnow()
    assert send_due_notifications(start).retrying == 1
    [notification] = notifications(db)
    assert notification.attempts == 1
    assert "451" in notification.last_error
    assert notification.next_attempt_at == start + retry_delay(1)
    # not due yet: nothing is tried
    assert send_due_notifications(start + timedelta(seconds=30)) == DeliveryReport()
    second = start + retry_delay(1)
    assert send_due_notifications(second).retrying == 1
    db.session.expire_all()
    assert notifications(db)[0].next_attempt_at == second + retry_delay(2)
    assert retry_delay(2) == 2 * retry_delay(1)
    assert send_due_notifications(second + retry_delay(2)).sent == 1
    assert len(mail.messages) == 1
    # the case and the reply were never in question
    case = db.session.get(Case, receipt.case.id)
    assert [m.kind for m in case.messages] == ["visitor", "reply", "status"]


def test_a_server_that_is_down_is_retried(app, db, spot, staff):
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False)
    reply(staff, make_case(spot, contact="visitor@example.org"))
    start = utcnow()
    assert send_due_notifications(start).retrying == 1
    [notification] = notifications(db)
    assert "ConnectionRefusedError" in notification.last_error
    with smtp_server() as (controller, handler):
        app.config["SMTP_PORT"] = controller.port
        assert send_due_notifications(start + retry_delay(1)).sent == 1
    assert len(handler.messages) == 1


def test_after_the_last_attempt_it_is_kept_as_failed_and_can_be_retried(app, db, spot, staff,
                                                                         mail):
    app.config["NOTIFY_MAX_ATTEMPTS"] = 2
    reply(staff, make_case(spot, contact="visitor@example.org"))
    mail.refuse = 2
    now = utcnow()
    send_due_notifications(now)
    assert send_due_notifications(now + retry_delay(1)).failed == 1
    db.session.expire_all()
    [notification] = notifications(db)
    assert notification.state == DeliveryState.FAILED.value
    result = app.test_cli_runner().invoke(args=["notify", "send", "--retry-failed"])
    assert result.exit_code == 0, result.output
    assert "1 failed notifications queued again" in result.output
    assert "sent 1" in result.output
    assert len(mail.messages) == 1


def test_a_phone_number_goes_to_the_sms_outbox(db, spot, staff, caplog):
    receipt = make_case(spot, contact="+86 138-0013-8000")
    reply(staff, receipt, body="已处理")
    with caplog.at_level("INFO", logger="app.services.notify.sms"):
        assert send_due_notifications().sent == 1
    [sms] = db.session.scalars(select(SmsMessage)).all()
    assert sms.phone == "+8613800138000"
    assert receipt.case.reference in sms.body
    assert "已处理" in sms.body
    assert "8000" in caplog.text
    assert "13800138000" not in caplog.text  # the log masks the number


class RefusingSmsSender:
    def send(self, phone, text, notification_id):
        raise ConnectionError("gateway down")


def test_the_sms_sender_is_pluggable(app, db, spot, staff):
    app.config["SMS_SENDER"] = f"{__name__}:RefusingSmsSender"
    reply(staff, make_case(spot, contact="13800138000"))
    assert send_due_notifications().retrying == 1
    assert "gateway down" in notifications(db)[0].last_error


def test_the_periodic_job_and_the_cli_deliver(app, db, spot, staff, mail, separate_cases):
    # two visitors' own cases (a "me too" would hear the first reply again)
    reply(staff, make_case(spot, contact="a@example.org"))
    assert "notify.send" in jobs.run_due_jobs(utcnow())
    reply(staff, make_case(spot, contact="b@example.org"))
    result = app.test_cli_runner().invoke(args=["notify", "send"])
    assert result.exit_code == 0, result.output
    assert "sent 1, to retry 0, failed 0" in result.output
    assert sorted(m["To"] for m in mail.messages) == ["a@example.org", "b@example.org"]


def test_a_notification_is_sent_once_when_two_senders_race(db, spot, staff, mail):
    reply(staff, make_case(spot, contact="visitor@example.org"))
    [notification] = notifications(db)
    now = utcnow()
    assert deliver_notification(notification.id, now) == DeliveryState.SENT.value
    assert deliver_notification(notification.id, now) is None
    assert len(mail.messages) == 1


@pytest.mark.parametrize(("contact", "expected"), [
    ("visitor@example.org", ("email", "visitor@example.org")),
    (" 138 0013 8000 ", ("sms", "13800138000")),
    ("+86 (10) 8561-6301", ("sms", "+861085616301")),
    ("call me", None),
    ("12345", None),
    ("a@b", None),
])
def test_contact_target(contact, expected):
    target = contact_target(contact)
    assert (None if target is None else (target[0].value, target[1])) == expected


@pytest.fixture
def me_too(db, unit):
    assert unit.me_too_window_hours == 24  # the production default, which make_unit keeps


def recipients(db):
    return sorted((n.recipient, n.language, n.status_to) for n in notifications(db))


def test_me_too_visitors_hear_of_replies_too_once_each(db, me_too, spot, staff):
    first = make_case(spot, contact="first@example.org")
    second = make_case(spot, contact="second@example.org", language="en")
    again = make_case(spot, contact="second@example.org")  # the same person, twice
    silent = make_case(spot)  # left no contact
    assert [second.joined, again.joined, silent.joined] == [True, True, True]
    reply(staff, first)
    assert recipients(db) == [("first@example.org", "zh_CN", "acknowledged"),
                              ("second@example.org", "en", "acknowledged")]


def test_a_visitors_own_click_is_not_news_to_them(db, me_too, spot, staff):
    first = make_case(spot, contact="first@example.org")
    second = make_case(spot, contact="13800138000")
    reply(staff, first, status="resolved")
    db.session.execute(Notification.__table__.delete())
    db.session.commit()

    report_not_fixed(token=second.token)  # the "me too" visitor, without a word
    assert recipients(db) == [("first@example.org", "zh_CN", "in_progress")]

    reply(staff, first, status="resolved")
    db.session.execute(Notification.__table__.delete())
    db.session.commit()
    confirm_fixed(token=first.token)  # the first visitor
    assert recipients(db) == [("13800138000", "zh_CN", "closed")]


def test_a_case_closed_by_the_system_tells_everyone(db, me_too, spot, staff):
    first = make_case(spot, contact="first@example.org")
    make_case(spot, contact="second@example.org")
    reply(staff, first, status="resolved")
    db.session.execute(Notification.__table__.delete())
    db.session.commit()
    with write_transaction() as session:
        case = session.get(Case, first.case.id)
        case.messages.append(Message(kind=MessageKind.STATUS.value, status_from=case.status,
                                     status_to=Status.CLOSED.value, created_at=utcnow()))
    assert [r for r, _, _ in recipients(db)] == ["first@example.org", "second@example.org"]


# --- "received": the first message after a submission carries the private link ---------

def all_notifications(db):
    return db.session.scalars(select(Notification).order_by(Notification.id)).all()


def test_the_first_email_carries_the_private_link_which_the_outbox_then_forgets(
        db, spot, mail, caplog):
    receipt = submit(spot, contact="visitor@example.org")
    link = f"https://parks.example.org/t/{receipt.token}"
    [received] = all_notifications(db)
    assert (received.tracking_link, received.status_to) == (link, None)
    with caplog.at_level("INFO"):
        assert send_due_notifications().sent == 1
    [email] = mail.messages
    assert email["Subject"] == f"[{receipt.case.reference}] 公园已收到您的留言"
    assert link in email.get_content()
    # sent: no copy of the link (or its token) is left in the outbox, nor in the log
    db.session.expire_all()
    rows = db.session.execute(select(Notification.__table__)).all()
    assert rows
    assert not [row for row in rows if any(receipt.token in str(value) for value in row)]
    assert receipt.token not in caplog.text


def test_the_first_sms_carries_the_link_and_the_log_does_not(db, spot, caplog):
    receipt = submit(spot, contact="13800138000", language="en")
    with caplog.at_level("INFO"):
        assert send_due_notifications().sent == 1
    [sms] = db.session.scalars(select(SmsMessage)).all()  # the gateway's copy: the message
    assert f"https://parks.example.org/t/{receipt.token}" in sms.body
    assert "the park has your message" in sms.body
    assert receipt.token not in caplog.text
    assert all_notifications(db)[0].tracking_link is None


def test_no_contact_no_received_message(db, spot):
    submit(spot)
    submit(spot, contact="no contact please")
    assert all_notifications(db) == []


def test_an_undelivered_received_message_keeps_its_link_until_it_is_sent(app, db, spot):
    app.config["SMS_SENDER"] = f"{__name__}:RefusingSmsSender"
    receipt = submit(spot, contact="13800138000")
    assert send_due_notifications().retrying == 1
    db.session.expire_all()
    assert all_notifications(db)[0].tracking_link.endswith(receipt.token)


def test_a_me_too_visitor_gets_their_own_link(db, me_too, spot):
    first = submit(spot, contact="first@example.org")
    second = submit(spot, contact="second@example.org")
    assert second.joined
    links = {n.recipient: n.tracking_link for n in all_notifications(db)}
    assert links == {"first@example.org": f"https://parks.example.org/t/{first.token}",
                     "second@example.org": f"https://parks.example.org/t/{second.token}"}


def test_the_form_queues_the_link_of_the_page_it_leads_to(app, db, spot):
    from tests.conftest import csrf_token

    visitor = app.test_client()
    response = visitor.post(f"/q/{spot.code}", data={
        "category": "toilets", "body": "北门厕所没有纸了", "contact": "visitor@example.org",
        "csrf_token": csrf_token(visitor, f"/q/{spot.code}")})
    assert response.status_code == 303
    [received] = all_notifications(db)
    assert received.tracking_link == "https://parks.example.org" + response.headers["Location"]

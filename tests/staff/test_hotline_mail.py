"""12345 tickets by e-mail (issue 19, point 2): the job `hotline.mail` reads a mailbox over
IMAP (a local IMAP4rev1 server here) and takes each unread message's tickets in."""

from __future__ import annotations

import imaplib
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from app.models import AuditLog, Case, HotlineTicket
from app.services.cases.hotline_mail import read_hotline_mail
from app.services.platform.jobs import run_job_now
from tests.support.db_snapshot import nothing_stored
from tests.support.imap import ImapServer, Mailbox

EXPORT = ("工单编号,受理时间,地址,诉求类别,诉求内容,联系电话\n"
          "GD-M1,2026-12-01 09:30,RT公园北门厕所,厕所与保洁,北门厕所没有纸了,13912345678\n"
          "GD-M2,2026-12-01 10:00,朝阳区某街道12号,噪音,晚上广场舞太吵,13800001111\n")
IN_TEXT = """转发：12345工单

工单编号：GD-M3
受理时间：2026-12-01 11:00
地址：RT公园
诉求类别：噪音
诉求内容：东门音响太吵，
  希望早上八点前不要放。
联系电话：13700002222
"""


def mail(subject: str, text: str = "见附件", attachment: bytes | None = None,
         name: str = "tickets.csv") -> bytes:
    message = EmailMessage()
    message["From"] = "dispatch@12345.example.cn"
    message["To"] = "hotline@rt.test"
    message["Subject"] = subject
    message.set_content(text)
    if attachment is not None:
        message.add_attachment(attachment, maintype="text", subtype="csv", filename=name)
    return message.as_bytes()


@pytest.fixture
def mailbox(app, unit, monkeypatch):
    box = Mailbox("hotline@rt.test", "s3cret pass")
    with ImapServer(box) as server:
        for key, value in {"HOST": "127.0.0.1", "PORT": server.port, "SSL": False,
                           "USER": box.user, "PASSWORD": box.password,
                           "UNIT": unit.code}.items():
            monkeypatch.setitem(app.config, f"HOTLINE_IMAP_{key}", value)
        yield box


def test_the_mailbox_tickets_become_cases_and_rejected_mail_is_flagged(
        db, unit, mailbox, staff_client):
    attached = mailbox.deliver(mail("12345 派单", attachment=EXPORT.encode("gb18030")))
    written = mailbox.deliver(mail("转发：12345工单", text=IN_TEXT))
    bad = mailbox.deliver(mail("12345 派单（错）", attachment=(
        "工单编号,受理时间,诉求内容\nGD-M4,明天,没有纸\n").encode()))
    report = run_job_now("hotline.mail")
    assert (report.messages, report.rejected) == (3, 1)
    assert (report.cases, report.waiting, report.known) == (2, 1, 0)
    assert attached.flags == {r"\Seen"}
    assert written.flags == {r"\Seen"}
    assert bad.flags == {r"\Seen", r"\Flagged"}
    # the mailbox was read without marking anything read before its tickets were stored
    assert "UID FETCH" in mailbox.commands
    written_case = db.session.get(Case, db.session.scalar(
        select(HotlineTicket.case_id).where(HotlineTicket.ticket_id == "GD-M3")))
    assert written_case.body == "东门音响太吵，\n希望早上八点前不要放。"
    assert written_case.category.code == "noise"
    assert db.session.scalar(select(HotlineTicket).where(
        HotlineTicket.ticket_id == "GD-M2")).needs_place
    assert db.session.scalar(select(func.count()).select_from(HotlineTicket).where(
        HotlineTicket.ticket_id == "GD-M4")) == 0
    rejected = db.session.scalar(select(AuditLog).where(
        AuditLog.action == "hotline.mail_rejected"))
    assert rejected.after["subject"] == "12345 派单（错）"
    assert "明天" in rejected.after["problems"][0]
    page = staff_client.get("/staff/hotline?lang=en").get_data(as_text=True)
    assert "E-mails whose tickets could not be taken in" in page
    assert "12345 派单（错）" in page
    assert "Tickets e-mailed to hotline@rt.test are taken in every minute." in page


def test_read_mail_is_not_read_again_and_a_forwarded_copy_adds_nothing(db, mailbox):
    mailbox.deliver(mail("12345 派单", attachment=EXPORT.encode()))
    read_hotline_mail()
    assert read_hotline_mail().messages == 0
    mailbox.deliver(mail("Fwd: 12345 派单", attachment=EXPORT.encode()))
    report = read_hotline_mail()
    assert (report.messages, report.cases, report.known) == (1, 0, 2)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


def test_a_wrong_password_reads_nothing_and_says_so(app, db, mailbox, monkeypatch):
    monkeypatch.setitem(app.config, "HOTLINE_IMAP_PASSWORD", "wrong")
    message = mailbox.deliver(mail("12345 派单", attachment=EXPORT.encode()))
    with nothing_stored("a mailbox that refused the login"), \
            pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        read_hotline_mail()
    assert message.flags == set()
    assert mailbox.logins == 0


def test_without_a_mailbox_nothing_is_read(app, db):
    assert not app.config["HOTLINE_IMAP_HOST"]
    assert read_hotline_mail().messages == 0

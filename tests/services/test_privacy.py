"""Contacts are erased CONTACT_RETENTION_DAYS after a case closes (app.services.notify.privacy)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Case, CaseToken, Notification, Status
from app.models.types import utcnow
from app.services.cases.operations import change_status, reply_to_visitor
from app.services.notify.privacy import erase_expired_contacts
from app.services.platform.jobs import app_jobs, run_job_now
from tests.conftest import make_case


def close(staff, case_id):
    reply_to_visitor(user=staff, case_id=case_id, body="已处理", new_status="resolved")
    reply_to_visitor(user=staff, case_id=case_id, body="已关闭", new_status="closed")


@pytest.mark.config(CONTACT_RETENTION_DAYS=30)
def test_contacts_are_erased_after_the_retention_period(db, staff, spot, separate_cases):
    # three cases of their own, each closed or left open differently
    closed = make_case(spot, contact="visitor@example.org").case.id
    spam = make_case(spot, contact="13800138000").case.id
    still_open = make_case(spot, contact="13900139000").case.id
    close(staff, closed)
    change_status(user=staff, case_id=spam, status=Status.SPAM.value)
    assert db.session.scalars(select(Notification.recipient)).all()  # mails were queued

    assert erase_expired_contacts(utcnow() + timedelta(days=29)) == 0
    assert db.session.get(Case, closed).contact == "visitor@example.org"

    assert erase_expired_contacts(utcnow() + timedelta(days=31)) == 2
    db.session.expire_all()
    assert db.session.get(Case, closed).contact is None
    assert db.session.get(Case, spam).contact is None
    assert db.session.get(Case, still_open).contact == "13900139000"
    recipients = db.session.scalars(
        select(Notification.recipient).where(Notification.case_id == closed)).all()
    assert recipients
    assert set(recipients) == {""}
    assert db.session.get(Case, closed).body  # the case itself stays


@pytest.mark.config(CONTACT_RETENTION_DAYS=30)
def test_me_too_contacts_and_reporter_notes_are_erased_too(db, unit, staff, spot):
    first = make_case(spot, contact="13800138000", contact_note="王先生 13600136000")
    joined = make_case(spot, contact="13500135000")
    assert joined.joined
    assert joined.case.id == first.case.id
    close(staff, first.case.id)

    assert erase_expired_contacts(utcnow() + timedelta(days=31)) == 1
    db.session.expire_all()
    case = db.session.get(Case, first.case.id)
    assert (case.contact, case.contact_note) == (None, None)
    assert db.session.scalars(select(CaseToken.contact)).all() == [None]


def test_the_erasure_runs_as_a_periodic_job(db, staff, spot):
    case_id = make_case(spot, contact="13800138000").case.id
    change_status(user=staff, case_id=case_id, status=Status.SPAM.value)
    assert "privacy.erase_contacts" in {job.name for job in app_jobs()}
    assert run_job_now("privacy.erase_contacts", utcnow() + timedelta(days=365)) == 1
    db.session.expire_all()
    assert db.session.get(Case, case_id).contact is None


def test_contacts_are_shown_only_to_staff_of_the_unit(app, spot, staff_client, other_unit):
    from tests.conftest import log_in, make_staff

    receipt = make_case(spot, contact="13700137000")
    url = f"/staff/cases/{receipt.case.id}"
    assert "13700137000" in staff_client.get(url).get_data(as_text=True)
    outsider = app.test_client()
    log_in(outsider, make_staff(other_unit, "director@xy.test").email)
    assert "13700137000" not in outsider.get(url).get_data(as_text=True)
    bureau = app.test_client()
    log_in(bureau, make_staff(None, "bureau@city.test", roles=(), bureau_role="viewer").email)
    for page in ("/bureau/", url, "/staff/"):
        assert "13700137000" not in bureau.get(page).get_data(as_text=True)
    # the visitor's own tracking page does not echo it either
    assert "13700137000" not in app.test_client().get(f"/t/{receipt.token}").get_data(
        as_text=True)

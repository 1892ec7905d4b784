"""Outside offices (/admin/offices) and transferring a case to one (issue 23, point 3, step 3).

The office's mailbox is a real SMTP server (tests/support/smtp.py) and its webhook the
Standard Webhooks receiver of tests/support/robots.py, which refuses a wrong signature.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case, OfficeDelivery, OutsideOffice, Status
from app.services.cases.photos import prepare_photo
from app.services.notify.offices import send_due_office_deliveries
from tests.admin.helpers import audit_entries, submit
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.images import png
from tests.support.robots import WEBHOOK_SECRET, StandIn, running_robot_stand_in
from tests.support.smtp import smtp_server

CONTACT = "13912345678"


@pytest.fixture
def mail(app):
    with smtp_server() as (controller, handler):
        app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port,
                          SMTP_STARTTLS=False, SMTP_FROM="Park Mailbox <mailbox@parks.test>")
        yield handler


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    with running_robot_stand_in() as state:
        yield state


def _add_office(client, **fields) -> OutsideOffice:
    data = {"name": "朝阳门街道办", "email": "jiedao@street.test", **fields}
    response = submit(client, "/admin/offices", data)
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    return db.session.scalars(select(OutsideOffice).order_by(OutsideOffice.id.desc())).first()


def _transfer(client, case_id: int, office: OutsideOffice,
              note: str = "路外属于街道办，已转给他们。"):
    token = csrf_token(client, f"/staff/cases/{case_id}")
    return client.post(f"/staff/cases/{case_id}/transfer",
                       data={"csrf_token": token, "office": str(office.id), "note": note})


def test_a_director_lists_adds_and_removes_offices(staff_client):
    office = _add_office(staff_client)
    page = staff_client.get("/admin/offices").get_data(as_text=True)
    assert "朝阳门街道办" in page
    assert "jiedao@street.test" in page
    assert audit_entries("office.added")[0].target_id == office.id
    response = submit(staff_client, f"/admin/offices/{office.id}/remove", {}, "/admin/offices")
    assert response.status_code == 303
    assert "朝阳门街道办" not in staff_client.get("/admin/offices").get_data(as_text=True)
    assert audit_entries("office.removed")[0].target_id == office.id


def test_an_office_needs_an_email_address(staff_client):
    response = submit(staff_client, "/admin/offices", {"name": "街道办", "email": "nope"})
    assert response.status_code == 400
    assert db.session.scalar(select(OutsideOffice)) is None


def test_staff_who_are_not_directors_may_not_edit_offices(app, unit):
    make_staff(unit, "guard@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, "guard@rt.test")
    assert client.get("/admin/offices").status_code == 403


def test_transfer_to_an_office_counts_the_case_as_transferred(staff_client, spot):
    office = _add_office(staff_client)
    case = make_case(spot).case
    response = _transfer(staff_client, case.id, office)
    assert response.status_code == 303
    moved = db.session.get(Case, case.id)
    assert moved.status == Status.REFERRED
    assert moved.transferred_at is not None
    assert moved.resolved_at is None  # transferred is not resolved
    assert moved.first_response_at is not None  # the note is the visitor's answer
    transfers = staff_client.get(f"/api/v1/cases/{case.id}").get_json()["transfers"]
    assert transfers[0]["to"] == {"kind": "office", "park": None, "office": office.id,
                                  "name": "朝阳门街道办"}


def test_the_office_gets_text_place_and_photos_by_email_never_the_contact(staff_client, spot,
                                                                         mail):
    office = _add_office(staff_client)
    case = make_case(spot, body="大门外人行道塌了一块", contact=CONTACT,
                     photos=[prepare_photo(io.BytesIO(png()))]).case
    _transfer(staff_client, case.id, office)
    report = send_due_office_deliveries()
    assert report.sent == 1
    [message] = [m for m in mail.messages if m["To"] == "jiedao@street.test"]
    text = message.get_body(preferencelist=("plain",)).get_content()
    assert "大门外人行道塌了一块" in text
    assert "北门厕所" in text
    assert case.reference in message["Subject"]
    assert CONTACT not in message.as_string()
    attachments = list(message.iter_attachments())
    assert [a.get_content_type() for a in attachments] == [case.photos[0].content_type]


def test_the_office_webhook_is_signed_and_holds_no_contact(app, staff_client, spot, mail,
                                                           stand_in):
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    office = _add_office(staff_client, webhook_url=f"{stand_in.base}/hooks/office",
                         webhook_secret=WEBHOOK_SECRET)
    case = make_case(spot, body="大门外人行道塌了一块", contact=CONTACT).case
    _transfer(staff_client, case.id, office)
    report = send_due_office_deliveries()
    assert report.sent == 2
    [received] = stand_in.accepted("webhook")
    assert received.body["type"] == "case.transferred"
    assert received.body["data"]["reference"] == case.reference
    assert received.body["data"]["text"] == "大门外人行道塌了一块"
    assert CONTACT not in json.dumps(received.body, ensure_ascii=False)


def test_a_refused_webhook_is_retried(app, staff_client, spot, mail, stand_in):
    app.config["OUTBOUND_ALLOW_PRIVATE"] = True
    office = _add_office(staff_client, webhook_url=f"{stand_in.base}/hooks/office",
                         webhook_secret=WEBHOOK_SECRET)
    stand_in.webhook_secret = "whsec_" + "QUJD" * 8  # the office lost our secret: 401
    case = make_case(spot).case
    _transfer(staff_client, case.id, office)
    assert send_due_office_deliveries().retrying == 1
    webhook = db.session.scalar(select(OfficeDelivery).where(OfficeDelivery.channel == "webhook"))
    assert webhook.state == "pending"
    assert webhook.last_error


def test_another_units_office_is_refused(app, staff_client, other_unit, spot):
    theirs = OutsideOffice(unit_id=other_unit.id, name="XY街道", email="xy@street.test")
    db.session.add(theirs)
    db.session.commit()
    case = make_case(spot).case
    assert _transfer(staff_client, case.id, theirs).status_code == 400
    assert db.session.get(Case, case.id).status == Status.NEW

"""The burst warning on /bureau/: named spot, linked case, acknowledged by a person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Case, EarlyWarning
from app.models.types import utcnow
from app.services.bureau.bursts import raise_bursts
from app.services.bureau.rollups import REPORT_TZ
from app.services.bureau.warnings import acknowledge_warning
from tests.bureau.conftest import bureau_login
from tests.bureau.test_exports import pdf_text
from tests.conftest import csrf_token, log_in, make_case, make_staff


@pytest.fixture
def burst(app, unit, spot) -> EarlyWarning:
    for body in ("厕所水漫出来了", "我也是", "还是漫水"):
        make_case(spot, body=body)
    (warning,) = raise_bursts(utcnow())
    return warning


def acknowledge(client, warning_id: int, note: str):
    return client.post(f"/bureau/warnings/{warning_id}/acknowledge",
                       data={"note": note, "csrf_token": csrf_token(client, "/bureau/")})


def stored(warning_id: int) -> EarlyWarning:
    db.session.expire_all()
    return db.session.get(EarlyWarning, warning_id)


def test_the_director_sees_the_spot_and_the_case_link(burst, staff_client, spot):
    page = staff_client.get("/bureau/").get_data(as_text=True)
    assert spot.name_zh in page
    assert f'href="/staff/cases/{burst.case_id}"' in page
    assert "30 分钟内 3 次反映" in page  # zh-CN, the default language


def test_a_director_acknowledges_and_the_page_says_who(burst, staff_client, staff):
    response = acknowledge(staff_client, burst.id, "已派人排水")
    assert response.status_code == 303
    warning = stored(burst.id)
    assert warning.acknowledged_by_id == staff.id
    assert warning.acknowledged_at is not None
    page = staff_client.get("/bureau/").get_data(as_text=True)
    assert "已派人排水" in page
    assert staff.name in page


def test_an_empty_note_is_a_form_error(burst, staff_client):
    response = acknowledge(staff_client, burst.id, "")
    assert response.status_code == 400
    assert stored(burst.id).acknowledged_at is None


def test_a_bureau_viewer_may_not_acknowledge(app, burst, unit):
    viewer = bureau_login(app, "viewer@bureau.test", "viewer")
    page = viewer.get("/bureau/").get_data(as_text=True)
    assert f"/bureau/warnings/{burst.id}/acknowledge" not in page  # no form offered
    assert acknowledge(viewer, burst.id, "看到了").status_code == 403
    assert stored(burst.id).acknowledged_at is None


def test_a_bureau_administrator_acknowledges_and_sees_the_reference(app, burst):
    admin = bureau_login(app, "admin@bureau.test", "admin")
    page = admin.get("/bureau/").get_data(as_text=True)
    case_reference = db.session.get(EarlyWarning, burst.id)
    assert f'href="/staff/cases/{case_reference.case_id}"' not in page  # not a unit member
    assert acknowledge(admin, burst.id, "已通知园方").status_code == 303
    assert stored(burst.id).acknowledgement_note == "已通知园方"


def test_another_units_director_gets_404(app, burst, other_unit):
    make_staff(other_unit, "director@xy.test")
    client = app.test_client()
    assert log_in(client, "director@xy.test").status_code == 303
    assert acknowledge(client, burst.id, "看到了").status_code == 404
    assert stored(burst.id).acknowledged_at is None


def test_an_unknown_warning_is_404(staff_client, burst):
    assert acknowledge(staff_client, burst.id + 1000, "看到了").status_code == 404
    assert db.session.scalars(select(EarlyWarning.acknowledged_at)).all() == [None]


def test_the_directors_inbox_lists_the_warning_until_it_is_acknowledged(burst, staff_client,
                                                                         spot):
    inbox = staff_client.get("/staff/").get_data(as_text=True)
    assert 'id="inbox-warnings"' in inbox
    assert spot.name_zh in inbox
    assert f'href="/staff/cases/{burst.case_id}"' in inbox
    assert f'href="/bureau/#warning-{burst.id}"' in inbox
    assert acknowledge(staff_client, burst.id, "已派人排水").status_code == 303
    assert 'id="inbox-warnings"' not in staff_client.get("/staff/").get_data(as_text=True)


def test_park_staff_who_are_not_directors_see_no_warning_in_their_inbox(app, burst, unit):
    make_staff(unit, "cleaner@rt.test", roles=("cleaning",))
    client = app.test_client()
    assert log_in(client, "cleaner@rt.test").status_code == 303
    inbox = client.get("/staff/").get_data(as_text=True)
    assert "厕所与保洁" in inbox  # the case itself is there
    assert 'id="inbox-warnings"' not in inbox


def test_the_monthly_pdf_lists_the_burst_and_who_acknowledged_it(app, burst, staff, tmp_path):
    acknowledge_warning(user=staff, warning_id=burst.id, note="已派人排水", now=utcnow())
    admin = bureau_login(app, "admin@bureau.test", "admin")
    month = utcnow().astimezone(REPORT_TZ).strftime("%Y-%m")
    text = pdf_text(admin.get(f"/bureau/report.pdf?month={month}").get_data(), tmp_path)
    reference = db.session.get(Case, burst.case_id).reference
    assert "30 分钟内 3 次反映" in text
    assert reference in text
    assert f"{staff.name}已确认：已派人排水" in "".join(text.split())  # the PDF wraps lines

"""What the public sees of a case, set by staff: the approved summary, "private", public
photos (POST /staff/cases/<id>/publish, /private, /photos/<photo_id>/public).

Viewers (403) and other units (404) are walked by tests/test_role_walk.py.
"""

from __future__ import annotations

import io

import pytest

from app.models import AuditLog, Case
from app.services.cases.photos import photo_path, prepare_photo
from tests.conftest import csrf_token, make_case
from tests.support.db_snapshot import nothing_stored
from tests.support.images import png

BODY = "北门厕所没纸了，我电话13912345678"


@pytest.fixture
def case(spot):
    return make_case(spot, body=BODY, photos=[prepare_photo(io.BytesIO(png()))]).case


def post(client, case_id, action, **data):
    data.setdefault("csrf_token", csrf_token(client, f"/staff/cases/{case_id}"))
    return client.post(f"/staff/cases/{case_id}/{action}", data=data)


def open311(client, case):
    (row,) = client.get(f"/open311/v2/requests/{case.reference}.json").get_json()
    return row


def test_the_case_page_shows_what_the_public_sees(staff_client, case):
    html = staff_client.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    assert "北门厕所没纸了，我电话***" in html  # the masked text, shown and suggested
    assert f'action="/staff/cases/{case.id}/publish"' in html
    assert f'action="/staff/cases/{case.id}/private"' in html
    assert f'action="/staff/cases/{case.id}/photos/{case.photos[0].id}/public"' in html


def test_an_approved_summary_replaces_the_text_and_can_be_withdrawn(db, client, staff_client,
                                                                    case):
    assert open311(client, case)["description"] == "北门厕所没纸了，我电话***"
    response = post(staff_client, case.id, "publish", summary="  北门厕所缺纸  ")
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/staff/cases/{case.id}")
    assert open311(client, case)["description"] == "北门厕所缺纸"
    assert db.session.scalar(db.select(AuditLog).where(AuditLog.action == "case.published"))

    assert post(staff_client, case.id, "publish", summary="").status_code == 303
    db.session.expire_all()
    assert db.session.get(Case, case.id).public_summary is None
    assert open311(client, case)["description"] == "北门厕所没纸了，我电话***"


def test_a_summary_holding_personal_data_is_refused(db, staff_client, case):
    with nothing_stored():
        response = post(staff_client, case.id, "publish", summary="请联系 wang@example.com")
    assert response.status_code == 400
    assert "摘要中仍有电话号码" in response.get_data(as_text=True)


def test_a_private_case_shows_no_text_and_no_photo(db, client, staff, staff_client, case):
    from app.services.cases.operations import reply_to_visitor

    reply_to_visitor(user=staff, case_id=case.id, body="已补纸")
    photo_id = case.photos[0].id
    assert post(staff_client, case.id, f"photos/{photo_id}/public", public="1")\
        .status_code == 303
    assert post(staff_client, case.id, "publish", summary="北门厕所缺纸").status_code == 303
    assert post(staff_client, case.id, "private", private="1").status_code == 303
    row = open311(client, case)
    assert (row["description"], row["status_notes"], row["media_url"]) == ("", None, None)
    assert client.get(f"/photos/{photo_id}").status_code == 404

    assert post(staff_client, case.id, "private", private="0").status_code == 303
    row = open311(client, case)
    assert (row["description"], row["status_notes"]) == ("北门厕所缺纸", "已补纸")
    assert row["media_url"].endswith(f"/photos/{photo_id}")


def test_a_photo_is_public_only_once_staff_make_it_so(db, client, staff_client, case):
    photo = case.photos[0]
    assert open311(client, case)["media_url"] is None
    assert client.get(f"/photos/{photo.id}").status_code == 404

    assert post(staff_client, case.id, f"photos/{photo.id}/public", public="1")\
        .status_code == 303
    url = open311(client, case)["media_url"]
    assert url == f"https://parks.example.org/photos/{photo.id}"
    response = client.get(f"/photos/{photo.id}")
    assert response.status_code == 200
    assert response.get_data() == photo_path(photo).read_bytes()

    assert post(staff_client, case.id, f"photos/{photo.id}/public", public="0")\
        .status_code == 303
    assert client.get(f"/photos/{photo.id}").status_code == 404
    assert open311(client, case)["media_url"] is None


@pytest.mark.parametrize(("action", "data"), [
    ("private", {"private": "yes"}), ("private", {}),
    ("photos/{photo}/public", {"public": "2"}),
])
def test_a_flag_is_1_or_0(staff_client, case, action, data):
    with nothing_stored():
        response = post(staff_client, case.id, action.format(photo=case.photos[0].id), **data)
    assert response.status_code == 400


def test_another_cases_photo_is_not_found(db, spot, staff_client, case):
    other = make_case(spot, category_code="noise", body="另一个",
                      photos=[prepare_photo(io.BytesIO(png()))]).case
    with nothing_stored():
        response = post(staff_client, case.id, f"photos/{other.photos[0].id}/public",
                        public="1")
    assert response.status_code == 404

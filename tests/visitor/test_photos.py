"""Photos on the visitor form, on the tracking page and on the staff case page."""

from __future__ import annotations

import io
import os
import re
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from app.models import Case, Photo
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.images import NOT_IMAGES, jpeg_with_gps_rotated, png, png_header_only

IMG = re.compile(r'<img src="([^"]+)"')


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def stored_files(app) -> list[str]:
    folder = Path(app.config["PHOTO_DIR"])
    return sorted(os.listdir(folder)) if folder.exists() else []


@pytest.fixture
def private_tmp(tmp_path, monkeypatch) -> Path:
    """A temp folder of this test's own: the machine's /tmp is shared with other processes."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def temp_files() -> set[str]:
    return set(os.listdir(tempfile.gettempdir()))


def submit(client, code, photos, token=None, **fields):
    data = {"category": "toilets", "body": "长椅坏了，见照片",
            "csrf_token": token or csrf_token(client, f"/q/{code}")}
    data.update(fields)
    data["photos"] = [(io.BytesIO(content), name) for name, content in photos]
    return client.post(f"/q/{code}", data=data, content_type="multipart/form-data")


def test_form_accepts_photos(client, spot):
    html = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html
    assert 'name="photos"' in html
    assert "multiple" in html


def test_case_and_photos_are_stored_together(app, client, db, spot):
    response = submit(client, spot.code, [("a.jpg", jpeg_with_gps_rotated()),
                                           ("b.png", png())])
    assert response.status_code == 303
    case = db.session.scalars(select(Case)).one()
    assert len(case.photos) == 2
    files = stored_files(app)
    assert sorted(p.storage_name for p in case.photos) == files
    for photo in case.photos:
        assert photo.content_type == "image/jpeg"
        # a random name (128 bits), nothing of the visitor's file name
        assert re.fullmatch(r"[0-9a-f]{32}\.jpg", photo.storage_name)
        data = (Path(app.config["PHOTO_DIR"]) / photo.storage_name).read_bytes()
        assert photo.size == len(data)
        assert Image.open(io.BytesIO(data)).getexif() == {}
    # outside the static folder
    assert not Path(app.config["PHOTO_DIR"]).is_relative_to(Path(app.static_folder))


def test_no_photo_chosen_is_fine(client, db, spot):
    response = submit(client, spot.code, [("", b"")])
    assert response.status_code == 303
    assert count(db, Photo) == 0


@pytest.mark.parametrize("kind", sorted(NOT_IMAGES))
def test_disguised_files_are_refused_with_a_message(app, client, db, spot, kind):
    token = csrf_token(client, f"/q/{spot.code}")  # opening the form counts a scan
    with nothing_stored(kind):
        response = submit(client, spot.code, [("photo.jpg", NOT_IMAGES[kind])], token)
    assert response.status_code == 400
    assert "不是照片" in response.get_data(as_text=True)


def test_message_in_english_for_an_english_visitor(client, spot):
    client.get(f"/q/{spot.code}?lang=en")
    response = submit(client, spot.code, [("photo.jpg", NOT_IMAGES["html"])])
    assert response.status_code == 400
    assert "This file is not a photo" in response.get_data(as_text=True)


def test_decompression_bomb_is_refused(app, client, db, spot):
    token = csrf_token(client, f"/q/{spot.code}")
    with nothing_stored("a decompression bomb"):
        response = submit(client, spot.code, [("big.png", png_header_only(20000, 20000))],
                          token)
    assert response.status_code == 400


def test_when_re_encoding_fails_the_upload_is_refused_never_stored_raw(app, client, db, spot,
                                                                       monkeypatch):
    def broken_encoder(self, *args, **kwargs):
        raise OSError("encoder error -2")

    photo = jpeg_with_gps_rotated()  # made before the encoder breaks
    monkeypatch.setattr(Image.Image, "save", broken_encoder)
    token = csrf_token(client, f"/q/{spot.code}")
    with nothing_stored("a photo that cannot be re-encoded"):
        response = submit(client, spot.code, [("a.jpg", photo)], token)
    assert response.status_code == 400
    assert "无法读取这张照片" in response.get_data(as_text=True)


def test_four_photos_are_refused(app, client, db, spot):
    token = csrf_token(client, f"/q/{spot.code}")
    with nothing_stored("four photos"):
        response = submit(client, spot.code, [(f"{n}.png", png()) for n in range(4)], token)
    assert response.status_code == 400


def test_oversized_upload_is_413_and_leaves_nothing(app, client, db, spot, private_tmp):
    before = temp_files()
    token = csrf_token(client, f"/q/{spot.code}")
    boundary = "----park-mailbox-test"
    head = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        for name, value in (("category", "toilets"), ("body", "big"), ("csrf_token", token)))
    body = (head + f'--{boundary}\r\nContent-Disposition: form-data; name="photos"; '
            'filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n').encode()
    body += b"\xff\xd8\xff\xe0" + os.urandom(20 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    with nothing_stored("20 MB"):
        response = client.post(f"/q/{spot.code}", data=body,
                               content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "太大" in response.get_data(as_text=True)
    assert temp_files() - before == set()


def test_a_failed_commit_removes_the_files(app, client, db, spot, monkeypatch):
    from app.services.cases import submission as case_service

    def broken(*args, **kwargs):
        raise RuntimeError("database gone after the photos were written")

    monkeypatch.setattr(case_service, "record_event", broken)
    with pytest.raises(RuntimeError):
        submit(client, spot.code, [("a.png", png())])
    assert count(db, Case) == 0
    assert stored_files(app) == []


def test_visitor_sees_photos_through_the_tracking_link_only(app, client, db, spot):
    response = submit(client, spot.code, [("a.png", png())])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    (url,) = IMG.findall(page)
    photo = client.get(url)
    assert photo.status_code == 200
    assert photo.mimetype == "image/jpeg"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in photo.headers["Cache-Control"]
    Image.open(io.BytesIO(photo.data)).verify()
    # another token, or a photo of another case, is not found
    photo_id = url.rsplit("/", 1)[1]
    other = make_case(spot)
    assert client.get(f"/t/{other.token}/photos/{photo_id}").status_code == 404
    assert client.get(f"/t/not-a-token-at-all-1234567/photos/{photo_id}").status_code == 404


def test_staff_of_the_unit_see_photos_others_do_not(app, client, db, spot, other_unit, staff):
    submit(client, spot.code, [("a.png", png())])
    case = db.session.scalars(select(Case)).one()
    url = f"/staff/cases/{case.id}/photos/{case.photos[0].id}"
    mine = app.test_client()
    log_in(mine, staff.email)
    assert url in mine.get(f"/staff/cases/{case.id}").get_data(as_text=True)
    response = mine.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    outsider = app.test_client()
    log_in(outsider, make_staff(other_unit, "director@xy.test").email)
    assert outsider.get(url).status_code == 404
    assert app.test_client().get(url).status_code == 302


def test_a_photo_whose_file_is_gone_is_not_found_never_a_500(app, client, db, spot, staff,
                                                              caplog):
    response = submit(client, spot.code, [("a.png", png())])
    tracking = response.headers["Location"]
    case = db.session.scalars(select(Case)).one()
    photo = case.photos[0]
    (url,) = IMG.findall(client.get(tracking).get_data(as_text=True))
    with app.app_context():
        from app.services.cases.photos import photo_path
        photo_path(photo).unlink()
    staff_url = f"/staff/cases/{case.id}/photos/{photo.id}"
    mine = app.test_client()
    log_in(mine, staff.email)
    assert client.get(url).status_code == 404
    assert mine.get(staff_url).status_code == 404
    assert f"photo-{photo.id}.jpg: its file is missing" in caplog.text
    # the case page itself still opens
    assert mine.get(f"/staff/cases/{case.id}").status_code == 200


def test_staff_add_a_photo_to_a_case(app, db, staff_client, spot):
    receipt = make_case(spot)
    case_id = receipt.case.id
    token = csrf_token(staff_client, f"/staff/cases/{case_id}")
    response = staff_client.post(f"/staff/cases/{case_id}/photos", data={
        "csrf_token": token, "photos": [(io.BytesIO(jpeg_with_gps_rotated()), "fix.jpg")]},
        content_type="multipart/form-data")
    assert response.status_code == 303
    (photo,) = db.session.scalars(select(Photo)).all()
    assert photo.uploaded_by_id is not None
    assert stored_files(app) == [photo.storage_name]


def test_staff_photo_that_is_not_an_image_is_refused(app, db, staff_client, spot):
    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    with nothing_stored("an SVG as a staff photo"):
        response = staff_client.post(f"/staff/cases/{receipt.case.id}/photos", data={
            "csrf_token": token, "photos": [(io.BytesIO(NOT_IMAGES["svg"]), "x.jpg")]},
            content_type="multipart/form-data")
    assert response.status_code == 400
    assert "不是照片" in response.get_data(as_text=True)


def test_staff_cannot_add_to_another_units_case(app, db, spot, other_unit):
    receipt = make_case(spot)
    outsider = app.test_client()
    log_in(outsider, make_staff(other_unit, "director@xy.test").email)
    token = csrf_token(outsider, "/staff/")
    with nothing_stored("another unit's case"):
        response = outsider.post(f"/staff/cases/{receipt.case.id}/photos", data={
            "csrf_token": token, "photos": [(io.BytesIO(png()), "x.png")]},
            content_type="multipart/form-data")
    assert response.status_code == 404

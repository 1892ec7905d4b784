"""The visits page: bureau administrators upload, everyone else is refused; the CLI."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from app.extensions import db
from app.models import ParkVisits
from tests.conftest import csrf_token
from tests.support.db_snapshot import nothing_stored
from tests.support.pages import page_text

CSV = "park,date,visits\nRT公园,2026-04-01,12000\n"
BAD = CSV + "RT公园,someday,5\n"


def upload(client, content: str, csrf_from: str = "/bureau/visits"):
    token = csrf_token(client, csrf_from)
    return client.post("/bureau/visits", data={
        "csrf_token": token, "file": (io.BytesIO(content.encode()), "visits.csv")},
        content_type="multipart/form-data")


def days():
    return db.session.scalar(select(func.count()).select_from(ParkVisits))


def test_bureau_admin_imports_and_sees_what_is_known(admin_client):
    response = upload(admin_client, CSV)
    assert response.status_code == 303
    assert days() == 1
    page = admin_client.get("/bureau/visits").get_data(as_text=True)
    assert "12000" in page
    assert "2026-04-01" in page


def test_bad_rows_are_listed_and_nothing_is_imported(admin_client):
    with nothing_stored("bad rows"):
        response = upload(admin_client, BAD)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "someday" in page


def test_no_file_is_a_clear_error(admin_client):
    token = csrf_token(admin_client, "/bureau/visits")
    with nothing_stored("no file"):
        response = admin_client.post("/bureau/visits", data={"csrf_token": token})
    assert response.status_code == 400


def test_the_nav_links_the_page_for_bureau_admins(admin_client):
    assert 'href="/bureau/visits"' in admin_client.get("/bureau/").get_data(as_text=True)


def test_bureau_viewers_and_directors_are_refused(reader_client):
    client = reader_client
    assert client.get("/bureau/visits").status_code == 403
    assert 'href="/bureau/visits"' not in page_text(client, "/bureau/", 'href="/bureau/hotline"')
    with nothing_stored("not a bureau admin"):
        response = upload(client, CSV, csrf_from="/bureau/")
    assert response.status_code == 403


def test_cli_imports_a_file(app, unit, tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(args=["bureau", "visits", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 days of park visits imported" in result.output
    assert days() == 1


def test_cli_names_each_bad_row_and_fails(app, unit, tmp_path):
    path = tmp_path / "visits.csv"
    path.write_text(BAD)
    result = app.test_cli_runner().invoke(args=["bureau", "visits", str(path)])
    assert result.exit_code == 1
    assert "line 3" in result.output
    assert "someday" in result.output
    assert days() == 0


def test_anonymous_is_sent_to_login(client):
    response = client.get("/bureau/visits")
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]

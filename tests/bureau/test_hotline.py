"""The hotline page: upload by bureau admins and directors, refused to viewers; the CLI."""

from __future__ import annotations

import io
from datetime import date

from sqlalchemy import func, select

from app.extensions import db
from app.models import HotlineTicket
from tests.conftest import csrf_token, log_in, make_staff
from tests.support.db_snapshot import nothing_stored

CSV = "ticket_id,date,park,category,text\nH-1,2026-04-03,RT公园,噪音,太吵\n"
BAD = CSV + "H-2,someday,RT公园,噪音,日期不对\n"


def upload(client, content: str):
    token = csrf_token(client, "/bureau/hotline")
    return client.post("/bureau/hotline", data={
        "csrf_token": token, "file": (io.BytesIO(content.encode()), "tickets.csv")},
        content_type="multipart/form-data")


def tickets():
    return db.session.scalar(select(func.count()).select_from(HotlineTicket))


def test_director_imports_tickets_of_their_parks(staff_client, unit):
    response = upload(staff_client, CSV)
    assert response.status_code == 303
    assert tickets() == 1


def test_bad_rows_are_listed_and_nothing_is_imported(staff_client, unit):
    with nothing_stored("bad rows"):
        response = upload(staff_client, BAD)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "someday" in page


def test_bureau_viewers_cannot_import(app, unit):
    make_staff(None, "viewer@bureau.test", roles=(), bureau_role="viewer")
    client = app.test_client()
    log_in(client, "viewer@bureau.test")
    assert client.get("/bureau/hotline").status_code == 200
    token = csrf_token(client, "/bureau/")
    with nothing_stored("a bureau viewer"):
        response = client.post("/bureau/hotline", data={
            "csrf_token": token, "file": (io.BytesIO(CSV.encode()), "t.csv")},
            content_type="multipart/form-data")
    assert response.status_code == 403


def test_bureau_admin_imports_and_sees_the_chart(app, unit):
    unit.parks[0].mailbox_started_on = date(2026, 4, 15)
    db.session.commit()
    make_staff(None, "admin@bureau.test", roles=(), bureau_role="admin")
    client = app.test_client()
    log_in(client, "admin@bureau.test")
    assert upload(client, CSV).status_code == 303
    page = client.get("/bureau/hotline").get_data(as_text=True)
    assert "<svg" in page
    assert "data-chart" in page


def test_cli_imports_a_file(app, unit, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(CSV, encoding="utf-8-sig")
    result = app.test_cli_runner().invoke(args=["hotline", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "1 hotline tickets imported" in result.output


def test_cli_names_each_bad_row_and_fails(app, unit, tmp_path):
    path = tmp_path / "tickets.csv"
    path.write_text(BAD)
    result = app.test_cli_runner().invoke(args=["hotline", "import", str(path)])
    assert result.exit_code == 1
    assert "line 3" in result.output
    assert "someday" in result.output
    assert tickets() == 0

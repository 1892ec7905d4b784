"""A database that cannot be reached in time (no free pool connection, SQLite locked past
its busy timeout, server away) is a 503 with Retry-After, and a visitor's form comes back
with what they wrote: nothing is stored, nothing they typed is lost."""

from __future__ import annotations

from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from app.models import Case
from tests.conftest import csrf_token


def pool_exhausted(**_kwargs):
    raise PoolTimeoutError("QueuePool limit of size 5 overflow 10 reached")


def locked(_code):
    raise OperationalError("SELECT 1", {}, Exception("database is locked"))


def test_a_visitors_message_comes_back_to_send_again_when_the_database_is_busy(
        client, db, spot, monkeypatch):
    token = csrf_token(client, f"/q/{spot.code}")
    monkeypatch.setattr("app.visitor.views.submit_case", pool_exhausted)
    answer = client.post(f"/q/{spot.code}?lang=en", data={
        "csrf_token": token, "category": "toilets", "body": "The tap by the north gate drips",
        "contact": "visitor@example.org"})
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    page = answer.get_data(as_text=True)
    assert "has not been sent yet" in page
    assert "The tap by the north gate drips" in page
    assert "visitor@example.org" in page
    assert db.session.query(Case).count() == 0


def test_the_busy_message_is_in_chinese_by_default(client, spot, monkeypatch):
    token = csrf_token(client, f"/q/{spot.code}")
    monkeypatch.setattr("app.visitor.views.submit_case", pool_exhausted)
    answer = client.post(f"/q/{spot.code}", data={
        "csrf_token": token, "category": "toilets", "body": "水龙头漏水"})
    assert answer.status_code == 503
    page = answer.get_data(as_text=True)
    assert "水龙头漏水" in page
    assert "has not been sent yet" not in page


def test_a_page_that_cannot_reach_the_database_is_a_503_with_retry_after(
        client, spot, monkeypatch):
    monkeypatch.setattr("app.visitor.views.form_spot", locked)
    answer = client.get(f"/q/{spot.code}?lang=en")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert "very busy" in answer.get_data(as_text=True)


def busy(*_args, **_kwargs):
    raise OperationalError("SELECT 1", {}, Exception("could not connect to server"))


def test_open311_answers_503_in_its_own_format(client, monkeypatch, unit):
    monkeypatch.setattr("sqlalchemy.orm.Session.execute", busy)
    answer = client.get("/open311/v2/services.json")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()[0]["code"] == 503


def test_the_json_api_answers_503_in_its_own_format(staff_client, monkeypatch):
    monkeypatch.setattr("sqlalchemy.orm.Session.execute", busy)
    answer = staff_client.get("/api/v1/cases")
    assert answer.status_code == 503
    assert answer.headers["Retry-After"] == "5"
    assert answer.get_json()["code"] == 503

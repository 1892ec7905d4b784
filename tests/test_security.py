"""Secrets used in public URLs (spot codes, tracking tokens) and text no person sends."""

from __future__ import annotations

import base64
import hashlib
import logging
import re

import pytest
from sqlalchemy import func, inspect, select, text

from app.extensions import db
from app.models import Case
from app.security import CODE_ALPHABET, hash_token, new_spot_code, new_tracking_token
from tests.conftest import csrf_token, log_in

FORM = {"category": "toilets", "body": "北门厕所没有纸了"}


def test_spot_codes_are_random_over_a_safe_alphabet():
    codes = [new_spot_code() for _ in range(2000)]
    assert len(set(codes)) == len(codes)
    assert all(len(code) == 8 and set(code) <= set(CODE_ALPHABET) for code in codes)
    # not sequential: consecutive codes share no common prefix pattern
    assert len({code[:3] for code in codes}) > 1000


def test_tracking_tokens_carry_exactly_192_random_bits():
    tokens = {new_tracking_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for token in tokens:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", token)  # URL-safe, no padding
        assert len(base64.urlsafe_b64decode(token)) * 8 == 192
    # every bit varies: over 1000 tokens no bit position is stuck at 0 or 1
    bits = [int.from_bytes(base64.urlsafe_b64decode(token), "big") for token in tokens]
    stuck = [position for position in range(192)
             if len({(value >> position) & 1 for value in bits}) == 1]
    assert stuck == []


def test_token_hash_is_the_sha256_of_the_token():
    token = new_tracking_token()
    assert hash_token(token) == hashlib.sha256(token.encode("utf-8")).hexdigest()
    assert token not in hash_token(token)


def submit(client, code) -> str:
    response = client.post(f"/q/{code}", data={**FORM, "csrf_token": csrf_token(
        client, f"/q/{code}")})
    assert response.status_code == 303
    return response.headers["Location"].rsplit("/t/", 1)[1]


def test_the_database_holds_only_the_hash_of_a_tracking_token(client, spot):
    token = submit(client, spot.code)
    assert db.session.scalar(select(Case.token_hash)) == hashlib.sha256(
        token.encode()).hexdigest()
    # no column of any table holds the token itself
    for table in inspect(db.engine).get_table_names():
        for row in db.session.execute(text(f'SELECT * FROM "{table}"')):  # noqa: S608 - names from the schema
            assert all(token not in str(value) for value in row), table


def test_a_wrong_token_gets_the_same_404_as_one_never_issued(client, spot):
    token = submit(client, spot.code)
    near_miss = token[:-1] + ("A" if token[-1] != "A" else "B")
    never = new_tracking_token()
    answers = [client.get(f"/t/{candidate}") for candidate in (near_miss, never)]
    assert [answer.status_code for answer in answers] == [404, 404]
    # the same page, but for the language link back to the URL asked for
    pages = [answer.get_data(as_text=True).replace(candidate, "TOKEN")
             for answer, candidate in zip(answers, (near_miss, never), strict=True)]
    assert pages[0] == pages[1]
    assert sorted(answers[0].headers.keys()) == sorted(answers[1].headers.keys())
    assert client.get(f"/t/{token}").status_code == 200


def test_tracking_tokens_never_reach_the_application_log(client, spot, staff, caplog):
    caplog.set_level(logging.DEBUG)
    token = submit(client, spot.code)
    client.get(f"/t/{token}")
    client.post(f"/t/{token}/follow-up", data={"body": "还没有修好", "csrf_token": csrf_token(
        client, f"/t/{token}")})
    staff_client = client.application.test_client()
    log_in(staff_client, staff.email)
    case_id = db.session.scalar(select(Case.id))
    staff_client.get(f"/staff/cases/{case_id}")
    assert caplog.records
    assert all(token not in record.getMessage() for record in caplog.records)


# --- NUL: never text from a person, and PostgreSQL text cannot hold it --------------------

def test_nul_in_a_form_is_400_and_stores_nothing(client, spot):
    response = client.post(f"/q/{spot.code}", data={
        **FORM, "body": "厕所\x00没有纸", "csrf_token": csrf_token(client, f"/q/{spot.code}")})
    assert response.status_code == 400
    assert "无法处理您的请求" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


@pytest.mark.parametrize("path", ["/q/abc%00def", "/t/%00", "/staff/cases/1%00"])
def test_nul_in_the_path_is_a_friendly_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "没有找到这个页面" in response.get_data(as_text=True)

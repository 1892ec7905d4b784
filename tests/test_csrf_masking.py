"""BREACH: compressed pages never repeat a secret of the session (app/csrf.py).

Pages stay compressed (tests/test_compression.py); what makes that safe is that the CSRF
token is masked anew in every response, even two answers within the same second, and
that no page holds the session's raw token or any fixed encoding of it.
"""

from __future__ import annotations

import base64
import gzip
import json
import re

import pytest
import time_machine
from itsdangerous import BadPayload, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode
from sqlalchemy import func, select

from app.csrf import mask_token, unmask_token
from app.models import Case
from app.models.types import utcnow
from tests.conftest import CSRF_INPUT, log_in

FORM = {"category": "toilets", "body": "北门厕所没有纸了"}


def page_token(response) -> str:
    body = response.data
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    match = CSRF_INPUT.search(body.decode())
    assert match, "no CSRF token on the page"
    return match.group(1)


def raw_session_token(client) -> str:
    with client.session_transaction() as session:
        return str(session["csrf_token"])


def test_two_compressed_pages_in_the_same_second_carry_unrelated_tokens(client, spot):
    with time_machine.travel(utcnow(), tick=False):  # same timestamp in both signatures
        first = client.get(f"/q/{spot.code}", headers={"Accept-Encoding": "gzip"})
        second = client.get(f"/q/{spot.code}", headers={"Accept-Encoding": "gzip"})
    assert first.headers["Content-Encoding"] == "gzip"
    one, two = page_token(first), page_token(second)
    assert one != two
    payload_one, stamp_one, signature_one = one.rsplit(".", 2)
    payload_two, stamp_two, signature_two = two.rsplit(".", 2)
    assert stamp_one == stamp_two
    assert signature_one != signature_two
    # each payload is a fresh random pad and the raw token XOR that pad: both unmask to the
    # session's token, yet they differ almost everywhere (a random hex digit matches 1 in 16)
    masked_one, masked_two = (json.loads(base64_decode(p)) for p in (payload_one, payload_two))
    assert unmask_token(masked_one) == unmask_token(masked_two) == raw_session_token(client)
    same = sum(a == b for a, b in zip(masked_one, masked_two, strict=True))
    assert same < len(masked_one) // 4


def test_no_page_carries_the_raw_token_or_a_fixed_encoding_of_it(client, spot, staff):
    pages = [client.get(f"/q/{spot.code}").get_data(as_text=True) for _ in range(2)]
    raw = raw_session_token(client)
    # what plain Flask-WTF would put in every page of this session: base64 of '"<raw>"'
    fixed = base64.urlsafe_b64encode(f'"{raw}"'.encode()).decode().rstrip("=")
    for page in pages:
        assert raw not in page
        assert fixed[:20] not in page
    log_in(client, staff.email)
    staff_page = client.get("/staff/").get_data(as_text=True)
    assert raw_session_token(client) not in staff_page


def test_a_token_from_an_earlier_page_still_posts_the_form(client, db, spot):
    earlier = page_token(client.get(f"/q/{spot.code}"))
    page_token(client.get(f"/q/{spot.code}"))  # a newer page in the same session
    response = client.post(f"/q/{spot.code}", data={**FORM, "csrf_token": earlier})
    assert response.status_code == 303
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1


@pytest.mark.parametrize("forge", ["unmasked", "tampered", "other session"])
def test_a_forged_token_is_refused_and_stores_nothing(app, client, db, spot, forge):
    token = page_token(client.get(f"/q/{spot.code}"))
    if forge == "unmasked":  # plain Flask-WTF's token for the same session: not ours
        token = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(
            raw_session_token(client))
    elif forge == "tampered":
        payload, rest = token.split(".", 1)
        token = payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + rest
    else:
        token = page_token(app.test_client().get(f"/q/{spot.code}"))
    response = client.post(f"/q/{spot.code}", data={**FORM, "csrf_token": token})
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_mask_round_trip_and_bad_masks():
    raw = "0123456789abcdef0123456789abcdef01234567"
    masks = {mask_token(raw) for _ in range(20)}
    assert len(masks) == 20
    assert {unmask_token(masked) for masked in masks} == {raw}
    assert all(re.fullmatch(r"[0-9a-f]{160}", masked) for masked in masks)
    for bad in ("", "abc", "zz" * 40):
        with pytest.raises(BadPayload):
            unmask_token(bad)

"""Abuse of the anonymous form: rate limits, bot traps, blocked senders and spam."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from sqlalchemy import func, select

from app import create_app
from app.config import TestingConfig
from app.models import AuditLog, Case, ClientBlock
from app.services.cases.abuse import form_started_token
from tests.conftest import csrf_token, log_in, make_case, make_staff
from tests.support.infra import redis_url

FORM_FIELDS = {"category": "toilets", "body": "北门厕所没有纸了"}


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def post_form(client, code, headers=None, address="127.0.0.1", **fields):
    data = {**FORM_FIELDS, "csrf_token": csrf_token(client, f"/q/{code}"), **fields}
    return client.post(f"/q/{code}", data=data, headers=headers or {},
                       environ_base={"REMOTE_ADDR": address})


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="3 per minute")
def test_past_the_limit_a_client_gets_429_with_retry_after(client, db, spot, separate_cases):
    # the stored submissions are counted as cases
    for _ in range(3):
        assert post_form(client, spot.code).status_code == 303
    response = post_form(client, spot.code)
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    html = response.get_data(as_text=True)
    assert "留言太频繁了" in html
    assert "<html" in html
    assert count(db, Case) == 3
    # reading the form is never limited
    assert client.get(f"/q/{spot.code}").status_code == 200


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute")
def test_the_429_page_is_in_the_visitors_language(client, spot):
    client.get(f"/q/{spot.code}?lang=en")
    for _ in range(2):
        post_form(client, spot.code)
    assert "Too many messages" in post_form(client, spot.code).get_data(as_text=True)


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute")
def test_without_proxies_a_forged_forwarded_for_does_not_escape_the_limit(client, spot):
    for n in range(2):
        post_form(client, spot.code, headers={"X-Forwarded-For": f"10.0.0.{n}"})
    response = post_form(client, spot.code, headers={"X-Forwarded-For": "10.0.0.99"})
    assert response.status_code == 429


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute", PROXY_COUNT=1)
def test_behind_one_proxy_each_visitor_has_their_own_limit(app, db, spot, separate_cases):
    # each visitor's submissions are counted as cases of their own
    first = app.test_client()
    second = app.test_client()
    for _ in range(2):
        post_form(first, spot.code, headers={"X-Forwarded-For": "198.51.100.7"})
    assert post_form(first, spot.code,
                     headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    assert post_form(second, spot.code,
                     headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 303
    hashes = set(db.session.scalars(select(Case.client_hash)))
    assert len(hashes) == 2
    for value in hashes:
        assert "198.51" not in value
        assert len(value) == 32


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute")
def test_the_429_is_the_form_again_with_what_they_wrote_and_when_to_send_it(client, db, spot,
                                                                          separate_cases):
    # the two stored submissions are counted as cases of their own
    for _ in range(2):
        post_form(client, spot.code)
    client.get(f"/q/{spot.code}?lang=en")
    response = post_form(client, spot.code, body="长椅坏了，钉子露出来 <危险>",
                         contact="13800000000", category="noise", rating="4")
    assert response.status_code == 429
    wait = int(response.headers["Retry-After"])
    assert 0 < wait <= 60
    page = response.get_data(as_text=True)
    assert "长椅坏了，钉子露出来 &lt;危险&gt;</textarea>" in page
    assert 'value="13800000000"' in page
    assert re.search(r'value="noise"\s+checked', page)
    assert re.search(r'value="4"\s+checked', page)
    assert "Too many messages for now" in page
    assert "in about 1 min" in page  # and the clock time after which to send it
    assert re.search(r"again after \d\d:\d\d", page)
    assert 'name="csrf_token"' in page  # the kept form can be sent as it is
    assert count(db, Case) == 2


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute",
                    SUBMISSION_ADDRESS_LIMIT="100 per minute")
def test_a_crowd_behind_one_address_is_not_locked_out(app, db, spot):
    """Thirty phones on the park's Wi-Fi (one address), two messages each."""
    phones = [app.test_client() for _ in range(30)]
    statuses = [post_form(phone, spot.code, address="203.0.113.9").status_code
                for _ in range(2) for phone in phones]
    assert statuses == [303] * 60
    # the third from any one phone is too many
    assert post_form(phones[7], spot.code, address="203.0.113.9").status_code == 429


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute",
                    SUBMISSION_ADDRESS_LIMIT="5 per minute")
def test_an_abuser_who_throws_the_cookie_away_meets_the_address_ceiling(app, db, spot):
    statuses = [post_form(app.test_client(), spot.code, address="203.0.113.66").status_code
                for _ in range(6)]
    assert statuses == [303] * 5 + [429]
    # another address is not affected
    assert post_form(app.test_client(), spot.code, address="198.51.100.1").status_code == 303


@pytest.mark.config(RATELIMIT_ENABLED=True, SUBMISSION_RATE_LIMIT="2 per minute",
                    SUBMISSION_ADDRESS_LIMIT="100 per minute")
def test_a_forged_device_cookie_counts_as_none(app, db, spot):
    """Requests with no valid cookie share one phone's allowance per address."""
    from app.visitor.limits import DEVICE_COOKIE

    statuses = []
    for n in range(3):
        phone = app.test_client()
        token = csrf_token(phone, f"/q/{spot.code}")
        phone.set_cookie(DEVICE_COOKIE, f"forged-{n}", path="/q/")
        statuses.append(phone.post(f"/q/{spot.code}", data={**FORM_FIELDS, "csrf_token": token},
                                   environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code)
    assert statuses == [303, 303, 429]


def test_the_device_cookie_is_a_signed_random_id_and_nothing_else(app, client, spot):
    from itsdangerous import URLSafeSerializer

    from app.visitor.limits import DEVICE_COOKIE

    client.get(f"/q/{spot.code}")
    cookie = client.get_cookie(DEVICE_COOKIE, path="/q/")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    device = URLSafeSerializer(app.config["SECRET_KEY"], salt="visitor-device").loads(cookie.value)
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", device)  # 18 random bytes
    client.get(f"/q/{spot.code}")
    assert client.get_cookie(DEVICE_COOKIE, path="/q/").value == cookie.value  # kept
    other = app.test_client()
    other.get(f"/q/{spot.code}")
    assert other.get_cookie(DEVICE_COOKIE, path="/q/").value != cookie.value


def test_a_too_large_upload_explains_and_links_back_to_the_form(client, spot):
    client.get(f"/q/{spot.code}?lang=en")
    response = client.post(f"/q/{spot.code}", data=b"x" * (17 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=big")
    assert response.status_code == 413
    page = response.get_data(as_text=True)
    assert "larger than 16 MB" in page
    assert f'href="/q/{spot.code}"' in page
    assert "Back to the form" in page


def test_the_client_is_stored_as_a_keyed_hash_never_the_address(client, db, spot):
    post_form(client, spot.code)
    case = db.session.scalars(select(Case)).one()
    assert case.client_hash
    assert "127.0.0.1" not in case.client_hash
    row = db.session.execute(select(Case.__table__)).one()  # every column, as stored
    assert not any("127.0.0.1" in str(value) for value in row)


@pytest.mark.services
def test_limits_hold_across_processes_with_redis(tmp_path):
    """Two app instances (two server processes) share one limit through Redis."""
    url = redis_url()
    prefix = f"test-{uuid.uuid4().hex}"
    apps = [create_app(TestingConfig, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'r.db'}",
                       RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=url,
                       RATELIMIT_KEY_PREFIX=prefix, SUBMISSION_RATE_LIMIT="2 per minute",
                       # the limiter keeps the prefix of the first app of the process, so
                       # the keys are made unique by the secret they are hashed with
                       SECRET_KEY=f"secret-{prefix}",
                       # each request below is a new phone: the address's ceiling holds
                       SUBMISSION_ADDRESS_LIMIT="2 per minute",
                       PHOTO_DIR=str(tmp_path / "photos"))
            for _ in range(2)]
    from app.extensions import db as _db
    from tests.conftest import make_unit

    with apps[0].app_context():
        _db.create_all()
        code = make_unit("RD").parks[0].spots[0].code
    statuses = []
    for n in range(3):
        app = apps[n % 2]
        with app.app_context():
            client = app.test_client()
            statuses.append(post_form(client, code).status_code)
    assert statuses == [303, 303, 429]
    with apps[0].app_context():
        _db.drop_all()
        _db.engine.dispose()


# --- bot traps -------------------------------------------------------------------------

@pytest.mark.config(FORM_MIN_SECONDS=3)
def test_a_filled_honeypot_is_not_stored_and_looks_accepted(client, db, spot):
    started = form_started_token(time.time() - 60)
    response = post_form(client, spot.code, website="http://spam.example", started=started)
    assert response.status_code == 200
    assert "谢谢" in response.get_data(as_text=True)
    assert "honeypot" not in response.get_data(as_text=True)
    assert count(db, Case) == 0


@pytest.mark.config(FORM_MIN_SECONDS=3)
def test_a_form_sent_too_fast_is_not_stored(client, db, spot):
    response = post_form(client, spot.code, started=form_started_token(time.time()))
    assert response.status_code == 200
    assert count(db, Case) == 0


@pytest.mark.config(FORM_MIN_SECONDS=3)
@pytest.mark.parametrize("started", ["", "1700000000", "forged.signature"])
def test_a_missing_or_forged_start_is_not_stored(client, db, spot, started):
    response = post_form(client, spot.code, started=started)
    assert response.status_code == 200
    assert count(db, Case) == 0


@pytest.mark.config(FORM_MIN_SECONDS=3)
def test_a_person_who_took_their_time_is_stored(client, db, spot):
    page = client.get(f"/q/{spot.code}").get_data(as_text=True)
    assert 'name="started"' in page
    assert 'name="website"' in page
    response = post_form(client, spot.code, started=form_started_token(time.time() - 20))
    assert response.status_code == 303
    assert count(db, Case) == 1


# --- spam and blocks -------------------------------------------------------------------

def test_staff_mark_a_case_as_spam(db, staff_client, spot):
    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    response = staff_client.post(f"/staff/cases/{receipt.case.id}/spam",
                                 data={"csrf_token": token})
    assert response.status_code == 303
    case = db.session.get(Case, receipt.case.id)
    assert case.status == "spam"
    assert case.closed_at is not None
    assert case.messages[-1].status_to == "spam"
    assert db.session.scalars(select(AuditLog.action)).all() == ["case.status"]


def test_a_read_only_account_cannot_mark_spam(app, db, spot, unit):
    receipt = make_case(spot)
    viewer = app.test_client()
    log_in(viewer, make_staff(unit, "viewer@rt.test", roles=("viewer",)).email)
    page = viewer.get(f"/staff/cases/{receipt.case.id}").get_data(as_text=True)
    assert f"/staff/cases/{receipt.case.id}/spam" not in page
    response = viewer.post(f"/staff/cases/{receipt.case.id}/spam",
                           data={"csrf_token": csrf_token(viewer, "/staff/")})
    assert response.status_code == 403
    assert db.session.get(Case, receipt.case.id).status == "new"


def test_other_units_staff_cannot_mark_spam(app, db, spot, other_unit):
    receipt = make_case(spot)
    outsider = app.test_client()
    log_in(outsider, make_staff(other_unit, "director@xy.test").email)
    response = outsider.post(f"/staff/cases/{receipt.case.id}/spam",
                             data={"csrf_token": csrf_token(outsider, "/staff/")})
    assert response.status_code == 404
    assert db.session.get(Case, receipt.case.id).status == "new"


def test_a_blocked_sender_is_not_stored_until_the_block_ends(app, client, db, spot,
                                                            staff_client, separate_cases):
    # after the block the sender's submission is a case of its own, counted
    assert post_form(client, spot.code).status_code == 303
    case = db.session.scalars(select(Case)).one()
    token = csrf_token(staff_client, f"/staff/cases/{case.id}")
    response = staff_client.post(f"/admin/cases/{case.id}/block",
                                 data={"days": "7", "csrf_token": token})
    assert response.status_code == 303
    assert count(db, ClientBlock) == 1
    # the same client again: looks accepted, is not stored
    response = post_form(client, spot.code, body="再来一条垃圾")
    assert response.status_code == 200
    assert count(db, Case) == 1
    # another client is not affected
    other = app.test_client()
    assert post_form(other, spot.code, address="203.0.113.5").status_code == 303
    assert count(db, Case) == 2
    # lifting the block lets the client in again
    block = db.session.scalars(select(ClientBlock)).one()
    token = csrf_token(staff_client, "/admin/blocks")
    assert staff_client.post(f"/admin/blocks/{block.id}/lift",
                             data={"csrf_token": token}).status_code == 303
    assert post_form(client, spot.code, body="现在可以了").status_code == 303
    assert count(db, Case) == 3
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["client.blocked", "client.unblocked"]


def test_only_directors_block_senders(app, db, spot, unit):
    receipt = make_case(spot, client_hash="a" * 32)
    guard = make_staff(unit, "guard@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, guard.email)
    token = csrf_token(client, "/staff/")
    response = client.post(f"/admin/cases/{receipt.case.id}/block",
                           data={"days": "7", "csrf_token": token})
    assert response.status_code == 403
    assert count(db, ClientBlock) == 0


def test_a_director_cannot_block_for_another_unit(app, db, spot, other_unit):
    receipt = make_case(spot, client_hash="b" * 32)
    outsider = app.test_client()
    log_in(outsider, make_staff(other_unit, "director@xy.test").email)
    response = outsider.post(f"/admin/cases/{receipt.case.id}/block",
                             data={"days": "7", "csrf_token": csrf_token(outsider, "/staff/")})
    assert response.status_code == 404
    assert count(db, ClientBlock) == 0


def test_a_blocked_sender_cannot_join_an_open_case_as_me_too(app, client, db, unit, spot,
                                                            staff_client):
    assert post_form(client, spot.code).status_code == 303  # an open case at this spot
    case = db.session.scalars(select(Case)).one()
    staff_client.post(f"/admin/cases/{case.id}/block", data={
        "days": "7", "csrf_token": csrf_token(staff_client, f"/staff/cases/{case.id}")})
    response = post_form(client, spot.code, body="我也遇到了")
    assert response.status_code == 200  # looks accepted
    db.session.expire_all()
    assert db.session.get(Case, case.id).me_too_count == 0
    assert count(db, Case) == 1

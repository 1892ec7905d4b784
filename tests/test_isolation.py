"""Isolation: every protected route, walked with the wrong people, never shows or changes
another unit's data.

Routes are discovered from `app.url_map`, so a route added later is walked too. A route
whose URL has an argument this file does not know how to fill makes the test fail: add
the argument to ARGUMENTS (or the endpoint to PUBLIC_ENDPOINTS if it is meant for
anonymous visitors) when you add such a route.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.config import TestingConfig
from app.database import write_transaction
from app.extensions import db as _db
from app.models import (
    AdoptedTopic,
    AlertChannel,
    ApiKey,
    AuditLog,
    Case,
    ClientBlock,
    EarlyWarning,
    HotlineTicket,
    MeasurePhoto,
    OutsideOffice,
    PushSubscription,
    ReplyTemplate,
    RoutingRule,
    TopicMeasure,
    Unit,
    Zone,
)
from app.models.types import utcnow
from app.services.cases.photos import add_photos, prepare_photo, store_photo_file
from app.services.cases.voice import add_voice_note, prepare_voice
from tests.conftest import csrf_token, log_in, make_case, make_staff, make_unit
from tests.support.audio import tone
from tests.support.images import png

# Routes for anyone (visitors, health checks); each checks its own secret (code, token).
PUBLIC_ENDPOINTS = {
    "static", "healthz", "visitor.index", "visitor.report_form", "visitor.track",
    "visitor.track_photo", "visitor.track_voice", "staff.login",
    # a photo a staff member made public (404 for any other): Open311's media_url
    "visitor.public_photo",
    # the visitor's actions on their tracking page: the token in the URL is the key
    "visitor.follow_up", "visitor.fixed", "visitor.not_fixed", "visitor.rate",
    # a director's set-password link: the signed, single-use token in the URL is the key
    "admin.invite",
    # the staff app's manifest (name, icons), read by the phone before anyone logs in
    "staff.manifest",
    # the staff service worker (a static script; the browser checks it for updates in the
    # background, even after the session ended)
    "staff.service_worker",
    # that worker replacing its phone's rotated push subscription: no session (it may run
    # with no page open), the renewal token in the body is the key (tests/services/
    # test_push.py: a wrong, absent or another phone's token is 403, nothing changed)
    "staff.push_renew",
    # the API's own description
    "api_docs_page.docs", "api-docs.openapi_json",
    # a park's public board ("you said, we did"): approved summaries and masked text only,
    # never a contact (its own privacy walk: tests/test_public_privacy.py)
    "visitor.board",
}
# Pages about the logged-in person's own account, open to anyone logged in (a bureau user
# too): only the anonymous must be refused
OWN_ACCOUNT_ENDPOINTS = {"staff.password"}
# Open311 GeoReport v2 is a public standard: anonymous reads, writes with an API key
PUBLIC_BLUEPRINTS = ("open311.",)
PROTECTED_PREFIXES = ("/staff", "/admin", "/bureau", "/api")
SAFE_METHODS = {"HEAD", "OPTIONS"}
# what a refusal looks like: a redirect to the login page, unauthorised, forbidden, not
# found (another unit's object), or a refused form (422: the API checks its input first)
REFUSED = {302, 400, 401, 403, 404, 405, 422}


@dataclass
class World:
    """Unit A (the owner of everything requested) and the people who must not see it."""

    unit: Unit
    case: Case
    secrets: tuple[str, ...]
    ids: dict[str, Any]


# How to fill each URL argument with an object of unit A.
ARGUMENTS: dict[str, Any] = {
    "case_id": lambda world: world.ids["case"],
    "photo_id": lambda world: world.ids["photo"],
    "note_id": lambda world: world.ids["voice"],
    "block_id": lambda world: world.ids["block"],
    "park_id": lambda world: world.ids["park"],
    "spot_id": lambda world: world.ids["spot"],
    "category_id": lambda world: world.ids["category"],
    "user_id": lambda world: world.ids["user"],
    "unit_id": lambda world: world.ids["unit"],
    "message_id": lambda world: world.ids["message"],
    "key_id": lambda world: world.ids["key"],
    "template_id": lambda world: world.ids["template"],
    "rule_id": lambda world: world.ids["rule"],
    "channel_id": lambda world: world.ids["channel"],
    "subscription_id": lambda world: world.ids["subscription"],
    "code": lambda world: world.ids["spot_code"],
    "warning_id": lambda world: world.ids["warning"],
    "ticket_pk": lambda world: world.ids["ticket"],
    "topic_id": lambda world: world.ids["topic"],
    "measure_photo_id": lambda world: world.ids["measure_photo"],
    "zone_id": lambda world: world.ids["zone"],
    "office_id": lambda world: world.ids["office"],
    "file_format": lambda _world: "csv",  # the 12345 replies, CSV or XLSX: the same rows
}


def _rules(public: bool = False) -> list[tuple[str, str, str]]:
    """(endpoint, rule, method) of every protected route (and the public ones too)."""
    app = create_app(TestingConfig, SQLALCHEMY_DATABASE_URI="sqlite://")
    found = []
    for rule in app.url_map.iter_rules():
        if not public and (rule.endpoint in PUBLIC_ENDPOINTS
                           or rule.endpoint.startswith(PUBLIC_BLUEPRINTS)):
            continue
        for method in sorted((rule.methods or set()) - SAFE_METHODS):
            found.append((rule.endpoint, rule.rule, method))
    return sorted(found)


RULES = _rules()


def test_every_route_is_public_or_under_a_protected_prefix():
    strays = [rule for _endpoint, rule, _method in RULES
              if not rule.startswith(PROTECTED_PREFIXES)]
    assert strays == [], ("routes outside /staff, /admin, /bureau, /api that are not in "
                          f"PUBLIC_ENDPOINTS: {strays}; list public ones there")


def _build_world(app: Flask) -> World:
    unit = make_unit("RT")
    spot = unit.parks[0].spots[0]
    private_body = "甲园秘密留言 unit-A-secret-body"
    contact = "13900000001"
    receipt = make_case(spot, body=private_body, contact=contact,
                            client_hash="c" * 32)
    owner = make_staff(unit, "owner@rt.test")
    with write_transaction() as session:
        case = session.get(Case, receipt.case.id)
        (photo,) = add_photos(session, case, [prepare_photo(io.BytesIO(png()))])
        voice = add_voice_note(session, case, prepare_voice(io.BytesIO(tone(seconds=0.5))))
        block = ClientBlock(unit_id=unit.id, client_hash="d" * 32,
                            expires_at=utcnow() + timedelta(days=30), created_by_id=owner.id)
        session.add(block)
        key = ApiKey(unit_id=unit.id, name="unit A's key", prefix="pk_unita",
                     key_hash="e" * 64, created_by_id=owner.id)
        session.add(key)
        template = ReplyTemplate(unit_id=unit.id, title="unit A's template",
                                 body="unit-A-secret-template")
        rule = RoutingRule(unit_id=unit.id, category_id=unit.categories[0].id,
                           park_id=unit.parks[0].id, role="security")
        channel = AlertChannel(unit_id=unit.id, kind="webhook",
                               url="https://hooks.example.org/unit-A-secret-hook",
                               secret="whsec_" + "A" * 32, events="feedback.created")
        phone = PushSubscription(user_id=owner.id, p256dh="B" * 87, auth="C" * 22,
                                 endpoint="https://push.example.org/unit-A-secret-phone")
        warning = EarlyWarning(kind="burst", unit_id=unit.id, park_id=spot.park_id,
                               spot_id=spot.id, category_id=case.category_id, case_id=case.id,
                               window_start=case.created_at, window_end=case.created_at,
                               observed=3, expected=0.0, p_value=0.0)
        ticket = HotlineTicket(ticket_id="GD-unit-A", unit_id=unit.id, needs_place=True,
                               day=case.created_at.date(), category="厕所", body=private_body,
                               contact=contact, received_at=case.created_at)
        topic = AdoptedTopic(month=date(2026, 3, 1), title="unit A's topic",
                             keywords="洗手液", units=[session.get(Unit, unit.id)])
        measure = TopicMeasure(topic=topic, unit_id=unit.id, author_id=owner.id,
                               taken_on=date(2026, 3, 2), body="unit-A-secret-measure")
        measure.photos.append(MeasurePhoto(
            storage_name=store_photo_file(session, prepare_photo(io.BytesIO(png()))),
            checksum="f" * 64, content_type="image/jpeg", size=1, width=1, height=1))
        zone = Zone(code="unit-a-zone", unit_id=unit.id, name_zh="甲园专区",
                    message_zh="unit-A-secret-zone", starts_on=date(2026, 3, 1),
                    ends_on=date(2099, 3, 1))
        office = OutsideOffice(unit_id=unit.id, name="unit-A-secret-office",
                               email="office@unit-a.test")
        session.add_all([template, rule, channel, phone, warning, ticket, topic, measure, zone,
                         office])
        session.flush()
        ids = {"case": case.id, "photo": photo.id, "voice": voice.id, "block": block.id,
               "key": key.id,
               "park": unit.parks[0].id, "spot": spot.id,
               "category": unit.categories[0].id, "user": owner.id, "unit": unit.id,
               "message": case.messages[0].id, "spot_code": spot.code,
               "template": template.id, "rule": rule.id, "channel": channel.id,
               "subscription": phone.id, "warning": warning.id, "ticket": ticket.id,
               "topic": topic.id, "measure_photo": measure.photos[0].id, "zone": zone.id,
               "office": office.id}
        reference = case.reference
    return World(unit=unit, case=case, secrets=(private_body, contact, reference, spot.code,
                                                "unit-A-secret-template", "unit-A-secret-hook",
                                                "unit-A-secret-phone",
                                                "unit-A-secret-measure", "unit-A-secret-zone",
                                                "unit-A-secret-office"),
                 ids=ids)


def _url(world: World, rule: str) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        if name not in ARGUMENTS:
            pytest.fail(f"{rule}: the isolation walk does not know how to fill <{name}>; "
                        "add it to ARGUMENTS in tests/test_isolation.py")
        return str(ARGUMENTS[name](world))

    return re.sub(r"<([^>]+)>", fill, rule)


def _row_counts() -> dict[str, int]:
    """Rows per table; the audit log is checked apart (reading an export is audited)."""
    _db.session.commit()
    return {table.name: _db.session.scalar(select(func.count()).select_from(table)) or 0
            for table in _db.metadata.sorted_tables
            if table.name not in ("job_leases", "audit_log")}


def _audited_units(after_id: int) -> set[int | None]:
    return set(_db.session.scalars(select(AuditLog.unit_id).where(AuditLog.id > after_id)))


def _last_audit_id() -> int:
    return _db.session.scalar(select(func.max(AuditLog.id))) or 0


def _client(app: Flask, email: str | None) -> FlaskClient:
    client = app.test_client()
    if email:
        assert log_in(client, email).status_code == 303
    return client


def _people(app: Flask, world: World, prefix: str, rule: str) -> dict[str, str | None]:
    """Who walks the route: no one, a director of another unit, someone of the wrong role."""
    other = make_unit("XY")
    outsider = make_staff(other, "director@xy.test")
    make_case(other.parks[0].spots[0], body="乙园自己的留言")
    if prefix in ("/admin", "/bureau") or "/bureau" in rule:
        # park staff of unit A itself, but not a director
        wrong_role = make_staff(world.unit, "guard@rt.test", roles=("security",))
    elif prefix == "/api":
        # bureau users may read every park through the API: the wrong role there is an
        # account with no membership and no bureau role at all
        wrong_role = make_staff(None, "nobody@city.test", roles=())
    else:
        # a bureau user: no park membership, and never a visitor's contact
        wrong_role = make_staff(None, "bureau@city.test", roles=(), bureau_role="viewer")
    return {"anonymous": None, "other unit": outsider.email, "wrong role": wrong_role.email}


@pytest.mark.parametrize(("endpoint", "rule", "method"), RULES,
                         ids=[f"{m} {r}" for _e, r, m in RULES])
def test_route_refuses_the_wrong_people(app, endpoint, rule, method):
    world = _build_world(app)
    url = _url(world, rule)
    prefix = "/" + rule.strip("/").split("/")[0]
    has_object = re.search(r"<(?!any\()", rule) is not None  # <any(csv, xlsx):…> is a format
    for who, email in _people(app, world, prefix, rule).items():
        client = _client(app, email)
        before = _row_counts()
        last_audit = _last_audit_id()
        case_before = (world.case.status, world.case.updated_at)
        if method == "GET":
            response = client.get(url)
        else:
            token = csrf_token(client, "/staff/login") if email is None else\
                _token_from_any_page(client)
            response = client.open(url, method=method, data={
                "csrf_token": token, "body": "intrusion", "status": "spam", "days": "30",
                "photos": [(io.BytesIO(png()), "x.png")]},
                content_type="multipart/form-data")
        body = response.get_data().decode("utf-8", "replace")  # exports are binary too
        where = f"{method} {url} as {who} -> {response.status_code}"
        for secret in world.secrets:
            assert secret not in body, f"{where}: shows unit A's {secret!r}"
        after = _row_counts()
        changed = {t: (before[t], after[t]) for t in before if before[t] != after[t]}
        _db.session.expire_all()
        case = _db.session.get(Case, world.ids["case"])
        assert changed == {}, f"{where}: changed rows {changed}"
        assert world.unit.id not in _audited_units(last_audit), f"{where}: audited for unit A"
        assert (case.status, case.updated_at) == case_before, f"{where}: changed the case"
        if who == "anonymous":
            assert response.status_code in REFUSED, where
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], where
        elif (who == "wrong role" and endpoint not in OWN_ACCOUNT_ENDPOINTS) or has_object:
            assert response.status_code in REFUSED, where
        # a director of another unit may open pages without an object of unit A (their own
        # inbox, their own settings): the checks above make sure unit A's data is not there


def _token_from_any_page(client: FlaskClient) -> str:
    for page in ("/staff/", "/admin/", "/bureau/", "/staff/login"):
        response = client.get(page)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(
            as_text=True))
        if match:
            return match.group(1)
    return ""  # no page of theirs has a form: the request goes without a token


def test_sockets_never_carry_another_units_events_live_or_in_catch_up(app, spot, staff,
                                                                      other_unit):
    from app.extensions import socketio
    from app.realtime import NAMESPACE
    from tests.conftest import isolated

    theirs = other_unit.parks[0].spots[0]
    make_case(theirs, body="乙园：连接之前")
    mine = make_case(spot, body="甲园：连接之前")
    client = app.test_client()
    log_in(client, staff.email)
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE, flask_test_client=client,
                      auth={"since": 0})
    caught_up = [event for event in socket.get_received(NAMESPACE)
                 if event["name"] not in ("sync.done", "sync.reload")]
    assert [event["args"][0]["case_id"] for event in caught_up] == [mine.case.id]
    make_case(theirs, body="乙园：连接之后")
    live = make_case(spot, body="甲园：连接之后")
    received = socket.get_received(NAMESPACE)
    assert [event["args"][0]["case_id"] for event in received] == [live.case.id]
    for event in caught_up + received:
        assert event["args"][0]["unit_id"] == spot.park.unit_id
        assert "乙园" not in str(event["args"][0])

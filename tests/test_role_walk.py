"""Roles: every state-changing route, sent by each person who may not use it, gets the
documented refusal and changes nothing (no row of any table, no photo file).

Routes come from `app.url_map` (like the CSRF walk), so a route added later is walked
without anyone listing it. Each request is one the route would accept from someone allowed
(a filled form, a JSON body built from the OpenAPI document's schema), so that only the
person is wrong: a route that refuses a read-only viewer with 400 instead of 403 checked
the form before the role, and fails here.

Who walks, and what the README promises them:
- anonymous: pages redirect to the login (302), the JSON API 401, Open311 403 (no api_key);
- a viewer (read-only role) of the case's own unit: 403;
- a member of another unit (park staff there): 404 for an object of this unit where the
  route is for park staff (/staff, the API), 403 where it is for directors or the bureau;
- a bureau viewer (read-only, no unit): 403;
- an API key of the case's unit (the JSON API only; keys are read-only): 403, except on
  the routes where a unit's key files something (KEY_FILES).
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.database import write_transaction
from app.extensions import db as _db
from app.models import Case, Spot, StaffUser
from app.models.types import utcnow
from app.security import hash_token, new_tracking_token
from app.services.accounts.api_keys import issue_api_key
from app.services.cases.metoo import join_me_too
from tests.conftest import csrf_token, log_in, make_staff, make_unit
from tests.support.db_snapshot import Snapshot
from tests.support.images import png
from tests.test_isolation import ARGUMENTS, World, _build_world, _rules

WALKED_PREFIXES = ("/staff", "/admin", "/bureau", "/api/v1", "/open311")
# routes every logged-in person may use on their own account (refused only to the anonymous)
OWN_ACCOUNT = {"staff.logout", "bureau.logout", "staff.password",
               # this phone's Web Push subscription (/staff/alerts)
               "staff.push_subscribe", "staff.push_unsubscribe", "staff.push_test",
               "staff.push_remove",
               # how alerts reach this person (a viewer is refused: tests/staff/test_reach.py)
               "staff.alerts_reach"}
# keyed by a secret in the URL or the form, not by a session: their own walks check them
# (tests/test_isolation.py, tests/test_csrf_walk.py, tests/admin/test_staff_accounts.py)
NOT_ROLE_KEYED = {"staff.login", "admin.invite",
                  # a phone's service worker, with no session, replaces its rotated push
                  # subscription with the renewal token it was given
                  # (tests/services/test_push.py: wrong, absent or another's token 403)
                  "staff.push_renew"}
# the JSON API routes a unit's key may use to file something, as Open311 lets it file a
# request: the 12345 platform sends tickets (tests/api/test_hotline_api.py: another unit's
# key 404, nothing stored on bad input)
KEY_FILES = {"api_v1.create_hotline_ticket"}
# a question sent by POST only so that a visitor's words never reach a URL: it changes
# nothing, and any staff of the unit or its key may ask (tests/api/test_category_suggest.py)
READ_BY_POST = {"api_v1.suggest"}

ROUTES = [(endpoint, rule, method) for endpoint, rule, method in _rules(public=True)
          if method != "GET" and rule.startswith(WALKED_PREFIXES)
          and endpoint not in NOT_ROLE_KEYED and endpoint not in READ_BY_POST]
PEOPLE = ("anonymous", "unit viewer", "other unit", "bureau viewer", "api key")

# A value for every field a state-changing route may ask for: each one valid, so that
# only the person is wrong. A route with a new field gets a sample here.
SAMPLES: dict[str, Any] = {
    "body": "role walk", "reply": "role walk reply", "summary": "role walk summary",
    "status": "in_progress", "referred_to": "role walk office", "days": "30",
    "private": "1", "public": "1", "score": "5", "name": "role walk",
    "kind": "webhook", "url": "https://hooks.example.org/role-walk",
    "category": "toilets", "channel": "phone", "urgent": "1", "note": "role walk note",
    "contact_made": "contacted", "result": "resolved",
    "ticket_id": "GD-role-walk", "received_at": "2026-12-01T09:00:00+08:00",
    "text": "role walk ticket",
    "title": "role walk topic", "keywords": "洗手液", "month": "2026-03",
    "taken_on": "2026-03-02",
    "code": "role-walk", "name_zh": "专区", "message_zh": "role walk zone",
    "starts_on": "2099-01-01", "ends_on": "2099-01-31", "role": "security",
    "park": "role-walk-park", "into": "RT-2026-000002",
}
# routes that name an object of the unit in their body, not their URL (a spot's code):
# park staff of another unit get 404 there too
BODY_NAMES_AN_OBJECT = {"staff.create_case", "api_v1.create_case", "staff.hotline_upload",
                        "api_v1.create_hotline_ticket"}


def _area(rule: str) -> str:
    return "/" + rule.strip("/").split("/")[0]


def expected_refusal(who: str, endpoint: str, rule: str) -> int:
    """The status the README documents for this person on this route."""
    area = _area(rule)
    if who == "anonymous":
        return {"/api": 401, "/open311": 403}.get(area, 302)
    if area == "/open311":
        return 403  # a session is no api_key
    if who == "other unit" and ("<" in rule or endpoint in BODY_NAMES_AN_OBJECT) and \
            area in ("/staff", "/api"):
        return 404
    return 403


def _world(app: Flask) -> World:
    world = _build_world(app)
    with write_transaction() as session:
        case = session.get(Case, world.ids["case"], with_for_update=True)
        link = join_me_too(session, case, token_hash=hash_token(new_tracking_token()),
                           body="role walk: me too", contact=None, rating=None,
                           language="zh_CN", now=utcnow())
        session.flush()
        world.ids["link"] = link.id
    owner = _db.session.get(StaffUser, world.ids["user"])
    world.ids["api_key"] = issue_api_key(user=owner, unit_id=world.unit.id,
                                         name="role walk").secret
    return world


def _person(world: World, who: str) -> str | None:
    """The e-mail of the person (None: anonymous or an API key)."""
    if who == "unit viewer":
        return make_staff(world.unit, "viewer@rt.test", roles=("viewer",)).email
    if who == "other unit":
        other = make_unit("XY")
        return make_staff(other, "guard@xy.test", roles=("security",)).email
    if who == "bureau viewer":
        return make_staff(None, "bureau@city.test", roles=(), bureau_role="viewer").email
    return None


def _fill(world: World, rule: str) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[-1]
        if name == "fmt":
            return "json"
        assert name in ARGUMENTS, f"{rule}: add <{name}> to ARGUMENTS in tests/test_isolation.py"
        return str(ARGUMENTS[name](world))

    return re.sub(r"<([^>]+)>", value, rule)


def _spot_code(world: World) -> str:
    return str(_db.session.get(Spot, world.ids["spot"]).code)


def _form(world: World, token: str) -> dict[str, Any]:
    return {**SAMPLES, "csrf_token": token, "assignee_id": str(world.ids["user"]),
            "spot": _spot_code(world), "unit": str(world.ids["unit"]),
            "units": [str(world.ids["unit"])],
            "link_id": str(world.ids["link"]), "photos": [(io.BytesIO(png()), "walk.png")]}


def _schema(spec: dict[str, Any], ref: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in ref:
        ref = spec["components"]["schemas"][ref["$ref"].rsplit("/", 1)[1]]
    return ref


def _json_body(app: Flask, world: World, rule: str, method: str) -> dict[str, Any]:
    """A body the route accepts, from its request schema in /api/openapi.json."""
    spec = app.test_client().get("/api/openapi.json").get_json()
    path = re.sub(r"<(?:int:)?([^>]+)>", r"{\1}", rule)
    operation = spec["paths"][path][method.lower()]
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return {}
    schema = _schema(spec, content["application/json"]["schema"])
    samples = {**SAMPLES, "assignee_id": world.ids["user"], "spot": _spot_code(world),
               "unit_id": world.ids["unit"]}
    missing = [name for name in schema.get("required", []) if name not in samples]
    assert not missing, f"{rule}: add a sample for {missing} to SAMPLES"
    return {name: samples[name] for name in schema.get("properties", {}) if name in samples}


def _request(app: Flask, world: World, who: str, rule: str, method: str) -> Any:
    """Log the person in, then a function that sends the request (and nothing else)."""
    client: FlaskClient = app.test_client()
    email = _person(world, who)
    headers: dict[str, str] = {}
    if email:
        assert log_in(client, email).status_code == 303, who
    url = _fill(world, rule)
    if rule.startswith("/api/"):
        if who == "api key":
            headers["X-API-Key"] = world.ids["api_key"]
        elif email:
            headers["X-CSRFToken"] = client.get("/api/v1/session").get_json()["csrf_token"]
        body = _json_body(app, world, rule, method)
        return lambda: client.open(url, method=method, json=body, headers=headers)
    # a page of this person's with a form gives a valid token (the anonymous: the login's)
    token = csrf_token(client, "/staff/login") if email is None else\
        _token_of(client, world)
    return lambda: client.open(url, method=method, data=_form(world, token),
                               content_type="multipart/form-data")


def _token_of(client: FlaskClient, world: World) -> str:
    for page in (f"/staff/cases/{world.ids['case']}", "/staff/password", "/bureau/"):
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"',
                          client.get(page).get_data(as_text=True))
        if match:
            return match.group(1)
    raise AssertionError("no page with a form for this person")


def _walks(endpoint: str, rule: str, who: str) -> bool:
    if who == "api key":
        return rule.startswith("/api/") and endpoint not in KEY_FILES
    return endpoint not in OWN_ACCOUNT or who == "anonymous"


@pytest.mark.parametrize(("endpoint", "rule", "method"), ROUTES,
                         ids=[f"{m} {r}" for _e, r, m in ROUTES])
def test_route_refuses_every_role_that_may_not_use_it(app, endpoint, rule, method):
    world = _world(app)
    walked = [who for who in PEOPLE if _walks(endpoint, rule, who)]
    assert walked, f"{rule}: nobody walks it"
    for who in walked:
        where = f"{method} {rule} as {who}"
        send = _request(app, world, who, rule, method)
        snapshot = Snapshot()
        response = send()
        expected = expected_refusal(who, endpoint, rule)
        snapshot.assert_unchanged(f"{where} -> {response.status_code}")
        assert response.status_code == expected, (
            f"{where}: {response.status_code}, the README says {expected}: "
            f"{response.get_data(as_text=True)[:300]}")
        if expected == 302:
            assert "/staff/login" in response.headers["Location"], where


def test_the_walk_covers_every_write_of_each_audience():
    """A guard on the walk itself: the writes the defects were found on are in it."""
    walked = {rule for _endpoint, rule, _method in ROUTES}
    for rule in ("/staff/cases/<int:case_id>/reply", "/staff/cases/<int:case_id>/photos",
                 "/staff/cases/<int:case_id>/status", "/api/v1/cases/<int:case_id>/replies",
                 "/api/v1/cases/<int:case_id>/status", "/open311/v2/requests.<fmt>",
                 "/admin/unit", "/bureau/hotline"):
        assert rule in walked, rule

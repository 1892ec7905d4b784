"""CSRF: every state-changing route, sent by someone allowed to use it, is refused without
the form's token (400) or from another site's page (403), and changes nothing.

Routes come from `app.url_map`, so a form added later is walked too. Open311 is the one
exception, by design: machines post to it with an API key, never with a browser session.
"""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient

from app.extensions import csrf
from app.extensions import db as _db
from app.models import Case, PushSubscription, StaffUser
from app.security import hash_token
from app.services.accounts.staff import make_invite_token
from tests.conftest import csrf_token, log_in, make_case
from tests.support.images import png
from tests.support.webpush import Phone
from tests.test_isolation import ARGUMENTS, World, _build_world, _row_counts, _rules

# routes keyed by a secret of their own in the body instead of a session and its CSRF
# token, each with its reason; every other route is walked
CSRF_EXEMPT = {
    # a phone's service worker replaces its rotated push subscription with no page, session
    # or CSRF token: the renewal token only that phone holds is the key (another site's
    # page cannot know it; tests/services/test_push.py), and another site's Origin is
    # refused all the same (test_push_renewal_is_keyed_by_its_token_not_a_session below)
    "staff.push_renew",
}
# every route that changes something, public ones included (the isolation walk skips them)
STATE_CHANGING = [(endpoint, rule, method) for endpoint, rule, method in _rules(public=True)
                  if method != "GET" and not endpoint.startswith("open311.")
                  and endpoint not in CSRF_EXEMPT]
# a page of the same person's that carries a form, for a valid token
TOKEN_PAGE = {"/q/": "/q/{code}", "/t/": "/t/{token}", "/admin/invite/": "/admin/invite/{invite}",
              "/staff/login": "/staff/login"}


API_PAYLOADS = {"notes": {"body": "forged"}, "replies": {"body": "forged"},
                "status": {"status": "spam"}, "assign": {"assignee_id": 1},
                "tickets": {"ticket_id": "GD-forged", "received_at": "2026-12-01 09:00:00",
                            "text": "forged"}}


def _fill(world: World, rule: str, visitor_token: str, invite: str) -> str:
    url = rule.replace("<token>", invite if rule.startswith("/admin/invite/") else visitor_token)
    for name, fill in ARGUMENTS.items():
        for converter in ("", "int:"):
            url = url.replace(f"<{converter}{name}>", str(fill(world)))
    assert "<" not in url, f"{rule}: add its argument to ARGUMENTS in tests/test_isolation.py"
    return url


def _public(rule: str) -> bool:
    return rule.startswith(("/q/", "/t/", "/admin/invite/", "/staff/login"))


def _allowed_client(app, rule: str) -> FlaskClient:
    """Someone who may use the route: its visitor, or unit A's director."""
    client = app.test_client()
    if not _public(rule):
        assert log_in(client, "owner@rt.test").status_code == 303
    return client


def _valid_token(client: FlaskClient, world: World, rule: str, visitor_token: str,
                 invite: str) -> str:
    for prefix, page in TOKEN_PAGE.items():
        if rule.startswith(prefix):
            return csrf_token(client, page.format(code=world.ids["spot_code"],
                                                  token=visitor_token, invite=invite))
    return csrf_token(client, f"/staff/cases/{world.ids['case']}")


def _send(client: FlaskClient, url: str, method: str, token: str | None,
          headers: dict[str, str], spot_code: str) -> object:
    data = {"body": "forged", "status": "spam", "days": "30", "category": "toilets",
            "spot": spot_code, "channel": "phone",
            "score": "5", "email": "owner@rt.test", "password": "x",
            "photos": [(io.BytesIO(png()), "x.png")]}
    if token is not None:
        data["csrf_token"] = token
    if url.startswith("/api/"):  # the JSON API takes its token in a header
        if token is not None:
            headers = {**headers, "X-CSRFToken": token}
        # a body the API accepts, so that only the token (or the origin) is wrong
        payload = API_PAYLOADS.get(url.rsplit("/", 1)[1], {})
        if url == "/api/v1/cases":  # a case taken down at the unit's spot
            payload = {"spot": spot_code, "category": "toilets", "body": "forged",
                       "channel": "phone"}
        return client.open(url, method=method, json=payload, headers=headers)
    return client.open(url, method=method, data=data, headers=headers,
                       content_type="multipart/form-data")


@pytest.mark.parametrize("attack", ["no token", "foreign origin"])
@pytest.mark.parametrize(("endpoint", "rule", "method"), STATE_CHANGING,
                         ids=[f"{m} {r}" for _e, r, m in STATE_CHANGING])
def test_state_changing_route_refuses_a_forged_request(app, endpoint, rule, method, attack):
    world = _build_world(app)
    visitor = make_case(world.unit.parks[0].spots[0], body="visitor's own case")
    invite = make_invite_token(_db.session.get(StaffUser, world.ids["user"]))
    url = _fill(world, rule, visitor.token, invite)
    client = _allowed_client(app, rule)
    token = None
    headers: dict[str, str] = {}
    if attack == "foreign origin":
        token = _valid_token(client, world, rule, visitor.token, invite)
        headers = {"Origin": "https://evil.example"}
    before = _row_counts()
    case_before = (world.case.status, world.case.updated_at)
    response = _send(client, url, method, token, headers,
                     spot_code=world.unit.parks[0].spots[0].code)
    where = f"{method} {url} with {attack} -> {response.status_code}"
    assert response.status_code == (400 if attack == "no token" else 403), where
    after = _row_counts()
    assert {t: (before[t], after[t]) for t in before if before[t] != after[t]} == {}, where
    _db.session.expire_all()
    case = _db.session.get(Case, world.ids["case"])
    assert (case.status, case.updated_at) == case_before, where


def test_only_the_listed_views_skip_the_csrf_check(app):
    """Nothing is exempt by accident: the JSON API and Open311 (whole blueprints, checked
    per write) and CSRF_EXEMPT, no other view."""
    listed = {f"{view.__module__}.{view.__name__}"
              for view in (app.view_functions[endpoint] for endpoint in CSRF_EXEMPT)}
    assert csrf._exempt_views == listed
    assert {blueprint.name for blueprint in csrf._exempt_blueprints} == {"api_v1", "open311"}


def test_push_renewal_is_keyed_by_its_token_not_a_session(app):
    """The exempt renewal, sent by the logged-in owner from their own site without the
    phone's renewal token, or with it from another site's page: 403, nothing changed."""
    world = _build_world(app)
    phone = _db.session.get(PushSubscription, world.ids["subscription"])
    phone.renew_token_hash = hash_token("the phone's own renewal token")
    _db.session.commit()
    client = _allowed_client(app, "/staff/push/subscriptions/renew")
    body = {"oldEndpoint": phone.endpoint, "subscription": Phone(
        "https://push.example.org/forged").to_json()}
    attacks = {"no renewal token": (body, {}),
               "foreign origin": ({**body, "renewToken": "the phone's own renewal token"},
                                  {"Origin": "https://evil.example"})}
    for attack, (payload, headers) in attacks.items():
        before = _row_counts()
        response = client.post("/staff/push/subscriptions/renew", json=payload,
                               headers=headers)
        assert response.status_code == 403, attack
        assert _row_counts() == before, attack
        _db.session.expire_all()
        assert _db.session.get(PushSubscription, world.ids["subscription"]).endpoint == \
            "https://push.example.org/unit-A-secret-phone", attack

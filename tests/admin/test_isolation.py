"""Every settings URL: anonymous -> login, non-director -> 403, another unit's object -> 404."""

from __future__ import annotations

import pytest

from app.models import ReplyTemplate, RoutingRule
from tests.conftest import csrf_token, log_in, make_staff

# (method, url); {category}, {rule}, {template}, {member} belong to `other_unit`
# (/admin/invite/<token> is for the logged-out person holding the link: see test_staff_accounts)
PAGES = [
    ("GET", "/admin/"),
    ("GET", "/admin/unit"),
    ("POST", "/admin/unit"),
    ("GET", "/admin/categories"),
    ("GET", "/admin/categories/new"),
    ("POST", "/admin/categories/new"),
    ("GET", "/admin/categories/{category}"),
    ("POST", "/admin/categories/{category}"),
    ("GET", "/admin/routing"),
    ("POST", "/admin/routing"),
    ("POST", "/admin/routing/{rule}/delete"),
    ("GET", "/admin/replies"),
    ("GET", "/admin/replies/new"),
    ("POST", "/admin/replies/new"),
    ("GET", "/admin/replies/{template}"),
    ("POST", "/admin/replies/{template}"),
    ("POST", "/admin/replies/{template}/delete"),
    ("GET", "/admin/staff"),
    ("GET", "/admin/staff/new"),
    ("POST", "/admin/staff/new"),
    ("GET", "/admin/staff/{member}"),
    ("POST", "/admin/staff/{member}/roles"),
    ("POST", "/admin/staff/{member}/deactivate"),
    ("POST", "/admin/staff/{member}/reactivate"),
    ("POST", "/admin/staff/{member}/password"),
]
FOREIGN = [(method, url) for method, url in PAGES if "{" in url]


@pytest.fixture
def foreign_objects(db, other_unit):
    """A category, a routing rule, a reply template and a staff member of the other unit."""
    category = other_unit.categories[0]
    rule = RoutingRule(unit_id=other_unit.id, category_id=category.id, role="security")
    template = ReplyTemplate(unit_id=other_unit.id, title="theirs", body="不是你们的")
    db.session.add_all([rule, template])
    db.session.commit()
    member = make_staff(other_unit, "guard@xy.test", roles=("security",))
    return {"category": category.id, "rule": rule.id, "template": template.id,
            "member": member.id}


def _request(client, method, url, token=None):
    if method == "GET":
        return client.get(url)
    return client.post(url, data={"csrf_token": token} if token else {})


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_anonymous_is_sent_to_login(client, foreign_objects, method, url):
    token = csrf_token(client, "/staff/login")
    response = _request(client, method, url.format(**foreign_objects), token)
    assert response.status_code == 302
    assert "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_non_director_gets_403(app, unit, foreign_objects, method, url):
    guard = make_staff(unit, "security@rt.test", roles=("security", "cleaning"))
    client = app.test_client()
    log_in(client, guard.email)
    token = csrf_token(client, "/staff/")
    assert _request(client, method, url.format(**foreign_objects), token).status_code == 403


@pytest.mark.parametrize(("method", "url"), FOREIGN)
def test_another_units_object_is_404(staff_client, foreign_objects, method, url):
    token = csrf_token(staff_client, "/admin/")
    response = _request(staff_client, method, url.format(**foreign_objects), token)
    assert response.status_code == 404


def test_a_post_without_csrf_token_is_refused(staff_client, db, unit):
    response = staff_client.post("/admin/unit", data={"work_start": "09:00"})
    assert response.status_code == 400
    db.session.expire_all()
    assert unit.work_start == "08:00"

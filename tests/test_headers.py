"""Security headers, and templates that the Content-Security-Policy would not break."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import make_case

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
INLINE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "inline <script>"),
    (re.compile(r"<style\b", re.I), "inline <style>"),
    (re.compile(r"\sstyle\s*=", re.I), "style= attribute"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "on...= event handler"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def csp(response) -> dict[str, str]:
    directives = [part.strip() for part in response.headers["Content-Security-Policy"].split(";")]
    return {d.split(" ", 1)[0]: d.partition(" ")[2] for d in directives if d}


def test_pages_carry_a_strict_csp(client, spot):
    for url in ("/", f"/q/{spot.code}", "/staff/login"):
        policy = csp(client.get(url))
        assert "'unsafe-inline'" not in policy["script-src"]
        assert "'unsafe-eval'" not in policy["script-src"]
        assert policy["script-src"] == "'self'"
        assert "'unsafe-inline'" not in policy.get("style-src", "")
        assert policy["frame-ancestors"] == "'none'"
        assert policy["object-src"] == "'none'"


def test_tracking_page_headers(client, spot):
    receipt = make_case(spot)
    response = client.get(f"/t/{receipt.token}")
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_staff_pages_are_not_stored(staff_client):
    assert staff_client.get("/staff/").headers["Cache-Control"] == "no-store"


def test_api_answers_are_not_stored_with_a_session_or_a_key(app, staff, unit, spot):
    from app.services.accounts.api_keys import issue_api_key
    from tests.conftest import log_in

    case = make_case(spot, contact="13800000000").case
    session = app.test_client()
    log_in(session, staff.email)
    key = {"X-API-Key": issue_api_key(user=staff, unit_id=unit.id, name="headers").secret}
    for path in ("/api/v1/cases", f"/api/v1/cases/{case.id}", f"/api/v1/cases/{case.id}/messages",
                 "/api/v1/session", "/api/v1/cases/999999"):
        for response in (session.get(path), app.test_client().get(path, headers=key)):
            assert response.status_code in (200, 404), (path, response.status_code)
            assert "no-store" in response.headers["Cache-Control"], path


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://parks.example.org")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=")


# posters, reports and e-mails are rendered to PDF or mail, never served under the page CSP
NOT_SERVED = ("posters/", "email/", "reports/")
SERVED = sorted(path for path in (p.relative_to(TEMPLATES).as_posix()
                                  for p in TEMPLATES.rglob("*.html"))
                if not path.startswith(NOT_SERVED))


@pytest.mark.parametrize("template", SERVED)
def test_template_has_nothing_the_csp_would_block(template):
    text = (TEMPLATES / template).read_text()
    found = [label for pattern, label in INLINE if pattern.search(text)]
    assert found == [], f"{template}: {', '.join(found)} (move it to app/static/)"

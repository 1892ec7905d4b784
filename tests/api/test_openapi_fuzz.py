"""Schemathesis against /api/openapi.json: a bounded run; no 500, every response per schema.

Each operation of the document gets a few generated requests, as staff in a browser
session (with the CSRF header) and with an API key.
"""

from __future__ import annotations

import contextvars

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.extensions import db
from app.services.accounts.api_keys import issue_api_key
from tests.conftest import log_in, make_case

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


class IsolatedApp:
    """Each request in its own context, as in a server (the test holds an app context)."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        db.session.commit()
        return contextvars.Context().run(self.app, environ, start_response)


@pytest.fixture
def api_schema(app, staff, spot):
    make_case(spot, contact="13800000000")
    make_case(spot, category_code="noise")
    return schemathesis.openapi.from_wsgi("/api/openapi.json", IsolatedApp(app))


def session_credentials(app, staff):
    """The session cookie of a logged-in director, and its CSRF token for writes."""
    client = app.test_client()
    log_in(client, staff.email)
    token = client.get("/api/v1/session").get_json()["csrf_token"]
    return {"X-CSRFToken": token}, {"session": client.get_cookie("session").value}


def key_credentials(app, staff):
    secret = issue_api_key(user=staff, unit_id=staff.memberships[0].unit_id, name="fuzz").secret
    return {"X-API-Key": secret}, {}


def exercise(schema, headers, cookies):
    """Generated requests for every operation; returns how many got a 2xx answer."""
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8
    successes = []
    for operation in operations:
        label = operation.label

        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(headers=headers, cookies=cookies))
        def call(case):
            response = case.call_and_validate(checks=CHECKS)
            if response.status_code < 300:
                successes.append(label)  # noqa: B023 - call() runs in this iteration

        call()
    return successes


@pytest.mark.parametrize("credentials", [session_credentials, key_credentials],
                         ids=["session", "api-key"])
def test_every_operation_conforms(app, staff, api_schema, credentials):
    successes = exercise(api_schema, *credentials(app, staff))
    # the credentials work: most reads succeed (a run of only 401s would prove nothing)
    assert {"GET /api/v1/cases", "GET /api/v1/spots", "GET /api/v1/session"} <= set(successes)

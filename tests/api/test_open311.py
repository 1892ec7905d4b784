"""Open311 GeoReport v2: every endpoint in XML and JSON, errors, and filing a request."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree

import pytest

from app.extensions import socketio
from app.models import Case, Source
from app.realtime import NAMESPACE
from app.services.accounts.api_keys import issue_api_key, revoke_api_key
from tests.conftest import isolated, make_case, make_staff
from tests.support.db_snapshot import nothing_stored
from tests.support.pages import page_text

REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "lat", "long",
    "media_url",
}


def xml(response):
    assert response.content_type == "text/xml; charset=utf-8"
    body = response.get_data()
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    return ElementTree.fromstring(body)  # noqa: S314 - our own server's output


def as_json(response):
    assert response.content_type == "application/json; charset=utf-8"
    return json.loads(response.get_data(as_text=True))


def fields(element):
    return {child.tag for child in element}


def assert_spec_errors(response, status, fmt):
    assert response.status_code == status
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        errors = root.findall("error")
        assert errors
        assert all(fields(error) == {"code", "description"} for error in errors)
        assert errors[0].findtext("code") == str(status)
        assert errors[0].findtext("description")
    else:
        errors = as_json(response)
        assert isinstance(errors, list)
        assert errors
        assert all(set(error) == {"code", "description"} for error in errors)
        assert errors[0]["code"] == status


@pytest.fixture
def api_key(staff, unit):
    return issue_api_key(user=staff, unit_id=unit.id, name="12345 hotline").secret


def post_request(client, fmt="xml", **overrides):
    data = {"service_code": "toilets", "description": "北门厕所没有纸", **overrides}
    return client.post(f"/open311/v2/requests.{fmt}", data=data)


# --- discovery and services ----------------------------------------------------------

def test_discovery_xml(client, unit):
    root = xml(client.get("/open311/v2/discovery.xml"))
    assert root.tag == "discovery"
    assert {"changeset", "contact", "key_service", "endpoints"} <= fields(root)
    (endpoint,) = root.find("endpoints").findall("endpoint")
    assert fields(endpoint) == {"specification", "url", "changeset", "type", "formats"}
    assert endpoint.findtext("url") == "https://parks.example.org/open311/v2"
    formats = [f.text for f in endpoint.find("formats").findall("format")]
    assert formats == ["text/xml", "application/json"]


def test_discovery_json_has_the_same_fields(client, unit):
    document = as_json(client.get("/open311/v2/discovery.json"))
    assert set(document) == {"changeset", "contact", "key_service", "endpoints"}
    assert document["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert document["endpoints"][0]["formats"] == ["text/xml", "application/json"]


SERVICE_FIELDS = {"service_code", "service_name", "description", "metadata", "type",
                  "keywords", "group"}


def test_services_xml(client, unit):
    root = xml(client.get("/open311/v2/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert [s.findtext("service_code") for s in services] == ["toilets", "noise"]
    assert all(fields(s) == SERVICE_FIELDS for s in services)
    assert services[0].findtext("type") == "realtime"
    assert services[0].findtext("metadata") == "true"
    assert services[0].findtext("service_name") == "厕所与保洁"


def test_services_json(client, unit):
    services = as_json(client.get("/open311/v2/services.json?lang=en"))
    assert [set(s) for s in services] == [SERVICE_FIELDS] * 2
    assert services[1]["service_name"] == "Noise"
    assert services[1]["metadata"] is True


def test_services_need_a_jurisdiction_when_several_units(client, unit, other_unit):
    for fmt in ("xml", "json"):
        assert_spec_errors(client.get(f"/open311/v2/services.{fmt}"), 400, fmt)
    services = as_json(client.get("/open311/v2/services.json?jurisdiction_id=xy"))
    assert len(services) == 2


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_jurisdiction_is_404(client, unit, fmt):
    response = client.get(f"/open311/v2/services.{fmt}?jurisdiction_id=nowhere.example")
    assert_spec_errors(response, 404, fmt)


def test_service_definition_xml(client, unit, spot):
    root = xml(client.get("/open311/v2/services/toilets.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "toilets"
    attributes = root.find("attributes").findall("attribute")
    assert [a.findtext("code") for a in attributes] == ["park", "spot"]
    assert fields(attributes[1]) == {"variable", "code", "datatype", "required",
                                     "datatype_description", "order", "description", "values"}
    assert attributes[1].findtext("datatype") == "singlevaluelist"
    (value,) = attributes[1].find("values").findall("value")
    assert value.findtext("key") == spot.code
    assert fields(value) == {"key", "name"}


def test_service_definition_json(client, unit, spot):
    definition = as_json(client.get("/open311/v2/services/toilets.json"))
    assert definition["service_code"] == "toilets"
    attribute = definition["attributes"][1]
    assert attribute["values"] == [{"key": spot.code, "name": "RT公园 · 北门厕所"}]
    assert attribute["required"] is False


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_service_is_404(client, unit, fmt):
    assert_spec_errors(client.get(f"/open311/v2/services/potholes.{fmt}"), 404, fmt)


def test_unknown_format_and_url_are_404_in_the_spec_shape(client, unit):
    assert_spec_errors(client.get("/open311/v2/services.html"), 404, "xml")
    assert_spec_errors(client.get("/open311/v2/nothing-here.json"), 404, "json")


# --- POST requests ------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_request_by_spot_code(client, db, api_key, spot, fmt):
    response = post_request(client, fmt, api_key=api_key, address_id=spot.code,
                            email="caller@example.org", phone="13800000000",
                            first_name="三", last_name="张",
                            media_url="https://img.example.org/1.jpg")
    assert response.status_code == 200
    if fmt == "xml":
        (row,) = xml(response).findall("request")
        reference = row.findtext("service_request_id")
        assert row.findtext("service_notice")
        assert row.find("token") is None
    else:
        (row,) = as_json(response)
        reference = row["service_request_id"]
        assert set(row) == {"service_request_id", "service_notice", "account_id"}
    case = db.session.query(Case).filter_by(reference=reference).one()
    assert case.source == Source.OPEN311.value  # told apart from the JSON API
    assert case.spot_id == spot.id
    assert case.media_url == "https://img.example.org/1.jpg"
    assert case.contact == "caller@example.org"  # answers go there
    assert case.contact_note == "三 张 · 13800000000"


def test_post_request_by_nearest_spot(client, db, api_key, spot):
    spot.latitude, spot.longitude = 39.9149, 116.4436
    db.session.commit()
    response = post_request(client, "json", api_key=api_key, lat="39.9151", long="116.4438")
    assert response.status_code == 200
    reference = as_json(response)[0]["service_request_id"]
    case = db.session.query(Case).filter_by(reference=reference).one()
    assert case.spot_id == spot.id
    assert case.latitude == pytest.approx(39.9151)


def test_post_request_far_from_every_spot_is_refused(client, db, api_key, spot):
    spot.latitude, spot.longitude = 39.9149, 116.4436
    db.session.commit()
    with nothing_stored("far from every spot"):
        response = post_request(client, "json", api_key=api_key, lat="31.23", long="121.47")
    assert_spec_errors(response, 400, "json")


def test_post_request_by_spot_name(client, db, api_key, spot):
    response = post_request(client, "json", api_key=api_key, address_string="North gate toilet")
    assert response.status_code == 200
    assert db.session.query(Case).one().spot_id == spot.id


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_post_without_or_with_a_bad_key_is_403(client, db, spot, fmt):
    with nothing_stored("no key"):
        assert_spec_errors(post_request(client, fmt, address_id=spot.code), 403, fmt)
    with nothing_stored("a bad key"):
        assert_spec_errors(post_request(client, fmt, address_id=spot.code,
                                        api_key="pmk_nope"), 403, fmt)


def test_revoked_key_is_403(client, db, staff, unit, spot):
    issued = issue_api_key(user=staff, unit_id=unit.id, name="old")
    revoke_api_key(user=staff, key_id=issued.key.id)
    with nothing_stored("a revoked key"):
        response = post_request(client, "xml", api_key=issued.secret, address_id=spot.code)
    assert_spec_errors(response, 403, "xml")


def test_key_of_another_unit_cannot_file_there(client, db, api_key, other_unit):
    with nothing_stored("another unit's spot"):
        response = post_request(client, "xml", api_key=api_key, jurisdiction_id="xy",
                                address_id=other_unit.parks[0].spots[0].code)
    assert_spec_errors(response, 403, "xml")


@pytest.mark.parametrize(("overrides", "status"), [
    ({"service_code": "potholes"}, 404),
    ({"service_code": ""}, 400),
    ({"description": "<script>alert(1)</script>"}, 400),
    ({"description": "x" * 4001}, 400),
    ({"description": ""}, 400),
    ({"media_url": "javascript:alert(1)"}, 400),
    ({"address_id": "nosuchspot"}, 400),
    ({"address_id": "", "lat": "abc", "long": "1"}, 400),
    ({"address_id": ""}, 400),
    ({"first_name": "nul\x00byte"}, 400),
])
def test_bad_post_is_refused_and_stores_nothing(client, db, api_key, spot, overrides, status):
    with nothing_stored(str(overrides)):
        response = post_request(client, "json", api_key=api_key,
                                **{"address_id": spot.code, **overrides})
    assert_spec_errors(response, status, "json")


def test_posted_request_reaches_staff_in_real_time(app, client, staff_client, api_key, spot):
    socket = isolated(socketio.test_client, app, namespace=NAMESPACE,
                      flask_test_client=staff_client)
    response = post_request(client, "json", api_key=api_key, address_id=spot.code,
                            description="舞蹈队音响太吵", service_code="noise")
    reference = as_json(response)[0]["service_request_id"]
    (event,) = [e["args"][0] for e in socket.get_received(NAMESPACE)
                if e["name"] == "feedback.created"]
    assert event["reference"] == reference
    assert event["category"] == "noise"
    assert "contact" not in event
    inbox = staff_client.get("/staff/").get_data(as_text=True)
    assert reference in inbox or "舞蹈队音响太吵" in inbox


def test_posted_request_is_listed_by_get_requests(client, api_key, spot):
    response = post_request(client, "json", api_key=api_key, address_id=spot.code,
                            email="secret@example.org")
    reference = as_json(response)[0]["service_request_id"]
    listed = as_json(client.get("/open311/v2/requests.json"))
    assert [row["service_request_id"] for row in listed] == [reference]
    assert "secret@example.org" not in json.dumps(listed)


@pytest.mark.config(RATELIMIT_ENABLED=True)  # rate limits are off in the general suite
def test_rate_limit_counts_per_key(app, client, api_key, spot):
    app.config["OPEN311_WRITE_LIMIT"] = "2 per minute"
    for _ in range(2):
        assert post_request(client, "json", api_key=api_key, address_id=spot.code
                            ).status_code == 200
    with nothing_stored("over the limit"):
        response = post_request(client, "json", api_key=api_key, address_id=spot.code)
    assert_spec_errors(response, 429, "json")


# --- GET requests, a request, tokens --------------------------------------------------

def test_get_requests_xml(client, staff, spot):
    from app.services.cases.operations import reply_to_visitor

    receipt = make_case(spot, contact="13900000000")
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="已经补上了纸")
    root = xml(client.get("/open311/v2/requests.xml"))
    assert root.tag == "service_requests"
    (row,) = root.findall("request")
    assert fields(row) == REQUEST_FIELDS
    assert row.findtext("status") == "open"
    assert row.findtext("status_notes") == "已经补上了纸"
    assert row.findtext("address_id") == spot.code
    assert row.findtext("agency_responsible") == "RT管理处"
    requested = datetime.fromisoformat(row.findtext("requested_datetime"))
    assert requested.utcoffset() == timedelta(hours=8)
    assert "13900000000" not in page_text(client, "/open311/v2/requests.xml", "<service_requests>",
                                     receipt.case.reference)


def test_get_requests_json_has_the_same_fields(client, spot):
    make_case(spot)
    (row,) = as_json(client.get("/open311/v2/requests.json"))
    assert set(row) == REQUEST_FIELDS
    assert row["status"] == "open"
    assert row["description"] == "厕所没有纸了"


def test_get_requests_filters(client, staff, spot):
    from app.services.cases.operations import reply_to_visitor

    first = make_case(spot, category_code="noise").case.reference
    second = make_case(spot).case
    reply_to_visitor(user=staff, case_id=second.id, body="好了", new_status="resolved")

    def ids(query):
        return [row["service_request_id"]
                for row in as_json(client.get(f"/open311/v2/requests.json?{query}"))]

    assert ids("status=open") == [first]
    assert ids("status=closed") == [second.reference]
    assert ids("service_code=noise") == [first]
    assert ids(f"service_request_id={first}") == [first]
    future = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(f"start_date={future}") == []


@pytest.mark.parametrize("query", [
    "start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z",  # more than 90 days
    "start_date=2026-01-01",  # no time zone
    "start_date=yesterday",
    "status=pending",
    "service_request_id=RT%00",
])
@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_bad_request_filters_are_400(client, unit, query, fmt):
    assert_spec_errors(client.get(f"/open311/v2/requests.{fmt}?{query}"), 400, fmt)


def test_get_one_request_both_formats(client, spot):
    reference = make_case(spot).case.reference
    (row,) = xml(client.get(f"/open311/v2/requests/{reference}.xml")).findall("request")
    assert fields(row) == REQUEST_FIELDS
    (document,) = as_json(client.get(f"/open311/v2/requests/{reference}.json"))
    assert set(document) == REQUEST_FIELDS
    assert document["service_request_id"] == row.findtext("service_request_id") == reference


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_request_is_404(client, unit, fmt):
    assert_spec_errors(client.get(f"/open311/v2/requests/RT-2026-999999.{fmt}"), 404, fmt)


def test_spam_is_never_published(client, staff, spot):
    from app.services.cases.operations import reply_to_visitor

    case = make_case(spot).case
    reply_to_visitor(user=staff, case_id=case.id, body="广告", new_status="spam")
    assert as_json(client.get("/open311/v2/requests.json")) == []
    assert client.get(f"/open311/v2/requests/{case.reference}.json").status_code == 404


def test_token_both_formats(client, spot):
    receipt = make_case(spot)
    (row,) = xml(client.get(f"/open311/v2/tokens/{receipt.token}.xml")).findall("request")
    assert row.findtext("service_request_id") == receipt.case.reference
    assert row.findtext("token") == receipt.token
    (document,) = as_json(client.get(f"/open311/v2/tokens/{receipt.token}.json"))
    assert document == {"service_request_id": receipt.case.reference, "token": receipt.token}


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_unknown_token_is_404(client, unit, fmt):
    assert_spec_errors(client.get(f"/open311/v2/tokens/nope.{fmt}"), 404, fmt)


def test_bureau_wide_key_files_where_the_spot_is(client, db, spot, other_unit):
    admin = make_staff(None, "admin@bureau.test", roles=(), bureau_role="admin")
    secret = issue_api_key(user=admin, unit_id=None, name="12345").secret
    response = post_request(client, "json", api_key=secret, address_id=spot.code)
    assert response.status_code == 200
    assert db.session.query(Case).one().unit_id == spot.park.unit_id


def test_reply_to_a_posted_request_is_sent_to_the_reporter(client, db, staff, api_key, spot):
    from app.models.notifications import Notification
    from app.services.cases.operations import reply_to_visitor

    response = post_request(client, "json", api_key=api_key, address_id=spot.code,
                            phone="13800000000")
    case = db.session.query(Case).filter_by(
        reference=as_json(response)[0]["service_request_id"]).one()
    (received,) = db.session.query(Notification).all()
    # the first, at once: the reporter's private link
    from app.services.cases.submission import find_case_by_token

    assert find_case_by_token(received.tracking_link.rsplit("/t/", 1)[1]).id == case.id
    reply_to_visitor(user=staff, case_id=case.id, body="已处理")
    received, notification = db.session.query(Notification).order_by(Notification.id).all()
    assert notification.channel == "sms"
    assert notification.recipient == "13800000000"

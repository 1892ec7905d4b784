"""Open311 as real clients use it: FixMyStreet's request and update polling, the PyPI
`georeport` client against a served app, browser clients (CORS), and every document checked
against the GeoReport v2 rules (open311/schema-validation: required elements and types)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import pytest
import time_machine

from app.models import Case, Spot
from app.services.accounts.api_keys import issue_api_key
from app.services.accounts.settings import CategoryFields, save_category
from app.services.cases.operations import change_status, reply_to_visitor, set_case_private
from tests.conftest import make_case
from tests.support.db_snapshot import nothing_stored
from tests.support.images import png

# --- the GeoReport v2 rules (open311/schema-validation, schema/georeport-v2/*.json) ---------
# required members and the type of every member a document may have; None: may be null,
# a frozenset: one of these values, "datetime": w3c date and time, "uri": an http(s) URL

DATETIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
RULES: dict[str, dict[str, Any]] = {
    "request": {
        "required": {"service_request_id", "status", "service_code", "requested_datetime"},
        "types": {"service_request_id": str, "status": frozenset({"open", "closed"}),
                  "status_notes": (str, None), "service_name": (str, None), "service_code": str,
                  "description": (str, None), "agency_responsible": (str, None),
                  "service_notice": (str, None), "requested_datetime": "datetime",
                  "updated_datetime": ("datetime", None), "expected_datetime": ("datetime", None),
                  "address": (str, None), "address_id": (str, None), "zipcode": (str, None),
                  "lat": (float, None), "long": (float, None), "media_url": ("uri", None)},
    },
    "service": {
        "required": {"service_code", "service_name", "metadata", "type"},
        "types": {"service_code": str, "service_name": str, "description": (str, None),
                  "metadata": bool, "type": frozenset({"realtime", "batch", "blackbox"}),
                  "keywords": (str, None), "group": (str, None)},
    },
    "attribute": {
        "required": {"variable", "code", "datatype", "required"},
        "types": {"variable": bool, "code": str, "required": bool,
                  "datatype": frozenset({"string", "number", "datetime", "text",
                                         "singlevaluelist", "multivaluelist"}),
                  "datatype_description": (str, None), "order": (int, None),
                  "description": (str, None), "values": list},
    },
    "value": {"required": {"key", "name"}, "types": {"key": str, "name": str}},
    # mySociety's extension, as FixMyStreet's Open311::GetServiceRequestUpdates reads it
    "request_update": {
        "required": {"update_id", "service_request_id", "status", "updated_datetime",
                     "description"},
        "types": {"update_id": str, "service_request_id": str, "status": str,
                  "updated_datetime": "datetime", "description": str,
                  "media_url": ("uri", None), "external_status_code": (str, None)},
    },
}


def _fits(value: Any, kind: Any) -> bool:
    if isinstance(kind, frozenset):
        return value in kind  # an enumeration
    kinds = kind if isinstance(kind, tuple) else (kind,)
    for one in kinds:
        if one is None and value is None:
            return True
        if one == "datetime" and isinstance(value, str) and DATETIME.match(value):
            return True
        if one == "uri" and isinstance(value, str) and re.match(r"https?://\S+$", value):
            return True
        if one is float and isinstance(value, int | float) and not isinstance(value, bool):
            return True
        if isinstance(one, type) and one is not float and isinstance(value, one):
            return not (one is int and isinstance(value, bool))
    return False


def check_json(kind: str, item: dict[str, Any]) -> None:
    """A JSON member against its rules: required members there, every member of its type."""
    rules = RULES[kind]
    assert rules["required"] <= set(item), (kind, rules["required"] - set(item))
    for name, value in item.items():
        assert name in rules["types"], (kind, name)
        assert _fits(value, rules["types"][name]), (kind, name, value)
    if kind == "request":
        assert len(item.get("description") or "") <= 4000
    for attribute in item.get("attributes", []):
        check_json("attribute", attribute)
        for value in attribute.get("values", []):
            check_json("value", value)


def check_xml(kind: str, element: ElementTree.Element) -> None:
    """The XML twin: every required element there and not empty, nothing unknown, and the
    text of each element of its type (XML has no null: an empty element)."""
    rules = RULES[kind]
    children = {child.tag: child for child in element}
    assert rules["required"] <= set(children), (kind, rules["required"] - set(children))
    for name in rules["required"]:
        assert (children[name].text or "").strip() or name == "description", (kind, name)
    for name, child in children.items():
        assert name in rules["types"], (kind, name)
        text = child.text
        kinds = rules["types"][name]
        if text is None or len(child):
            continue  # null, or a list checked below
        if kinds in (bool, (bool,)):
            assert text in ("true", "false"), (kind, name, text)
        elif kinds in ((float, None),):
            float(text)
        else:
            value: Any = int(text) if kinds == (int, None) else text
            assert _fits(value, kinds), (kind, name, text)


def xml_root(response: Any) -> ElementTree.Element:
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.content_type == "text/xml; charset=utf-8"
    return ElementTree.fromstring(response.get_data())  # noqa: S314 - our own server's output


def as_json(response: Any) -> Any:
    assert response.status_code == 200, response.get_data(as_text=True)
    return json.loads(response.get_data(as_text=True))


@pytest.fixture
def api_key(staff, unit):
    return issue_api_key(user=staff, unit_id=unit.id, name="FixMyStreet").secret


@pytest.fixture
def placed(db, unit):
    """The test park's spots with positions, as the demo's Ritan Park has them."""
    park = unit.parks[0]
    north = park.spots[0]
    north.latitude, north.longitude = 39.91680, 116.43830
    altar = Spot(code="altar0001", name_zh="祭台广场", name_en="Altar square",
                 description="祭台东侧，靠近神路", latitude=39.91442, longitude=116.43811)
    park.spots.append(altar)
    db.session.commit()
    return north, altar


def w3cdtf(moment: datetime) -> str:
    """As Perl's DateTime::Format::W3CDTF writes a UTC time (FixMyStreet's start_date)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# FixMyStreet's Open311->map_state (perllib/Open311.pm), to see which state its reports take
FMS_STATES = {"fixed": "fixed - council", "not councils responsibility": "not responsible",
              "no further action": "unable to fix", "open": "confirmed",
              "closed": "fixed - council"}


def fms_state(status: str) -> str:
    status = status.lower().replace("_", " ")
    return FMS_STATES.get(status, status)


# --- FixMyStreet: POST requests.xml, then poll servicerequestupdates.xml ------------------

def test_fixmystreet_files_a_request_and_polls_its_updates(app, client, db, staff, api_key,
                                                          placed):
    north, _altar = placed
    started = datetime.now(UTC) - timedelta(seconds=5)
    # as Open311->send_service_request posts: form body, jurisdiction_id and api_key in it,
    # first/last name, lat/long truncated to 6 places, the report's extra fields as attributes
    response = client.post("/open311/v2/requests.xml", data={
        "jurisdiction_id": "rt", "api_key": api_key, "service_code": "toilets",
        "description": "北门厕所没有纸了，我的电话13912345678", "first_name": "Wang",
        "last_name": "Fang", "email": "wang.fang@example.org", "lat": "39.916810",
        "long": "116.438290", "attribute[fms_extra_title]": "没有纸",
        "attribute[easting]": "447800"})
    root = xml_root(response)
    assert root.tag == "service_requests"
    reference = root.find("request").findtext("service_request_id")
    case = db.session.query(Case).filter_by(reference=reference).one()
    assert case.spot_id == north.id  # 1.5 m from the north gate's toilet
    assert case.contact == "wang.fang@example.org"

    reply_to_visitor(user=staff, case_id=case.id, body="已补纸。有问题请打13912345678",
                     new_status="in_progress")
    change_status(user=staff, case_id=case.id, status="resolved")
    # Open311::GetServiceRequestUpdates: start_date two hours back, end_date now, W3CDTF
    polled = client.get("/open311/v2/servicerequestupdates.xml", query_string={
        "jurisdiction_id": "rt", "api_key": api_key, "start_date": w3cdtf(started),
        "end_date": w3cdtf(datetime.now(UTC) + timedelta(seconds=5))})
    root = xml_root(polled)
    assert root.tag == "service_request_updates"
    updates = root.findall("request_update")
    for update in updates:
        check_xml("request_update", update)
    # the reply (with the status change made with it), then the resolution
    assert [u.findtext("service_request_id") for u in updates] == [reference, reference]
    assert [fms_state(u.findtext("status")) for u in updates] == ["in progress",
                                                                   "fixed - council"]
    assert updates[0].findtext("description") == "已补纸。有问题请打***"
    assert len({u.findtext("update_id") for u in updates}) == 2
    text = polled.get_data(as_text=True)
    for private in ("13912345678", "wang.fang", "Wang", "Fang", "我的电话"):
        assert private not in text
    # a later poll starting after both has nothing new
    later = client.get("/open311/v2/servicerequestupdates.xml", query_string={
        "jurisdiction_id": "rt", "start_date": w3cdtf(datetime.now(UTC) + timedelta(minutes=1)),
        "end_date": w3cdtf(datetime.now(UTC) + timedelta(minutes=2))})
    assert xml_root(later).findall("request_update") == []


def test_updates_json_and_the_rules_of_private_and_spam_cases(client, db, staff, spot,
                                                             separate_cases):
    shown = make_case(spot, body="长椅坏了", contact="13800000000")
    hidden = make_case(spot, category_code="noise", body="广告 13912345678")
    private = make_case(spot, category_code="noise", body="我是李四，邻居太吵",
                        contact="li@example.org")
    reply_to_visitor(user=staff, case_id=shown.case.id, body="已派人维修")
    reply_to_visitor(user=staff, case_id=hidden.case.id, body="这是广告")
    change_status(user=staff, case_id=hidden.case.id, status="spam")
    reply_to_visitor(user=staff, case_id=private.case.id, body="李四您好，已处理",
                     new_status="resolved")
    set_case_private(user=staff, case_id=private.case.id, private=True)
    updates = as_json(client.get("/open311/v2/servicerequestupdates.json"))
    for update in updates:
        check_json("request_update", update)
    by_case: dict[str, list[dict[str, Any]]] = {}
    for update in updates:
        by_case.setdefault(update["service_request_id"], []).append(update)
    assert hidden.case.reference not in by_case  # spam: never published
    assert [u["description"] for u in by_case[shown.case.reference]] == ["已派人维修"]
    assert [u["status"] for u in by_case[shown.case.reference]] == ["investigating"]
    # a private case: its status moves, its words never
    (update,) = by_case[private.case.reference]
    assert update["status"] == "fixed"
    assert "李四" not in json.dumps(updates, ensure_ascii=False)
    assert "example.org" not in json.dumps(updates)


@pytest.mark.parametrize("query", [
    {"start_date": "yesterday"}, {"start_date": "2026-01-01T00:00:00"},
    {"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"},
    {"api_key": "not-a-key"},
])
def test_bad_update_polls_are_refused_in_the_spec_shape(client, unit, query):
    response = client.get("/open311/v2/servicerequestupdates.xml", query_string=query)
    assert response.status_code in (400, 403)
    root = ElementTree.fromstring(response.get_data())  # noqa: S314
    assert root.tag == "errors"
    assert root.find("error").findtext("description")


def test_an_offset_sent_with_an_unencoded_plus_is_read_as_the_offset(client, staff, spot):
    receipt = make_case(spot)
    reply_to_visitor(user=staff, case_id=receipt.case.id, body="好的")
    now = datetime.now(UTC).astimezone(UTC)
    start = (now - timedelta(hours=1)).astimezone().strftime("%Y-%m-%dT%H:%M:%S+00:00")
    raw = f"/open311/v2/servicerequestupdates.json?start_date={start}"  # "+" not encoded
    assert [u["description"] for u in as_json(client.get(raw))] == ["好的"]


# --- api_key and jurisdiction_id in the query string; repeated status -----------------------

def test_key_and_jurisdiction_in_the_query_string_are_read(client, db, api_key, other_unit,
                                                         spot):
    response = client.post(f"/open311/v2/requests.json?jurisdiction_id=rt&api_key={api_key}",
                           data={"service_code": "toilets", "description": "没有纸了",
                                 "address_id": spot.code})
    assert response.status_code == 200, response.get_data(as_text=True)
    (receipt,) = as_json(response)
    assert db.session.query(Case).filter_by(reference=receipt["service_request_id"]).one()


def test_repeated_status_values_are_all_honoured(client, staff, spot, separate_cases):
    still_open = make_case(spot, body="一")
    done = make_case(spot, body="二")
    reply_to_visitor(user=staff, case_id=done.case.id, body="好了", new_status="resolved")

    def listed(query: str) -> set[str]:
        return {r["service_request_id"] for r in as_json(client.get(
            f"/open311/v2/requests.json?{query}"))}

    both = {still_open.case.reference, done.case.reference}
    assert listed("status=open") == {still_open.case.reference}
    assert listed("status=closed") == {done.case.reference}
    assert listed("status=open&status=closed") == both
    assert listed("status=closed&status=open") == both
    assert client.get("/open311/v2/requests.json?status=open&status=bogus").status_code == 400


# --- where a request is: park and spot names, a spot's address, the nearest spot ------------

def _filed(client, db, api_key, **fields: str) -> Case:
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "toilets", "description": "没有纸了", **fields})
    assert response.status_code == 200, response.get_data(as_text=True)
    (receipt,) = as_json(response)
    return db.session.query(Case).filter_by(reference=receipt["service_request_id"]).one()


def test_address_string_names_a_park_and_a_spot_or_a_spots_address(client, db, api_key,
                                                                  placed, separate_cases):
    north, altar = placed
    assert _filed(client, db, api_key, address_string="RT公园 北门厕所").spot_id == north.id
    assert _filed(client, db, api_key, address_string="rt park, altar square").spot_id == \
        altar.id
    assert _filed(client, db, api_key, address_string="靠近神路").spot_id == altar.id
    # the park alone and a point: the park's spot nearest to it, however far
    assert _filed(client, db, api_key, address_string="RT公园", lat="39.9150",
                  long="116.4390").spot_id == altar.id
    # the park alone, no point, two spots: which one is not guessed
    with nothing_stored("a park with several spots and no point"):
        response = client.post("/open311/v2/requests.json", data={
            "api_key": api_key, "service_code": "toilets", "description": "没有纸了",
            "address_string": "RT Park"})
    assert response.status_code == 400
    assert "North gate toilet" in client.get(
        "/open311/v2/services/toilets.json?lang=en").get_data(as_text=True)


@pytest.mark.config(OPEN311_SPOT_RADIUS_M=50.0)
def test_lat_long_mean_the_nearest_spot_within_the_configured_radius(client, db, api_key,
                                                                    placed, separate_cases):
    north, altar = placed
    # 33 m from the altar square
    assert _filed(client, db, api_key, lat="39.91470", long="116.43820").spot_id == altar.id
    with nothing_stored("a point 120 m from the nearest spot, radius 50 m"):
        response = client.post("/open311/v2/requests.json", data={
            "api_key": api_key, "service_code": "toilets", "description": "没有纸了",
            "lat": "39.91550", "long": "116.43811"})
    assert response.status_code == 400
    assert "50" in response.get_data(as_text=True)


# --- media: photos uploaded with the request ------------------------------------------------

def test_media_upload_is_stored_like_the_visitor_forms_photos(client, db, api_key, spot):
    response = client.post("/open311/v2/requests.json", data={
        "api_key": api_key, "service_code": "toilets", "description": "见照片",
        "address_id": spot.code, "media": (io.BytesIO(png(64, 48)), "photo.png")},
        content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    (receipt,) = as_json(response)
    case = db.session.query(Case).filter_by(reference=receipt["service_request_id"]).one()
    (photo,) = case.photos
    assert photo.public is False  # a visitor's photo: public only when staff say so
    listed = as_json(client.get(
        f"/open311/v2/requests/{case.reference}.json"))[0]
    assert listed["media_url"] is None


def test_media_that_is_no_image_is_refused_and_nothing_is_stored(client, db, api_key, spot):
    with nothing_stored("a text file as media"):
        response = client.post("/open311/v2/requests.xml", data={
            "api_key": api_key, "service_code": "toilets", "description": "见照片",
            "address_id": spot.code, "media": (io.BytesIO(b"<svg onload=alert(1)>"), "x.jpg")},
            content_type="multipart/form-data")
    assert response.status_code == 400
    assert ElementTree.fromstring(response.get_data()).tag == "errors"  # noqa: S314


# --- discovery's changeset; CORS ------------------------------------------------------------

def test_changeset_moves_when_a_director_changes_the_services(client, db, staff, unit):
    before = as_json(client.get("/open311/v2/discovery.json"))["changeset"]
    assert DATETIME.match(before)
    toilets = next(c for c in unit.categories if c.code == "toilets")
    with time_machine.travel(datetime.now(UTC) + timedelta(minutes=5)):  # a later change
        save_category(user=staff, unit_id=unit.id, category_id=toilets.id,
                      fields=CategoryFields(
                          code="toilets", name_zh="厕所", name_en="Toilets", icon="",
                          role="cleaning", urgent=False, sort_order=0, active=False,
                          claim_minutes=30, first_reply_hours=4, resolve_days=3))
    document = as_json(client.get("/open311/v2/discovery.json"))
    assert document["changeset"] > before
    assert document["endpoints"][0]["changeset"] == document["changeset"]


@pytest.mark.config(OPEN311_CORS_ORIGINS="https://map.example.org, https://other.example")
def test_cors_lets_the_configured_origins_read(client, unit):
    allowed = client.get("/open311/v2/services.json",
                         headers={"Origin": "https://map.example.org"})
    assert allowed.headers["Access-Control-Allow-Origin"] == "https://map.example.org"
    assert "Origin" in allowed.headers["Vary"]
    preflight = client.options("/open311/v2/requests.json",
                               headers={"Origin": "https://map.example.org",
                                        "Access-Control-Request-Method": "GET"})
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET"
    stranger = client.get("/open311/v2/services.json", headers={"Origin": "https://evil.test"})
    assert "Access-Control-Allow-Origin" not in stranger.headers
    posted = client.post("/open311/v2/requests.json", data={},
                         headers={"Origin": "https://map.example.org"})
    assert "Access-Control-Allow-Origin" not in posted.headers


def test_no_cors_by_default(client, unit):
    response = client.get("/open311/v2/services.json", headers={"Origin": "https://x.test"})
    assert response.status_code == 200
    assert "Access-Control-Allow-Origin" not in response.headers


# --- every document against the rules, both formats ---------------------------------------

def test_every_document_keeps_the_georeport_rules(client, db, staff, api_key, placed,
                                                 separate_cases):
    _north, altar = placed
    answered = make_case(altar, body="祭台边的垃圾桶满了")
    reply_to_visitor(user=staff, case_id=answered.case.id, body="已清理", new_status="resolved")
    make_case(altar, category_code="noise", body="太吵了 13912345678")
    _filed(client, db, api_key, lat="39.91442", long="116.43811")
    for item in as_json(client.get("/open311/v2/services.json")):
        check_json("service", item)
    for service in xml_root(client.get("/open311/v2/services.xml")).findall("service"):
        check_xml("service", service)
    definition = as_json(client.get("/open311/v2/services/toilets.json"))
    assert set(definition) == {"service_code", "attributes"}
    check_json("service", {"service_code": definition["service_code"], "service_name": "x",
                           "metadata": True, "type": "realtime"})
    for attribute in definition["attributes"]:
        check_json("attribute", attribute)
    for attribute in xml_root(client.get("/open311/v2/services/toilets.xml")).iter(
            "attribute"):
        check_xml("attribute", attribute)
    requests_json = as_json(client.get("/open311/v2/requests.json"))
    assert len(requests_json) == 3
    for item in requests_json:
        check_json("request", item)
    assert all(isinstance(item["lat"], float) for item in requests_json)
    for element in xml_root(client.get("/open311/v2/requests.xml")).findall("request"):
        check_xml("request", element)
    for item in as_json(client.get("/open311/v2/servicerequestupdates.json")):
        check_json("request_update", item)


# --- the PyPI georeport client against a served app ----------------------------------------

@pytest.mark.server
def test_georeport_client_reads_a_served_app(tmp_path):
    import georeport  # the dev extra installs it (no skip: a missing client is a failure)

    from tests.support.servers import (
        ROOT,
        demo_spots,
        prepare_database,
        running_server,
        served_database,
        server_env,
    )

    env = server_env(served_database(tmp_path, "georeport"), tmp_path / "instance")
    prepare_database(env)
    spots = demo_spots()
    altar = next(spot for spot in spots if spot["name_en"] == "Altar square")
    issue = "\n".join((  # a key as a director issues one (Settings, API keys)
        "from wsgi import app",
        "from app.extensions import db",
        "from app.models import StaffUser, Unit",
        "from app.services.accounts.api_keys import issue_api_key",
        "with app.app_context():",
        "    user = db.session.query(StaffUser).filter_by(email='director@ritan.demo').one()",
        "    unit = db.session.query(Unit).filter_by(code='RT').one()",
        "    print(issue_api_key(user=user, unit_id=unit.id, name='georeport').secret)",
    ))
    key = subprocess.run([sys.executable, "-c", issue], cwd=ROOT, env=env, check=True,
                         capture_output=True, timeout=60, text=True).stdout
    with running_server(env, tmp_path / "server.log") as server:
        import requests

        filed = requests.post(f"{server.url}/open311/v2/requests.json", data={
            "jurisdiction_id": "rt", "api_key": key.strip().splitlines()[-1],
            "service_code": "toilets", "description": "祭台边没有垃圾桶",
            "lat": f"{altar['latitude']:.6f}", "long": f"{altar['longitude']:.6f}"},
            timeout=10)
        assert filed.status_code == 200, filed.text
        reference = filed.json()[0]["service_request_id"]
        for fmt in ("json", "xml"):
            client = georeport.GeoReport(f"{server.url}/open311/v2", jurisdiction="rt",
                                         output_format=fmt)
            services = client.get_service_list()
            assert "toilets" in [service["service_code"] for service in services]
            definition = client.get_service_definition("toilets")
            assert definition["service_code"] == "toilets"
            found = client.get_service_requests(status="open")
            found = found if isinstance(found, list) else [found]  # xmltodict: one -> dict
            assert reference in [item["service_request_id"] for item in found]
            one = client.get_service_request(reference)
            assert one["service_request_id"] == reference
            assert one["address_id"] == altar["code"]
            assert float(one["lat"]) == pytest.approx(altar["latitude"], abs=1e-6)


"""Property tests: no input makes a 500, and every error page is a real page in the
visitor's language."""

from __future__ import annotations

import io
import json
import re
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from werkzeug.exceptions import InternalServerError

from app.extensions import db
from app.models import HotlineTicket
from app.services.bureau.hotline import parse_tickets
from app.services.bureau.visits import parse_visits
from app.services.errors import DomainError
from tests.conftest import csrf_token, log_in, make_case

# text a browser can send in a form (no lone surrogates), including control characters
TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
SHORT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
LANGUAGES = st.sampled_from([None, "en", "zh_CN", "zh-CN", "EN", "fr", "", "en\x00"])
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
HTML_LANG = re.compile(r'<html lang="(en|zh-CN)">')


def expected_lang(lang: str | None) -> str | None:
    """The page language a ?lang= value asks for (None: the default or a remembered one)."""
    if lang in ("en", "EN"):
        return "en"
    if lang in ("zh_CN", "zh-CN"):
        return "zh-CN"
    return None


def assert_real_page(response, lang: str | None) -> None:
    assert response.status_code < 500, response.status_code
    if response.status_code in (301, 302, 303, 307, 308):
        return
    html = response.get_data(as_text=True)
    match = HTML_LANG.search(html)
    assert match, html[:300]
    assert "</html>" in html
    if expected_lang(lang):
        assert match.group(1) == expected_lang(lang)


@FUZZ
@given(category=SHORT, body=TEXT, contact=SHORT, rating=SHORT, website=SHORT,
       started=SHORT, lang=LANGUAGES, extra=st.dictionaries(SHORT, SHORT, max_size=3))
def test_visitor_form_never_fails(client, spot, category, body, contact, rating, website,
                                  started, lang, extra):
    url = f"/q/{spot.code}" + (f"?lang={lang}" if lang is not None else "")
    data = {**extra, "category": category, "body": body, "contact": contact,
            "rating": rating, "website": website, "started": started,
            "csrf_token": csrf_token(client, f"/q/{spot.code}")}
    response = client.post(url, data=data)
    assert response.status_code in (200, 303, 400, 429), response.status_code
    assert_real_page(response, lang)


@FUZZ
@given(category=st.sampled_from(["toilets", "noise"]), body=TEXT, contact=SHORT,
       rating=st.sampled_from(["", "1", "5", "0", "6", "x"]))
def test_plausible_submissions_are_stored_or_refused_with_a_message(client, spot, category,
                                                                   body, contact, rating):
    response = client.post(f"/q/{spot.code}", data={
        "category": category, "body": body, "contact": contact, "rating": rating,
        "csrf_token": csrf_token(client, f"/q/{spot.code}")})
    assert response.status_code in (303, 400)
    if response.status_code == 400:
        page = response.get_data(as_text=True)
        if "\x00" in body + contact:  # never typed by a person: the plain 400 page
            assert "无法处理您的请求" in page
        else:
            assert 'class="field-errors"' in page


@FUZZ
@given(path=SHORT, lang=LANGUAGES)
def test_any_code_or_token_is_a_friendly_page(client, spot, path, lang):
    query = f"?lang={lang}" if lang is not None else ""
    for prefix in ("/q/", "/t/", "/t/x/photos/"):
        response = client.get(prefix + path.replace("?", "%3F").replace("#", "%23") + query)
        assert response.status_code in (200, 301, 302, 308, 404, 405, 410)
        assert_real_page(response, lang)


@FUZZ
@given(body=TEXT, status=SHORT)
def test_staff_reply_never_fails(app, staff_client, spot, body, status):
    receipt = make_case(spot)
    token = csrf_token(staff_client, f"/staff/cases/{receipt.case.id}")
    response = staff_client.post(f"/staff/cases/{receipt.case.id}/reply",
                                 data={"body": body, "status": status, "csrf_token": token})
    assert response.status_code in (303, 400)


@FUZZ
@given(email=SHORT, password=TEXT)
def test_login_never_fails(app, client, staff, email, password):
    response = client.post("/staff/login", data={
        "email": email, "password": password, "csrf_token": csrf_token(client, "/staff/login")})
    assert response.status_code in (400, 401)
    assert_real_page(response, None)


ERROR_TITLES = {
    400: ("Your request could not be used", "无法处理您的请求"),
    403: ("You may not open this page", "您无权打开此页面"),
    404: ("We could not find this page", "没有找到这个页面"),
    405: ("Something went wrong", "出了点问题"),
    410: ("This QR code is no longer in use", "这个二维码已停用"),
    413: ("The upload is too large", "上传的文件太大"),
    429: ("Too many messages for now", "留言太频繁了"),
    500: ("Something went wrong", "出了点问题"),
}


def _error_response(app, client, code, lang):
    query = f"?lang={lang}"
    if code == 400:
        return client.post("/staff/login" + query, data={"email": "x"})
    if code == 403:
        return client.get("/admin/" + query)
    if code == 404:
        return client.get("/q/nosuchcode" + query)
    if code == 405:
        return client.get("/staff/logout" + query)
    if code == 413:
        return client.post("/q/x" + query, data=b"x" * (17 * 1024 * 1024),
                           content_type="multipart/form-data; boundary=fuzz")
    raise AssertionError(code)


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
@pytest.mark.parametrize("code", [400, 403, 404, 405, 410, 413, 429, 500])
def test_every_error_page_is_a_real_page_in_the_visitors_language(app, db, spot, unit, lang,
                                                                   code):
    from tests.conftest import log_in, make_staff

    client = app.test_client()
    if code == 403:
        log_in(client, make_staff(unit, "guard@rt.test", roles=("security",)).email)
    if code == 410:
        spot.active = False
        db.session.commit()
        response = client.get(f"/q/{spot.code}?lang={lang}")
    elif code in (429, 500):
        app.config["PROPAGATE_EXCEPTIONS"] = False

        @app.get(f"/fail-{code}")
        def fail() -> None:
            if code == 429:
                from werkzeug.exceptions import TooManyRequests

                raise TooManyRequests()
            raise InternalServerError() if lang == "en" else RuntimeError("unexpected")

        response = client.get(f"/fail-{code}?lang={lang}")
    else:
        response = _error_response(app, client, code, lang)
    assert response.status_code == code
    html = response.get_data(as_text=True)
    english, chinese = ERROR_TITLES[code]
    assert f'<html lang="{"en" if lang == "en" else "zh-CN"}">' in html
    assert "</html>" in html
    if lang == "en":
        assert english in html
    else:
        assert english not in html
        assert chinese in html


# --- the CSV parsers (12345 hotline tickets, park visits) --------------------------------

CSV_HEADERS = st.sampled_from(["ticket_id,date,park,category,text", "date,park,visits"])
# HUGE stands for a field past the csv module's limit (expanded in the test: a 140 kB
# example would make Hypothesis's report unreadable)
HUGE = "<huge>"
CSV_FIELD = st.one_of(TEXT, st.sampled_from(["RT公园", "2026-04-03", "H-1", "噪音", '"', "",
                                             "1200", "-1", HUGE]))
CSV_ROW = st.lists(CSV_FIELD, min_size=0, max_size=7).map(
    lambda fields: ",".join(f'"{field}"' if "," in field else field for field in fields))
CSV_TEXT = st.one_of(
    TEXT,
    st.tuples(CSV_HEADERS, st.lists(CSV_ROW, max_size=5)).map(
        lambda parts: "\n".join([parts[0], *parts[1]])),
)


@pytest.mark.parametrize("parse", [parse_tickets, parse_visits])
@FUZZ
@given(text=CSV_TEXT)
def test_the_csv_parsers_return_items_or_row_errors(app, unit, parse, text):
    try:
        items, errors = parse(text.replace(HUGE, "x" * 140_000), list(unit.parks))
    except DomainError:
        return
    assert items or errors


@FUZZ
@given(content=st.one_of(CSV_TEXT.map(lambda text: text.encode()), st.binary(max_size=300)))
def test_hotline_upload_never_fails_and_is_all_or_nothing(staff_client, unit, content):
    before = db.session.scalar(select(func.count()).select_from(HotlineTicket))
    response = staff_client.post("/bureau/hotline", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(staff_client, "/bureau/hotline"),
        # one huge field at most: a body over 500 kB makes the test client spool it to a
        # temporary file that it never closes
        "file": (io.BytesIO(content.replace(HUGE.encode(), b"x" * 140_000, 1)), "tickets.csv")})
    assert response.status_code in (303, 400), response.status_code
    after = db.session.scalar(select(func.count()).select_from(HotlineTicket))
    if response.status_code == 400:
        assert after == before
        assert_real_page(response, None)


# --- integer bounds and lone surrogates on every route that takes ids or text ----------
# Routes come from app.url_map (tests/test_isolation.py), so a route added later is walked.

# around the limits of 32- and 64-bit columns, and any whole number at all
INT_BOUNDS = st.one_of(
    st.sampled_from([0, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**30]),
    st.integers(min_value=0, max_value=10**40))
# what an id column holds, written out here, not imported: 64 bits for cases and photos
# (and reports, messages, events), 32 bits (PostgreSQL INTEGER) for everything else
MAX_ID = 2**63 - 1
MAX_SMALL_ID = 2**31 - 1
BIG_ID_ARGUMENTS = ("case_id", "photo_id")


def largest_id(rule: str) -> int:
    """The largest id every <int:...> argument of the rule can hold."""
    names = re.findall(r"<int:(\w+)>", rule)
    return min(MAX_ID if name in BIG_ID_ARGUMENTS else MAX_SMALL_ID for name in names)
# every form field or query argument of the app that carries a number
NUMBER_FIELDS = ("assignee_id", "link_id", "days", "park_id", "category_id", "spot_id",
                 "sort_order", "autoclose_days", "me_too_window_hours", "claim_minutes",
                 "first_reply_hours", "resolve_days", "rating", "score", "size", "park",
                 "category", "page", "per_page")
BOUNDS = settings(max_examples=12, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))


def _walk_routes(select_rule) -> list[tuple[str, str, str]]:
    from tests.test_isolation import _rules

    return [route for route in _rules(public=True) if select_rule(*route)]


ID_ROUTES = _walk_routes(lambda _endpoint, rule, _method: "<int:" in rule)
FORM_ROUTES = _walk_routes(lambda _endpoint, rule, method: method != "GET"
                           and rule.startswith(("/staff", "/admin", "/bureau")))
READ_ROUTES = _walk_routes(lambda _endpoint, rule, method: method == "GET"
                           and rule.startswith(("/staff", "/admin", "/bureau", "/api/v1")))
JSON_WRITES = _walk_routes(lambda _endpoint, rule, method: method != "GET"
                           and rule.startswith("/api/v1"))


class Walker:
    """The director of unit A (the owner of everything in the world), ready to send."""

    def __init__(self, app) -> None:
        from tests.test_role_walk import _world

        self.app = app
        app.config["PROPAGATE_EXCEPTIONS"] = False  # a 500 is an answer to look at here
        self.world = _world(app)
        # a visitor's own tracking link, for the visitor's routes
        self.world.ids["token"] = make_case(self.world.case.spot).token
        self.client = app.test_client()
        assert log_in(self.client, "owner@rt.test").status_code == 303
        self.token = csrf_token(self.client, f"/staff/cases/{self.world.ids['case']}")
        self.api_token = self.client.get("/api/v1/session").get_json()["csrf_token"]

    def url(self, rule: str, number: int | None = None) -> str:
        """The rule with the world's objects, or with `number` for every id."""
        from tests.test_isolation import ARGUMENTS

        def fill(match: re.Match[str]) -> str:
            converter, _colon, name = match.group(1).rpartition(":")
            if name == "fmt":
                return "json"
            if converter == "int" and number is not None:
                return str(number)
            if name == "token":
                return str(self.world.ids["token"])
            return str(ARGUMENTS[name](self.world))

        return re.sub(r"<([^>]+)>", fill, rule)

    def send(self, rule: str, method: str, url: str, fields: dict) -> object:
        if rule.startswith("/api/"):
            return self.client.open(url, method=method, data=json.dumps(fields),
                                    content_type="application/json",
                                    headers={"X-CSRFToken": self.api_token})
        if method == "GET":
            return self.client.get(url)
        return self.client.open(url, method=method, data={
            **fields, "csrf_token": self.token}, content_type="multipart/form-data")


def _form_fields(walker: Walker, number: int) -> dict:
    from tests.test_role_walk import SAMPLES

    return {**SAMPLES, "assignee_id": walker.world.ids["user"],
            "link_id": walker.world.ids["link"], **dict.fromkeys(NUMBER_FIELDS, number)}


@pytest.mark.parametrize(("endpoint", "rule", "method"), ID_ROUTES,
                         ids=[f"{m} {r}" for _e, r, m in ID_ROUTES])
def test_ids_at_integer_bounds_are_not_found_never_a_500(app, endpoint, rule, method):
    walker = Walker(app)

    @BOUNDS
    @given(number=INT_BOUNDS)
    def request_with(number):
        url = walker.url(rule, number)
        response = walker.send(rule, method, url, _form_fields(walker, 1))
        assert response.status_code < 500, (url, response.status_code)
        if number > largest_id(rule):
            assert response.status_code == 404, (url, response.status_code)

    request_with()


@pytest.mark.parametrize(("endpoint", "rule", "method"), FORM_ROUTES + READ_ROUTES,
                         ids=[f"{m} {r}" for _e, r, m in FORM_ROUTES + READ_ROUTES])
def test_numbers_at_integer_bounds_in_forms_and_queries_are_never_a_500(app, endpoint, rule,
                                                                       method):
    walker = Walker(app)

    @BOUNDS
    @given(number=INT_BOUNDS)
    def request_with(number):
        url = walker.url(rule)
        if method == "GET":
            url += "?" + "&".join(f"{name}={number}" for name in NUMBER_FIELDS)
        response = walker.send(rule, method, url, _form_fields(walker, number))
        assert response.status_code < 500, (url, number, response.status_code)

    request_with()


@pytest.mark.parametrize("field", ["assignee_id", "link_id"])
def test_an_id_past_its_column_in_a_staff_form_is_refused_as_a_form_error(app, field):
    walker = Walker(app)
    action = {"assignee_id": "assign", "link_id": "split"}[field]
    url = f"/staff/cases/{walker.world.ids['case']}/{action}"
    largest = {"assignee_id": MAX_SMALL_ID, "link_id": MAX_ID}[field]  # staff, a report
    for number in (largest + 1, 2**63, 10**30):
        response = walker.send(url, "POST", url, {field: str(number)})
        assert response.status_code == 400, number
    response = walker.send(url, "POST", url, {field: str(largest)})
    assert response.status_code in (400, 404)  # a number the column takes: no such row


def test_an_inbox_filter_past_its_column_is_ignored(app):
    walker = Walker(app)
    for name, number in (("park", 2**31), ("category", 2**31), ("park", 2**63)):
        response = walker.client.get(f"/staff/?{name}={number}")
        assert response.status_code == 200
        assert walker.world.case.reference in response.get_data(as_text=True)


# text with lone surrogates ("\ud800") as well as any other character
ANY_TEXT = st.text(max_size=40)
LONE = re.compile("[\ud800-\udfff]")


def _lone_surrogate_after_json(value: object) -> bool:
    """Whether the JSON text of value, read back, has an unpaired surrogate (a pair written
    as two escapes is one character again)."""
    return bool(LONE.search(json.loads(json.dumps(value))))


def _json_fields(app, rule: str, method: str) -> tuple[dict, list[str]]:
    """The required fields of the route's JSON body (samples of the role walk), and the
    names of its text fields, from the OpenAPI document."""
    from tests.test_role_walk import SAMPLES, _schema

    spec = app.test_client().get("/api/openapi.json").get_json()
    path = re.sub(r"<(?:int:)?([^>]+)>", r"{\1}", rule)
    content = spec["paths"][path][method.lower()].get("requestBody", {}).get("content", {})
    if not content:
        return {}, []
    schema = _schema(spec, content["application/json"]["schema"])
    texts = [name for name, field in schema["properties"].items()
             if "string" in str(field.get("type"))]
    return {name: SAMPLES[name] for name in schema.get("required", []) if name in SAMPLES}, texts


@pytest.mark.parametrize(("endpoint", "rule", "method"), JSON_WRITES,
                         ids=[f"{m} {r}" for _e, r, m in JSON_WRITES])
def test_lone_surrogates_in_api_json_are_refused_never_a_500(app, endpoint, rule, method):
    walker = Walker(app)
    url = walker.url(rule)
    required, texts = _json_fields(app, rule, method)
    if "assignee_id" in required or rule.endswith("/assign"):
        required["assignee_id"] = walker.world.ids["user"]

    @BOUNDS
    @given(text=st.one_of(st.sampled_from(["\ud800", "a\udfffb", "\udc00\ud800"]), ANY_TEXT),
           key=st.sampled_from([*texts, "\ud800"]))
    def request_with(text, key):
        body = {**required, key: text}
        response = walker.send(rule, method, url, body)
        assert response.status_code < 500, (url, body, response.status_code)
        if _lone_surrogate_after_json(text) or _lone_surrogate_after_json(key):
            assert response.status_code in (400, 422), (url, body, response.status_code)

    request_with()


# forms: a browser cannot encode a lone surrogate, but a client can send its UTF-8-like
# bytes (%ED%A0%80) or any other broken UTF-8; every text field of every form takes them
TEXT_FORM_ROUTES = _walk_routes(lambda _endpoint, rule, method: method != "GET" and (
    rule.startswith(("/staff", "/admin", "/bureau")) or rule.startswith(("/q/", "/t/"))))
TEXT_FIELDS = ("body", "reply", "summary", "referred_to", "name", "status", "contact",
               "category", "title", "name_zh", "name_en", "email", "password", "code")


def _broken_utf8(text: str) -> str:
    """Percent-encoded bytes of the text as UTF-8, lone surrogates included."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


@pytest.mark.parametrize(("endpoint", "rule", "method"), TEXT_FORM_ROUTES,
                         ids=[f"{m} {r}" for _e, r, m in TEXT_FORM_ROUTES])
def test_lone_surrogates_in_forms_are_never_a_500(app, endpoint, rule, method):
    walker = Walker(app)
    url = walker.url(rule)
    client, token = walker.client, walker.token
    if rule.startswith(("/q/", "/t/")):  # a visitor: their own session and form token
        client = app.test_client()
        token = csrf_token(client, f"/q/{walker.world.ids['spot_code']}")

    @BOUNDS
    @given(text=st.one_of(st.sampled_from(["\ud800", "a\udfffb", "\udc00\ud800"]), ANY_TEXT))
    def request_with(text):
        fields = {name: _broken_utf8(text) for name in TEXT_FIELDS}
        fields["csrf_token"] = quote(token, safe="")
        body = "&".join(f"{name}={value}" for name, value in fields.items())
        response = client.open(url, method=method, data=body,
                               content_type="application/x-www-form-urlencoded")
        assert response.status_code < 500, (url, text, response.status_code)

    request_with()

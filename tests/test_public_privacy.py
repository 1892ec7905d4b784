"""Visitors' words stay private: personal data planted in a case never reaches a public output.

Every GET route an anonymous person can open (found in app.url_map, so a new public route is
walked without anyone listing it) is fetched for a case whose text, contact and staff reply
hold one of each kind of personal data the README promises to mask. The `<token>` of the
walk is a "me too" visitor's: their page may show their own words, never the first
visitor's.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.models import Case, Photo, VoiceNote
from app.services.cases.operations import add_staff_photos, reply_to_visitor
from app.services.cases.photos import photo_path, prepare_photo
from app.services.cases.public import mask_personal_data
from app.services.cases.submission import Receipt
from app.services.cases.voice import prepare_voice
from tests.conftest import make_case
from tests.support.audio import tone
from tests.support.images import png

# one of each kind, written the ways visitors write them
PLANTED = {
    "mobile": "13912345678",
    "mobile in groups": "186 0011 2233",
    "mobile with dashes": "+86 137-0000-1111",
    "landline": "010-65123456",
    "landline, local": "6598-7654",
    "ID number": "11010519491231002X",
    "e-mail": "wang.ayi@example.com",
    "licence plate": "京A12345",
    "new-energy plate": "粤BD12345",
    "full-width mobile": "１３６１１１１２２２２",
}
BODY = ("我是游客，手机13912345678，也可以打186 0011 2233或+86 137-0000-1111，"
        "家里010-65123456，办公室6598-7654，身份证11010519491231002X，"
        "邮箱wang.ayi@example.com，车牌京A12345和粤BD12345停在厕所门口，"
        "备用１３６１１１１２２２２。")
REPLY = "您好，已联系13912345678的车主（京A12345）挪车。"
CONTACT = "visitor.contact@example.com"
ME_TOO_BODY = "另一位游客：车牌京A和粤B的车还停在厕所门口"  # the same problem: it joins
PROTECTED = ("/staff", "/admin", "/bureau", "/api/v1")


@pytest.mark.parametrize("kind", sorted(PLANTED))
def test_each_kind_of_personal_data_is_masked(kind):
    value = PLANTED[kind]
    masked = mask_personal_data(f"见{value}。")
    assert masked == "见***。", kind


@pytest.mark.parametrize("text", [
    "17号厕所没有纸了，等了10分钟", "RT-2026-000123", "2026-12-03 09:30 北门",
    "第3排座位坏了，门票20元", "Toilet 3 at gate B has no paper",
])
def test_ordinary_text_is_left_alone(text):
    assert mask_personal_data(text) == text


@dataclass
class World:
    first: Receipt
    me_too: Receipt
    case: Case
    photos: list[Photo]  # the first visitor's and the staff's (none made public)
    voice: VoiceNote  # the first visitor's


@pytest.fixture
def world(db, unit, spot, staff) -> World:
    first = make_case(spot, body=BODY, contact=CONTACT,
                      photos=[prepare_photo(io.BytesIO(png(41, 31)))],
                      voice=prepare_voice(io.BytesIO(tone(seconds=0.5))))
    me_too = make_case(spot, body=ME_TOO_BODY)
    assert me_too.joined
    # resolved: the park's board (/p/<park_code>) shows it too
    reply_to_visitor(user=staff, case_id=first.case.id, body=REPLY, new_status="resolved")
    add_staff_photos(user=staff, case_id=first.case.id,
                     photos=[prepare_photo(io.BytesIO(png(43, 33)))])
    case = db.session.get(Case, first.case.id)
    return World(first=first, me_too=me_too, case=case, photos=list(case.photos),
                 voice=case.voice_notes[0])


def _public_get_rules(app: Flask) -> list[tuple[str, str]]:
    return sorted((rule.endpoint, rule.rule) for rule in app.url_map.iter_rules()
                  if "GET" in rule.methods and rule.endpoint != "static"
                  and not rule.rule.startswith(PROTECTED))


def _urls(app: Flask, world: World) -> list[str]:
    values: dict[str, list[str]] = {
        "fmt": ["json", "xml"],
        "token": [world.me_too.token],
        "photo_id": [str(photo.id) for photo in world.photos],
        "note_id": [str(world.voice.id)],
        "code": [world.case.spot.code],
        "park_code": [world.case.park.park_code],
        "service_request_id": [world.case.reference],
        "service_code": [world.case.category.code],
    }
    urls = []
    for endpoint, rule in _public_get_rules(app):
        found = [[rule]]
        for name in re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule):
            assert name in values, f"{endpoint}: add a value for <{name}> to this walk"
            found.append(values[name])
        pattern = found[0][0]
        expanded = [pattern]
        for name, choices in zip(re.findall(r"<(?:[^:>]+:)?([^>]+)>", rule), found[1:],
                                 strict=True):
            expanded = [re.sub(rf"<(?:[^:>]+:)?{name}>", choice, url, count=1)
                        for url in expanded for choice in choices]
        urls += expanded
    reference = world.case.reference
    urls += [f"/open311/v2/requests.{fmt}?{query}" for fmt in ("json", "xml")
             for query in (f"service_request_id={reference}", "status=open",
                           "service_code=toilets")]
    return urls


def _text(response: Any) -> str:
    if response.is_json:
        return json.dumps(response.get_json(), ensure_ascii=False)
    if response.mimetype.startswith(("image/", "audio/")):
        return ""
    return str(response.get_data(as_text=True))


def _flat(text: str) -> str:
    """Without the separators a number may be written with."""
    return re.sub(r"[\s\-+·()（）]", "", text)


def _leaks(text: str) -> list[str]:
    flat = _flat(text)
    found = [kind for kind, value in PLANTED.items()
             if value in text or _flat(value) in flat
             or _flat(value.translate({c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)})) in flat]
    if CONTACT in text:
        found.append("contact")
    return found


def _served_photos(app: Flask, world: World, client: FlaskClient) -> dict[str, bytes]:
    served = {}
    for url in _urls(app, world):
        response = client.get(url)
        if response.status_code == 200 and response.mimetype.startswith("image/"):
            served[url] = response.get_data()
    return served


def test_no_public_output_shows_personal_data_or_photos(app, world):
    client = app.test_client()
    # the planting works: the first visitor's own page shows their words
    own = _text(client.get(f"/t/{world.first.token}"))
    assert "13912345678" in own
    assert "京A12345" in own

    urls = _urls(app, world)
    assert any(url.startswith("/open311/v2/requests.") for url in urls)
    for url in urls:
        response = client.get(url)
        text = _text(response)
        assert not _leaks(text), (url, _leaks(text))

    # the Open311 request is there, its words masked, the reply masked, no media
    (row,) = client.get(f"/open311/v2/requests/{world.case.reference}.json").get_json()
    assert row["description"] == mask_personal_data(BODY)
    assert row["description"].count("***") == len(PLANTED)
    assert row["status_notes"] == "您好，已联系***的车主（***）挪车。"
    assert row["media_url"] is None
    # the park's board shows the case dealt with, its words masked like that
    assert mask_personal_data(BODY) in _text(client.get(f"/p/{world.case.park.park_code}"))
    # the "me too" visitor's page: their words and the park's reply, nothing of the first's
    page = _text(client.get(f"/t/{world.me_too.token}"))
    assert ME_TOO_BODY in page
    assert "已联系" in page
    assert "我是游客" not in page

    # no public address serves the first visitor's photo; the staff photo is the park's
    # answer on the visitor's page, and public nowhere else
    first_photo, staff_photo = world.photos
    served = _served_photos(app, world, client)
    stored = photo_path(first_photo).read_bytes()
    assert stored not in served.values()
    assert set(served) == {f"/t/{world.me_too.token}/photos/{staff_photo.id}"}
    # nor the first visitor's voice note (their own page plays it)
    assert client.get(f"/t/{world.first.token}/voice/{world.voice.id}").status_code == 200
    assert not [url for url in urls if client.get(url).mimetype.startswith("audio/")]


def test_published_summary_and_public_photo_are_all_the_public_gets(app, db, world, staff):
    from app.services.cases.operations import (
        publish_summary,
        set_case_private,
        set_photo_public,
    )

    client = app.test_client()
    first_photo, staff_photo = world.photos
    publish_summary(user=staff, case_id=world.case.id, summary="北门厕所门口有车挡路")
    set_photo_public(user=staff, case_id=world.case.id, photo_id=staff_photo.id, public=True)
    for url in _urls(app, world):
        assert not _leaks(_text(client.get(url))), url
    (row,) = client.get(f"/open311/v2/requests/{world.case.reference}.json").get_json()
    assert row["description"] == "北门厕所门口有车挡路"
    assert row["media_url"].endswith(f"/photos/{staff_photo.id}")
    served = _served_photos(app, world, client)
    assert photo_path(first_photo).read_bytes() not in served.values()
    assert served[f"/photos/{staff_photo.id}"] == photo_path(staff_photo).read_bytes()

    # private: no text, no reply, no photo, though a summary and a public photo exist
    set_case_private(user=staff, case_id=world.case.id, private=True)
    for url in _urls(app, world):
        text = _text(client.get(url))
        assert not _leaks(text), url
        assert "北门厕所门口有车挡路" not in text, url
        assert "已联系" not in text or url.startswith("/t/"), url
    assert set(_served_photos(app, world, client)) == {
        f"/t/{world.me_too.token}/photos/{staff_photo.id}"}


@settings(max_examples=300, deadline=None)
@given(prefix=st.text(alphabet="厕所没有纸了，请联系我 abc。:", max_size=12),
       suffix=st.text(alphabet="厕所没有纸了，谢谢 xyz。", max_size=12),
       second=st.sampled_from("3456789"), rest=st.text(alphabet="0123456789", min_size=9,
                                                      max_size=9),
       separators=st.lists(st.sampled_from(["", "", " ", "-"]), min_size=8, max_size=8),
       plus86=st.booleans())
def test_a_mobile_number_is_masked_however_it_is_written(prefix, suffix, second, rest,
                                                         separators, plus86):
    number = f"1{second}{rest}"
    written = number[:3] + "".join(sep + digit for sep, digit in zip(separators, number[3:],
                                                                       strict=True))
    if plus86:
        written = "+86 " + written
    masked = mask_personal_data(f"{prefix}{written}{suffix}")
    assert number not in re.sub(r"\D", "", masked)
    assert "***" in masked

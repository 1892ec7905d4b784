"""Multipart forms are parsed as werkzeug parses them, without compiling expressions per
form (app/multipart.py)."""

from __future__ import annotations

import io
import random
import re

import pytest
import werkzeug.formparser
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.formparser import MultiPartParser
from werkzeug.sansio.multipart import MultipartDecoder

from app.models import Case
from app.multipart import BoundaryDecoder, BoundarySearch
from tests.conftest import csrf_token

# boundaries as browsers and clients make them, and awkward ones
BOUNDARIES = [b"----WebKitFormBoundary7MA4YWxkTrZu0gW", b"----geckoformboundary4d1e3f",
              b"a5f0c1", b"x", b"--a", b"a-b--", b"a.b+c(d)"]


def werkzeug_expressions(boundary: bytes) -> tuple[re.Pattern[bytes], re.Pattern[bytes]]:
    """The two expressions werkzeug's own decoder compiles for a boundary."""
    decoder = MultipartDecoder(boundary)
    return decoder.preamble_re, decoder.boundary_re


def found(match: re.Match[bytes] | object | None) -> tuple[int, int, bytes] | None:
    if match is None:
        return None
    return match.start(), match.end(), match.group(1)  # type: ignore[attr-defined]


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_the_search_finds_what_werkzeugs_expressions_find(boundary: bytes) -> None:
    preamble_re, boundary_re = werkzeug_expressions(boundary)
    preamble = BoundarySearch(boundary, line_break_required=False)
    between = BoundarySearch(boundary, line_break_required=True)
    # bytes a boundary line is made of, and near misses of the delimiter
    pieces = [b"\r\n", b"\r", b"\n", b" ", b"\t", b"-", b"--", b"a", b"\xe5\x8c\x97",
              b"--" + boundary, b"--" + boundary, b"--" + boundary[:-1], boundary]
    rng = random.Random(boundary)  # noqa: S311 - generated test input
    matched = 0
    for _ in range(4000):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        buffer = bytearray(data) if rng.random() < 0.5 else data
        pos = rng.randint(0, len(data))
        for ours, theirs in ((preamble, preamble_re), (between, boundary_re)):
            expected = found(theirs.search(buffer, pos))
            assert found(ours.search(buffer, pos)) == expected, (data, pos)
            matched += expected is not None
    assert matched > 400  # the generated input reaches the matches, not only misses


def form_body(boundary: bytes, rng: random.Random) -> bytes:
    """A multipart body with fields and files, line breaks of every kind, near misses of
    the boundary in the values, and sometimes a preamble, blanks or an epilogue."""
    line_break = rng.choice([b"\r\n", b"\r\n", b"\n", b"\r"])
    values = [b"", b"\xe5\x8c\x97\xe9\x97\xa8 toilets", b"--" + boundary[:-1],
              b"line\r\n--not the boundary", b"-" * 70, bytes(range(256)),
              b"--" + boundary + b"x"]
    parts = []
    for number in range(rng.randint(0, 5)):
        value = rng.choice(values)
        if rng.random() < 0.5:
            header = b'Content-Disposition: form-data; name="field%d"' % number
        else:
            header = (b'Content-Disposition: form-data; name="file%d"; filename="f%d.jpg"'
                      % (number, number) + line_break + b"Content-Type: image/jpeg")
        parts.append(b"--" + boundary + rng.choice([b"", b" ", b"\t "]) + line_break
                     + header + line_break + line_break + value + line_break)
    preamble = rng.choice([b"", b"", b"preamble" + line_break, line_break])
    closing = b"--" + boundary + b"--" + rng.choice([b"", b" ", line_break])
    epilogue = rng.choice([b"", b"", b"epilogue"])
    return preamble + b"".join(parts) + closing + epilogue


def parse(decoder: type[MultipartDecoder], body: bytes, boundary: bytes,
          buffer_size: int) -> object:
    """What werkzeug's form parser gives for `body` with `decoder` (or the error)."""
    saved = werkzeug.formparser.MultipartDecoder
    werkzeug.formparser.MultipartDecoder = decoder
    try:
        # files in memory: nothing left open when a body is refused halfway
        parser = MultiPartParser(stream_factory=lambda *_args, **_kwargs: io.BytesIO(),
                                 max_form_memory_size=10_000, buffer_size=buffer_size,
                                 max_form_parts=20)
        fields, files = parser.parse(io.BytesIO(body), boundary, len(body))
    except (ValueError, RequestEntityTooLarge) as error:
        return type(error).__name__
    finally:
        werkzeug.formparser.MultipartDecoder = saved
    return (list(fields.items(multi=True)),
            [(name, file.filename, file.read()) for name, file in files.items(multi=True)])


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_forms_parse_as_werkzeug_parses_them(boundary: bytes) -> None:
    rng = random.Random(boundary + b"form")  # noqa: S311 - generated test input
    parsed = 0
    for _ in range(300):
        body = form_body(boundary, rng)
        if rng.random() < 0.1:
            body = body[:rng.randint(0, len(body))]  # cut off: werkzeug refuses it too
        # small reads split boundaries and line breaks across chunks
        buffer_size = rng.choice([7, 16, 64, 65536])
        expected = parse(MultipartDecoder, body, boundary, buffer_size)
        assert parse(BoundaryDecoder, body, boundary, buffer_size) == expected, body
        parsed += isinstance(expected, tuple) and bool(expected[0] or expected[1])
    assert parsed > 100


def test_an_all_hyphen_boundary_keeps_werkzeugs_expressions() -> None:
    decoder = BoundaryDecoder(b"-----")
    assert isinstance(decoder.preamble_re, re.Pattern)
    body = b"-------\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nb\r\n---------\r\n"
    assert parse(BoundaryDecoder, body, b"-----", 65536) == ([("a", "b")], [])


def test_the_app_parses_forms_with_the_boundary_search(client, db, spot, monkeypatch) -> None:
    """create_app puts BoundaryDecoder in werkzeug's form parser, and a visitor's report sent
    as a browser sends it (multipart, with an empty photo field) is stored."""
    assert werkzeug.formparser.MultipartDecoder is BoundaryDecoder
    searched: list[bytes] = []
    search = BoundarySearch.search

    def counted(self: BoundarySearch, data: bytes | bytearray, pos: int = 0) -> object:
        searched.append(self.delimiter)
        return search(self, data, pos)

    token = csrf_token(client, f"/q/{spot.code}")
    monkeypatch.setattr(BoundarySearch, "search", counted)
    answer = client.post(f"/q/{spot.code}", content_type="multipart/form-data",
                         data={"csrf_token": token, "category": "toilets",
                               "body": "北门厕所没有纸了", "website": "",
                               "photos": (io.BytesIO(b""), "")})
    assert answer.status_code == 303
    assert searched, "the form was not parsed with BoundarySearch"
    assert db.session.scalar(select(Case.body).where(Case.spot_id == spot.id)) == "北门厕所没有纸了"

"""Multipart forms parsed without compiling two regular expressions for each request.

Werkzeug's multipart decoder (`werkzeug.sansio.multipart.MultipartDecoder`) compiles two
regular expressions from each form's boundary when it starts. Browsers choose a new
boundary for every form they send, so every submission of the visitor form paid for two
compilations: 0.5 ms on the bench machine, more than the rest of parsing the form
(bench/README.md, "Where a visit's CPU goes").

`BoundaryDecoder` is werkzeug's decoder with those two expressions replaced by
`BoundarySearch`: a byte search for the boundary, then one expression, compiled once, for
what may follow it. It finds exactly what the expressions find (tests/test_multipart.py
compares them on generated input); werkzeug's form parser uses it once
`decode_multipart_without_compiling` has run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import werkzeug.formparser
from werkzeug.sansio.multipart import LINE_BREAK, MultipartDecoder

# What werkzeug's expressions accept after "--" and the boundary (their group 1): the closing
# "--" with blanks and a line break, each optional; or blanks and a line break.
AFTER_BOUNDARY = re.compile(rb"(--[^\S\n\r]*%s?|[^\S\n\r]*%s)" % (LINE_BREAK, LINE_BREAK))
# werkzeug's set-up runs with this boundary: its two expressions come from the re module's
# cache, and are then replaced
SET_UP_BOUNDARY = b"park-mailbox-set-up"


@dataclass(frozen=True, slots=True)
class BoundaryMatch:
    """What the decoder reads of a match: where it starts and ends, and group 1."""

    begins: int
    ends: int
    after: bytes

    def start(self) -> int:
        return self.begins

    def end(self) -> int:
        return self.ends

    def group(self, _number: int) -> bytes:  # the decoder reads group 1 only
        return self.after


class BoundarySearch:
    """Finds what werkzeug's expression for a boundary finds: "--" and the boundary, after
    a line break (CRLF, LF or CR; optional before the first one, `line_break_required`
    False) and followed by what `AFTER_BOUNDARY` accepts; the leftmost such match.

    A delimiter cannot occur twice within two bytes unless the boundary is all hyphens
    ("--" then the boundary would repeat itself), so the first delimiter followed by what
    may follow it gives the leftmost match; for all-hyphen boundaries the decoder keeps
    werkzeug's expressions."""

    def __init__(self, boundary: bytes, *, line_break_required: bool) -> None:
        self.delimiter = b"--" + boundary
        self.line_break_required = line_break_required

    def search(self, data: bytes | bytearray, pos: int = 0) -> BoundaryMatch | None:
        at = data.find(self.delimiter, pos)
        while at != -1:
            after = AFTER_BOUNDARY.match(data, at + len(self.delimiter))
            start = self._start(data, at, pos) if after is not None else None
            if after is not None and start is not None:
                return BoundaryMatch(start, after.end(), after.group(1))
            at = data.find(self.delimiter, at + 1)
        return None

    def _start(self, data: bytes | bytearray, at: int, pos: int) -> int | None:
        """Where a match of the delimiter at `at` starts: at the line break before it (CRLF
        taken whole when it lies after `pos`), else at the delimiter when none is needed."""
        if at - 2 >= pos and data[at - 2:at] == b"\r\n":
            return at - 2
        if at - 1 >= pos and data[at - 1:at] in (b"\r", b"\n"):
            return at - 1
        return None if self.line_break_required else at


class BoundaryDecoder(MultipartDecoder):
    """Werkzeug's multipart decoder, finding boundaries with `BoundarySearch`."""

    def __init__(self, boundary: bytes, max_form_memory_size: int | None = None, *,
                 max_parts: int | None = None) -> None:
        if not boundary.strip(b"-"):
            # all hyphens: delimiters may overlap (see BoundarySearch); rare, werkzeug's way
            super().__init__(boundary, max_form_memory_size, max_parts=max_parts)
            return
        super().__init__(SET_UP_BOUNDARY, max_form_memory_size, max_parts=max_parts)
        self.boundary = boundary
        # the decoder calls only .search on them
        self.preamble_re = BoundarySearch(  # type: ignore[assignment]
            boundary, line_break_required=False)
        self.boundary_re = BoundarySearch(  # type: ignore[assignment]
            boundary, line_break_required=True)


def decode_multipart_without_compiling() -> None:
    """Make werkzeug's form parser decode multipart bodies with `BoundaryDecoder`.

    `MultiPartParser.parse` looks the decoder up as this module attribute for every form,
    so one assignment covers every request; tests/test_multipart.py fails if that changes.
    """
    werkzeug.formparser.MultipartDecoder = BoundaryDecoder  # type: ignore[attr-defined]

"""Row ids from outside (URL paths, forms, query strings): whole numbers the database holds.

A number past what a 64-bit integer column holds (2**63 and up) is no row of ours, but
handed to the database it is an error (SQLite's driver raises OverflowError), so it is
refused here, at the door: 404 in a path, a form error, an ignored filter.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_ID = 2**63 - 1  # the largest value of a 64-bit column (SQLite INTEGER, PostgreSQL bigint)


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: 0..MAX_ID, anything larger is no match (404)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def parse_id(value: Any) -> int:
    """A query-string id (`request.args.get(name, type=parse_id)`): ValueError when it is
    not a number from 1 to MAX_ID, so the argument counts as absent."""
    number = int(value)
    if not 1 <= number <= MAX_ID:
        raise ValueError(f"{number} is not an id")
    return number

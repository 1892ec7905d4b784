"""Row ids from outside (URL paths, forms, query strings): whole numbers the database holds.

Most tables have 32-bit ids (INTEGER on PostgreSQL: units, parks, spots, categories, staff,
templates, keys...); the ones that grow without end have 64-bit ids (`BigId`: cases,
reports, messages, photos, events). A number past what its column holds is no row of
ours, but handed to the database it is an error (PostgreSQL: "integer out of range";
SQLite's driver: OverflowError past 2**63), so it is refused here, at the door: 404 in a
path, a form error, an ignored filter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import BaseConverter, IntegerConverter, Map, Rule

MAX_SMALL_ID = 2**31 - 1  # a 32-bit id column
MAX_ID = 2**63 - 1  # a 64-bit id column (BigId)
# route arguments that name rows of 64-bit tables; every other <int:...> is a 32-bit id
BIG_ID_ARGUMENTS = frozenset({"case_id", "photo_id"})


class IdConverter(IntegerConverter):
    """`<int:...>` in every route: 0..MAX_SMALL_ID (0..MAX_ID for BIG_ID_ARGUMENTS, see
    `IdRule`); anything larger is no match (404)."""

    def __init__(self, map: Map, fixed_digits: int = 0, min: int | None = None,  # noqa: A002
                 max: int | None = MAX_SMALL_ID, signed: bool = False) -> None:  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


class IdRule(Rule):
    """The app's URL rule: an `<int:...>` argument of BIG_ID_ARGUMENTS takes 64-bit ids."""

    def get_converter(self, variable_name: str, converter_name: str, args: tuple[Any, ...],
                      kwargs: Mapping[str, Any]) -> BaseConverter:
        converter = super().get_converter(variable_name, converter_name, args, kwargs)
        if isinstance(converter, IdConverter) and variable_name in BIG_ID_ARGUMENTS:
            converter.max = MAX_ID
        return converter


def parse_id(value: Any, maximum: int = MAX_SMALL_ID) -> int:
    """A query-string id (`request.args.get(name, type=parse_id)`): ValueError when it is
    not a number from 1 to `maximum`, so the argument counts as absent."""
    number = int(value)
    if not 1 <= number <= maximum:
        raise ValueError(f"{number} is not an id")
    return number

"""CSV imports all or nothing: decoding Excel's files, the header, dates, parks, row errors."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeVar

from flask_babel import gettext as _

from app.models import Park
from app.services.errors import DomainError

Item = TypeVar("Item")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d")


@dataclass(frozen=True)
class RowError:
    line: int  # as in the file (the header is line 1); 0 when the row is not the point
    message: str


class CsvImportError(DomainError):
    """The file has bad rows; nothing was imported."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(_("Nothing was imported: %(n)d rows have problems.", n=len(errors)))
        self.errors = errors


def decode_upload(data: bytes) -> str:
    """UTF-8 (with or without the BOM Excel writes), else GB18030 (Chinese Excel)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise DomainError(_("The file is neither UTF-8 nor GB18030 text.")) from None


def parse_date(text: str) -> date | None:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), pattern).date()  # noqa: DTZ007 - a date
        except ValueError:
            continue
    return None


def date_problem(text: str) -> str:
    return str(_("“%(value)s” is not a date (YYYY-MM-DD)", value=text))


class ParkNames:
    """Parks found by their Chinese or English name, among the parks the importer may see."""

    def __init__(self, parks: Sequence[Park]) -> None:
        self._by_name: dict[str, list[Park]] = defaultdict(list)
        for park in parks:
            for name in {park.name_zh.strip(), park.name_en.strip()} - {""}:
                self._by_name[name].append(park)

    def find(self, name: str, problems: list[str]) -> Park | None:
        """The park called `name`, or None with the reason added to `problems`."""
        matches = self._by_name.get(name, [])
        if not matches:
            problems.append(_("unknown park “%(name)s”", name=name))
        elif len(matches) > 1:
            problems.append(_("several parks are called “%(name)s”", name=name))
        else:
            return matches[0]
        return None


RowParser = Callable[[int, dict[str, str], list[str]], Item | None]


def parse_rows(text: str, columns: Sequence[str], parse_row: RowParser[Item],
               empty_message: str) -> tuple[list[Item], list[RowError]]:
    """Check the header and every row; return the items and the errors.

    `parse_row(line, values, problems)` gets the stripped values of `columns`; it returns
    the item, or None after adding what is wrong with the row to `problems`.
    """
    if "\x00" in text:
        # a spreadsheet or other binary file (PostgreSQL text cannot hold NUL either)
        return [], [RowError(1, _("The file contains NUL characters: save it as CSV text."))]
    reader = csv.DictReader(io.StringIO(text))
    items: list[Item] = []
    errors: list[RowError] = []
    try:
        header = [name.strip() for name in (reader.fieldnames or [])]
        missing = [name for name in columns if name not in header]
        if missing:
            return [], [RowError(1, _("The header lacks the columns: %(names)s",
                                      names=", ".join(missing)))]
        reader.fieldnames = header
        for row in reader:
            values = {key: (row.get(key) or "").strip() for key in columns}
            problems: list[str] = []
            item = parse_row(reader.line_num, values, problems)
            if problems or item is None:
                errors.append(RowError(reader.line_num, "; ".join(problems)))
            else:
                items.append(item)
    except csv.Error:
        # a field past the csv module's limit (128 KiB), or a quote left open
        return [], [*errors, RowError(reader.line_num or 1, _(
            "not readable as CSV (a field over 128 KB or an open quote)"))]
    if not items and not errors:
        errors.append(RowError(1, empty_message))
    return items, errors

"""The end of `make test`: the N slowest tests of its pytest --junitxml reports (set-up,
call and tear-down together, slowest first), then one line counting the tests of all of
them: `python scripts/slowest_tests.py 15 a.xml b.xml`."""

from __future__ import annotations

import sys
from pathlib import Path
from xml.etree import ElementTree


def cases(reports: list[Path]) -> list[tuple[str, ElementTree.Element]]:
    """(the report's name, e.g. "sqlite", and a testcase element) of every report."""
    return [(report.stem, case) for report in reports if report.exists()
            for case in ElementTree.parse(report).iter("testcase")]  # noqa: S314 - our own


def slowest(count: int, reports: list[Path]) -> list[tuple[float, str]]:
    timed = []
    for database, case in cases(reports):
        name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
        timed.append((float(case.get("time", 0)), f"{name} ({database})"))
    return sorted(timed, reverse=True)[:count]


def outcomes(reports: list[Path]) -> dict[str, int]:
    counted = {"passed": 0, "failed": 0, "skipped": 0}
    for _database, case in cases(reports):
        if case.find("failure") is not None or case.find("error") is not None:
            counted["failed"] += 1
        elif case.find("skipped") is not None:
            counted["skipped"] += 1
        else:
            counted["passed"] += 1
    return counted


def main() -> None:
    count, *paths = sys.argv[1:]
    reports = [Path(path) for path in paths]
    print(f"slowest {count} tests of `make test`:")
    for seconds, name in slowest(int(count), reports):
        print(f"{seconds:8.2f}s  {name}")
    counted = outcomes(reports)
    print(f"both passes: {counted['passed']} passed, {counted['failed']} failed, "
          f"{counted['skipped']} skipped")


if __name__ == "__main__":
    main()

"""The N slowest tests of one or more pytest --junitxml reports (set-up, call and
tear-down together), slowest first: `python scripts/slowest_tests.py 15 a.xml b.xml`."""

from __future__ import annotations

import sys
from pathlib import Path
from xml.etree import ElementTree


def slowest(count: int, reports: list[Path]) -> list[tuple[float, str]]:
    timed = []
    for report in reports:
        if not report.exists():
            continue
        database = report.stem
        for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314 - our own file
            name = f"{case.get('classname', '').replace('.', '/')}.py::{case.get('name')}"
            timed.append((float(case.get("time", 0)), f"{name} ({database})"))
    return sorted(timed, reverse=True)[:count]


def main() -> None:
    count, *paths = sys.argv[1:]
    print(f"slowest {count} tests of `make test`:")
    for seconds, name in slowest(int(count), [Path(path) for path in paths]):
        print(f"{seconds:8.2f}s  {name}")


if __name__ == "__main__":
    main()

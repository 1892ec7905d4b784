"""How often "danger first" is right: recall and false alarms of the danger words
(app/services/cases/danger.py) on a labelled set of park messages in both languages.

    .venv/bin/python -m bench.danger [bench/data/danger_messages.csv]

Prints the messages it gets wrong and the rates; writes bench/results/danger.json.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from pathlib import Path

from app.services.cases.danger import names_a_danger

ROOT = Path(__file__).resolve().parent
DEFAULT_SET = ROOT / "data" / "danger_messages.csv"


def evaluate(path: Path) -> dict[str, float | int]:
    with path.open(encoding="utf-8") as handle:
        rows = [(row["text"], row["danger"] == "1") for row in csv.DictReader(handle)]
    started = time.perf_counter()
    found = [(text, danger, names_a_danger(text)) for text, danger in rows]
    seconds = time.perf_counter() - started
    dangers = [f for f in found if f[1]]
    everyday = [f for f in found if not f[1]]
    missed = [text for text, _danger, word in dangers if word is None]
    alarms = [(text, word) for text, _danger, word in everyday if word is not None]
    for text in missed:
        print(f"missed:      {text}")
    for text, word in alarms:
        print(f"false alarm: {text}  ({word})")
    return {
        "messages": len(rows), "dangers": len(dangers), "everyday": len(everyday),
        "recall": round(1 - len(missed) / len(dangers), 3) if dangers else 0.0,
        "false_alarm_rate": round(len(alarms) / len(everyday), 3) if everyday else 0.0,
        "microseconds_per_message": round(seconds / max(len(rows), 1) * 1e6, 1),
    }


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    result = evaluate(path)
    print(json.dumps(result, indent=2))
    out = ROOT / "results" / "danger.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

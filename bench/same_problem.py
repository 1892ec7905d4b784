""""Me too" only for the same problem: how often the similarity of a new report's words to
an open case's (app/services/cases/sameness.py) joins the right reports, on labelled pairs of
reports at one spot and category (same problem or not), in both languages.

    .venv/bin/python -m bench.same_problem [bench/data/same_problem_pairs.csv]

The file lists each same-problem pair next to a different-problem one; alternate couples of
rows make a tuning half (rows 1-2, 5-6, ..., where the threshold was chosen) and a held-out
half (rows 3-4, 7-8, ...). Prints a sweep of thresholds on the tuning half, the pairs the
app's threshold gets wrong, and precision, recall and the false-join rate at that threshold
on each half and on all pairs; writes bench/results/same_problem.json.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from app.services.cases.sameness import SAME_PROBLEM_THRESHOLD, only_me_too, similarity

ROOT = Path(__file__).resolve().parent
DEFAULT_SET = ROOT / "data" / "same_problem_pairs.csv"

MAX_FALSE_JOINS = 0.2
Pair = tuple[str, str, bool, float]  # first, second, same problem, similarity


def read_pairs(path: Path) -> list[Pair]:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    # a plain "me too" joins whatever its similarity (the app's rule): scored as 1
    return [(row["first"], row["second"], row["same"] == "1",
             1.0 if only_me_too(row["second"]) else similarity(row["second"], row["first"]))
            for row in rows]


def figures(pairs: list[Pair], threshold: float) -> dict[str, float | int]:
    joined = [p for p in pairs if p[3] >= threshold]
    right = sum(p[2] for p in joined)
    same = sum(p[2] for p in pairs)
    different = len(pairs) - same
    return {
        "pairs": len(pairs), "same": same, "different": different,
        "precision": round(right / len(joined), 3) if joined else 1.0,
        "recall": round(right / same, 3) if same else 0.0,
        "false_join_rate": round((len(joined) - right) / different, 3) if different else 0.0,
    }


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SET
    pairs = read_pairs(path)
    tuning = [p for i, p in enumerate(pairs) if i // 2 % 2 == 0]
    held_out = [p for i, p in enumerate(pairs) if i // 2 % 2 == 1]
    print("tuning half: threshold  precision  recall  false joins")
    sweep = [(step / 100, figures(tuning, step / 100)) for step in range(10, 62, 2)]
    for at, row in sweep:
        print(f"  {at:.2f}  {row['precision']:.3f}  {row['recall']:.3f}"
              f"  {row['false_join_rate']:.3f}")
    # the rule the app's threshold follows: the most joins of the same problem while at most
    # MAX_FALSE_JOINS of different problems at the spot are joined
    best = max((row["recall"], -at) for at, row in sweep
               if row["false_join_rate"] <= MAX_FALSE_JOINS)
    print(f"chosen on the tuning half: {-best[1]:.2f}; the app's: {SAME_PROBLEM_THRESHOLD}")
    threshold = SAME_PROBLEM_THRESHOLD
    for first, second, same, score in pairs:
        if same != (score >= threshold):
            print(f"{'missed' if same else 'false join'}: {first} / {second} ({score:.2f})")
    result = {"threshold": threshold, "tuning": figures(tuning, threshold),
              "held_out": figures(held_out, threshold), "all": figures(pairs, threshold)}
    print(json.dumps(result, indent=2))
    out = ROOT / "results" / "same_problem.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

"""How well the monthly topic groups a month's messages: pairwise precision and recall of
today's grouping and the one before it, in the same run, on labelled sets of Chinese
messages. With no argument it scores two sets, each on its own:
- seen: bench/data/topic_messages.csv (326 planted messages, made by
  bench/data/make_topic_messages.py), written together with the grouping rules;
- held out: bench/data/topic_messages_heldout.csv (169 messages), written by hand before
  reading the rules or the seen set's generator.

    .venv/bin/python -m bench.topics [FILE ...]

Each message has the problem it names (its label; empty for a one-off that belongs to no
topic). A grouping puts messages into topics. Over every pair of messages:
- precision: of the pairs a grouping puts in one topic, the share that name the same problem;
- recall: of the pairs that name the same problem, the share the grouping puts in one topic.
Both groupings run with the page's own limits (at least MIN_CASES cases a topic, at most
MAX_TOPICS topics), then again with no limit on the number of topics. Prints each set's
groupings with their topics' labels, then each set's figures; writes every set's figures
to bench/results/topics.json, keyed by set.
"""

from __future__ import annotations

import csv
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from itertools import combinations
from pathlib import Path

from app.services.accounts.onboarding import CATEGORIES
from app.services.bureau.topics import (
    MAX_TOPICS,
    case_keywords,
    group_cases,
    suggest_groups,
)

ROOT = Path(__file__).resolve().parent
DEFAULT_SET = ROOT / "data" / "topic_messages.csv"
HELDOUT_SET = ROOT / "data" / "topic_messages_heldout.csv"
# (key in the results, file, what the set is) for a run with no argument.
DEFAULT_SETS = (
    ("seen", DEFAULT_SET, "seen: written with the rules"),
    ("held out", HELDOUT_SET, "held out: written before reading the rules"),
)

Grouping = list[tuple[list[str], list[int]]]
UNLIMITED = 1_000


def read_set(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def today_grouping(texts: Sequence[str], categories: Sequence[str],
                   max_topics: int = MAX_TOPICS) -> Grouping:
    """The grouping before issue 17: words only, over the whole month."""
    return group_cases(case_keywords(texts), max_topics=max_topics)


def new_grouping(texts: Sequence[str], categories: Sequence[str],
                 max_topics: int = MAX_TOPICS) -> Grouping:
    names = {code: zh for code, zh, *_rest in CATEGORIES}
    return [(group.keywords, group.members)
            for group in suggest_groups(texts, categories, category_names=names,
                                        max_topics=max_topics)]


def pair_scores(labels: Sequence[str], groups: Grouping) -> dict[str, float | int]:
    topic_of = {index: number for number, (_words, members) in enumerate(groups)
                for index in members}
    predicted = same = both = 0
    for first, second in combinations(range(len(labels)), 2):
        together = first in topic_of and topic_of.get(first) == topic_of.get(second)
        alike = labels[first] != "" and labels[first] == labels[second]
        predicted += together
        same += alike
        both += together and alike
    precision = both / predicted if predicted else 0.0
    recall = both / same if same else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"topics": len(groups), "grouped": len(topic_of), "precision": round(precision, 3),
            "recall": round(recall, 3), "f1": round(f1, 3)}


def show(name: str, labels: Sequence[str], groups: Grouping) -> None:
    print(f"\n{name}:")
    for words, members in groups:
        counts = Counter(labels[i] or "(one-off)" for i in members)
        top, n = counts.most_common(1)[0]
        print(f"  {' · '.join(words):32} {len(members):3} cases, {n / len(members):4.0%} "
              f"{top}  {dict(counts.most_common(4))}")


def evaluate(path: Path) -> dict[str, object]:
    rows = read_set(path)
    labels = [row["label"] for row in rows]
    texts = [row["text"] for row in rows]
    categories = [row["category"] for row in rows]
    result: dict[str, object] = {"messages": len(rows), "labels": len(set(labels) - {""}),
                                 "one_offs": labels.count("")}
    runs: dict[str, Callable[..., Grouping]] = {"today": today_grouping, "new": new_grouping}
    for limit, suffix in ((MAX_TOPICS, ""), (UNLIMITED, " unlimited")):
        for name, grouping in runs.items():
            started = time.perf_counter()
            groups = grouping(texts, categories, max_topics=limit)
            seconds = time.perf_counter() - started
            if not suffix:
                show(name, labels, groups)
            result[name + suffix] = {**pair_scores(labels, groups),
                                     "seconds": round(seconds, 3)}
    return result


def report(name: str, note: str, result: dict[str, object]) -> None:
    print()
    print(f"{name} ({note}), {result['messages']} messages, {result['labels']} labels, "
          f"{result['one_offs']} one-offs; at most {MAX_TOPICS} topics (the page), then with "
          "no limit:")
    for run in ("today", "new", "today unlimited", "new unlimited"):
        figures = result[run]
        assert isinstance(figures, dict)
        print(f"  {run:16} precision {figures['precision']:.3f}  recall "
              f"{figures['recall']:.3f}  F1 {figures['f1']:.3f}  ({figures['topics']} topics, "
              f"{figures['grouped']} of {result['messages']} messages grouped)")


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, object]]:
    paths = list(sys.argv[1:] if argv is None else argv)
    sets = ([(Path(path).stem, Path(path), str(path)) for path in paths] if paths
            else list(DEFAULT_SETS))
    results: dict[str, dict[str, object]] = {}
    for name, path, note in sets:
        print(f"\n=== {name} ({note}): {path}")
        results[name] = {"file": str(path), "note": note, **evaluate(path)}
    for name, _path, note in sets:
        report(name, note, results[name])
    out = ROOT / "results" / "topics.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return results


if __name__ == "__main__":
    main()

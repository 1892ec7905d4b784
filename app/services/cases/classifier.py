"""Category from the words: a multinomial naive Bayes over character n-grams, written here
(no model library, no network). Chinese text gives its characters and character pairs;
English text its words and each word's character triples, so "toilets" shares most of its
features with "toilet". The starter counts come from `data/starter_categories.csv` (park
messages in both languages, labelled by hand); a unit's own counts (`suggest.py`) are added
on top. `bench/data/categories_test.csv` is the held-out set `flask categories evaluate`
reads.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

STARTER_FILE = Path(__file__).with_name("data") / "starter_categories.csv"
# additive smoothing of each feature's count
ALPHA = 0.1
# the scores are a softmax of the mean log-likelihood per feature times this: the raw
# naive Bayes posterior is near 0 or 1 for any text of more than a few words
SHARPNESS = 4.0
# an English word's character triples count for less than the word itself
TRIGRAM_WEIGHT = 0.5

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
# English words too common to say anything about a category
_STOPWORDS = frozenset(
    "a an the and or of to in on at by for with is are was were be been it its this that "
    "there here i we you he she they my our your me us so very too all any no not do does "
    "did has have had can could would will please from as up out about into over".split())


Features = dict[str, float]


def text_features(text: str) -> Features:
    """The features of a text: Chinese characters and character pairs, English words and
    their character triples."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    features: defaultdict[str, float] = defaultdict(float)
    for run in _CJK.findall(text):
        for i, char in enumerate(run):
            features[char] += 1
            if i + 1 < len(run):
                features[run[i:i + 2]] += 1
    for word in _WORD.findall(text):
        if word in _STOPWORDS or word.isdigit():
            continue
        features["w:" + word] += 1
        padded = f"<{word}>"
        for i in range(len(padded) - 2):
            features["t:" + padded[i:i + 3]] += TRIGRAM_WEIGHT
    return dict(features)


@dataclass
class CategoryCounts:
    """How often each feature occurred in a category's messages, and how many messages."""

    documents: float = 0.0
    features: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, text: str, weight: float = 1.0) -> None:
        found = text_features(text)
        if not found:
            return
        self.documents += weight
        for name, count in found.items():
            self.features[name] += count * weight

    def to_json(self) -> dict[str, Any]:
        return {"documents": self.documents, "features": dict(self.features)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CategoryCounts:
        features: defaultdict[str, float] = defaultdict(float)
        features.update({str(k): float(v) for k, v in dict(data.get("features", {})).items()})
        return cls(float(data.get("documents", 0)), features)


Counts = dict[str, CategoryCounts]


def count_messages(labelled: Iterable[tuple[str, str, float]]) -> Counts:
    """Counts per category from (text, category code, weight)."""
    counts: Counts = {}
    for text, category, weight in labelled:
        counts.setdefault(category, CategoryCounts()).add(text, weight)
    return counts


def read_labelled_csv(path: Path) -> list[tuple[str, str]]:
    """(text, category) from a CSV with the header `text,category` (ValueError if not)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if not {"text", "category"} <= set(reader.fieldnames or ()):
            raise ValueError("the first line must be text,category")
        return [(row["text"], row["category"].strip())
                for row in reader if row.get("text") and row.get("category")]


@lru_cache(maxsize=1)
def starter_counts() -> Counts:
    """The starter set shipped with the app, counted once per process."""
    return count_messages((text, category, 1.0)
                          for text, category in read_labelled_csv(STARTER_FILE))


def merge_counts(*parts: Counts) -> Counts:
    merged: Counts = {}
    for part in parts:
        for category, counts in part.items():
            into = merged.setdefault(category, CategoryCounts())
            into.documents += counts.documents
            for name, count in counts.features.items():
                into.features[name] += count
    return merged


@dataclass(frozen=True)
class Suggestion:
    category: str
    score: float  # 0..1, the scores of all categories add up to 1


class CategoryModel:
    """A naive Bayes model over the given categories (each with some messages counted)."""

    def __init__(self, counts: Counts) -> None:
        self.categories = sorted(code for code, c in counts.items() if c.documents > 0)
        vocabulary: set[str] = set()
        for code in self.categories:
            vocabulary.update(counts[code].features)
        self.vocabulary = frozenset(vocabulary)
        size = len(vocabulary) or 1
        self._log_prob: dict[str, dict[str, float]] = {}
        self._log_unseen: dict[str, float] = {}
        for code in self.categories:
            features = counts[code].features
            total = sum(features.values()) + ALPHA * size
            self._log_prob[code] = {name: math.log((count + ALPHA) / total)
                                    for name, count in features.items()}
            self._log_unseen[code] = math.log(ALPHA / total)

    def evidence(self, text: str) -> float:
        """How many of the text's features the model knows (a few: any score is a guess)."""
        return sum(count for name, count in text_features(text).items()
                   if name in self.vocabulary)

    def suggest(self, text: str, limit: int = 3) -> list[Suggestion]:
        """The categories best first with their scores; none when no word of the text is
        known (the model has nothing to say about it)."""
        found = {name: count for name, count in text_features(text).items()
                 if name in self.vocabulary}
        if not found or not self.categories:
            return []
        weight = sum(found.values())
        # a uniform prior: a unit's categories count alike however many cases each has
        loglik = {}
        for code in self.categories:
            probs, unseen = self._log_prob[code], self._log_unseen[code]
            loglik[code] = sum(count * probs.get(name, unseen)
                               for name, count in found.items()) / weight
        top = max(loglik.values())
        exps = {code: math.exp(SHARPNESS * (value - top)) for code, value in loglik.items()}
        total = sum(exps.values())
        ranked = sorted(exps.items(), key=lambda item: (-item[1], item[0]))
        return [Suggestion(code, round(value / total, 4)) for code, value in ranked[:limit]]


@dataclass(frozen=True)
class Evaluation:
    total: int
    top1: int
    top3: int
    unknown: tuple[str, ...]  # categories in the file that the model does not know

    @property
    def top1_accuracy(self) -> float:
        return self.top1 / self.total if self.total else 0.0

    @property
    def top3_accuracy(self) -> float:
        return self.top3 / self.total if self.total else 0.0


def evaluate(model: CategoryModel, labelled: Iterable[tuple[str, str]]) -> Evaluation:
    """Top-1 and top-3 hits of the model on labelled messages (every row counts)."""
    total = top1 = top3 = 0
    unknown: set[str] = set()
    for text, category in labelled:
        total += 1
        if category not in model.categories:
            unknown.add(category)
        codes = [s.category for s in model.suggest(text, limit=3)]
        top1 += bool(codes) and codes[0] == category
        top3 += category in codes
    return Evaluation(total, top1, top3, tuple(sorted(unknown)))

"""Whether a new report's words say it is the same problem as an open case ("me too").

The features are the category classifier's (`classifier.text_features`: Chinese characters
and character pairs, English words and their character triples), weighted by how rare each is
in the classifier's starter set (a word every message has says nothing), and compared by
cosine. `SAME_PROBLEM_THRESHOLD` was measured on `bench/data/same_problem_pairs.csv` with
`bench/same_problem.py` (figures in bench/README.md). A text that is only "me too" ("我也是",
"同上", "same here") says it is the same problem without naming it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache

from app.services.cases.classifier import (
    STARTER_FILE,
    Features,
    read_labelled_csv,
    text_features,
)

# cosine of the weighted features at or above which two texts are the same problem; chosen
# on the pairs file's tuning half as the most joins with at most 1 in 5 different problems
# joined (a wrong join hides a problem from staff; a missed one costs them a second case)
SAME_PROBLEM_THRESHOLD = 0.36

_ME_TOO = frozenset({
    "我也是", "我也一样", "我也遇到了", "我也发现了", "同上", "同样", "同样的问题", "一样",
    "也是", "还是这样", "还是一样", "又这样了", "+1",
    "me too", "same", "same here", "same problem", "same issue", "ditto", "still",
    "still the same", "agreed", "me too please fix",
})
_NOT_WORDS = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _rarity() -> tuple[dict[str, float], float]:
    """Each feature's inverse document frequency in the starter set, and that of an unseen
    feature (the rarest)."""
    texts = [text for text, _category in read_labelled_csv(STARTER_FILE)]
    documents: Counter[str] = Counter()
    for text in texts:
        documents.update(text_features(text).keys())
    total = len(texts)
    weights = {name: math.log((total + 1) / (count + 1)) + 1
               for name, count in documents.items()}
    return weights, math.log(total + 1) + 1


def weighted_features(text: str) -> Features:
    """The text's classifier features, each weighted by its rarity."""
    weights, unseen = _rarity()
    return {name: count * weights.get(name, unseen)
            for name, count in text_features(text).items()}


def similarity(first: str, second: str) -> float:
    """Cosine (0..1) of two texts' weighted features; 0 when either has no words."""
    a, b = weighted_features(first), weighted_features(second)
    if not a or not b:
        return 0.0
    dot = sum(value * b[name] for name, value in a.items() if name in b)
    norm = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return dot / norm


def only_me_too(text: str) -> bool:
    """The whole text says "me too" and nothing else."""
    normal = unicodedata.normalize("NFKC", text or "").casefold()
    words = _NOT_WORDS.sub(" ", normal).strip()
    return words in _ME_TOO or normal.strip() == "+1"


def has_words(text: str) -> bool:
    """The text has something to compare (a rating alone, or emoji, has not)."""
    return bool(text_features(text))


def same_problem(new: str, reported: str) -> bool:
    """The new report's words say it is the problem already reported."""
    if not has_words(reported):
        return False
    if only_me_too(new):
        return True
    return similarity(new, reported) >= SAME_PROBLEM_THRESHOLD

"""The monthly topic (每月一题): the problems that recur in a month's case texts across parks.

Each case's text is cut into words by jieba; one-character words, numbers and stop words
are dropped, and so are place words (东门) and requests (尽快处理). A negation is kept
with what it negates, as one word: "没有洗手液" (and "洗手液没了", "缺洗手液") is the word
没有洗手液 besides 洗手液, "不臭" is 不臭 and never 臭; a bare 没有 is no word at all, so
"没有洗手液" and "没有纸" share nothing through it.

Cases are grouped apart by their category and by whether they praise or complain (a
case of the praise category, or one whose words praise: 点赞, 干净 not negated, ...), and
the words of a case's own category name are left out (厕所 among the toilet cases). A
word's weight in a case is its TF-IDF over the month's cases, and each case keeps its
PHRASES_PER_CASE heaviest words as its keywords. In each part, topics are then found
greedily: the keyword shared by the most cases (at least `min_cases`) makes a topic of
those cases, with the other keywords that at least half of them share; its cases are set
aside, and the next most shared keyword among the rest makes the next topic. The largest
topics of all parts are shown.
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import Case, Category, Park
from app.services.bureau.rollups import REPORT_TZ

log = logging.getLogger(__name__)

KEYWORDS_PER_CASE = 3
# the grouping by category and praise keeps more of each case's words: with place and
# request words gone, few are left, and a third or fourth one is often the shared one
# (bench/topics.py: recall 0.257 with 3, 0.341 with 5, precision 1.0 with both)
PHRASES_PER_CASE = 5
MIN_CASES = 3
MAX_TOPICS = 10
EXAMPLES = 3
EXAMPLE_LENGTH = 120
# a month of a whole city is ~170,000 cases, and jieba cuts ~3,000 distinct texts a second
# here: beyond this many, every k-th case is read (by id: spread over the month)
MAX_CASES = 5_000
NOT_TEXT = ("spam",)

# words that say nothing about the problem (jieba keeps most particles as one character,
# which are dropped anyway); "没有" (there is no ...) stays: it often is the problem
STOP_WORDS = frozenset("""
我们 你们 他们 她们 它们 自己 大家 这个 那个 这些 那些 这里 那里 这边 那边 这样 那样
一个 一些 一下 一直 一点 有点 有些 什么 怎么 怎么办 为什么 为何 如何 哪里 可以 可能
能不能 能否 是否 希望 建议 请问 谢谢 感谢 麻烦 你好 您好 公园 园区 还是 就是 已经 现在
时候 有人 非常 特别 真的 好久 不能 没人 每天 经常 总是 还有 而且 但是 因为 所以 如果
然后 今天 昨天 早上 晚上 上午 下午 问题 情况 反映 投诉 一下子 不要 不是 没法 能够 需要
很大 太大 很多 太多 很小 太小 好多 许多 比较 有时 有时候 一样 时间 地方
the and for with that this are was were not but you your our there have has from please
""".split())
CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\+?\d[\d\s-]{5,}\d")


@dataclass(frozen=True)
class Example:
    reference: str
    park: Park
    created_at: datetime
    text: str


@dataclass(frozen=True)
class Topic:
    keywords: list[str]
    count: int
    category: str  # the code of its cases' category
    praise: bool  # its cases praise (else they complain)
    parks: list[tuple[Park, int]]  # the parks and their cases, most first
    examples: list[Example]


@dataclass(frozen=True)
class MonthTopics:
    month: date
    cases: int  # the cases read (at most MAX_CASES)
    total: int  # the month's cases
    step: int  # every step-th case was read: a topic's count times step estimates the month's
    topics: list[Topic]


@lru_cache(maxsize=1)
def _jieba() -> object:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


@lru_cache(maxsize=50_000)
def words_of(text: str) -> tuple[str, ...]:
    """The words of a text that may name a problem (the same texts recur: cached)."""
    jieba = _jieba()
    words = []
    for word in jieba.lcut(CONTACT.sub(" ", text)):  # type: ignore[attr-defined]
        word = word.strip().lower()
        if len(word) < 2 or word in STOP_WORDS or not any(ch.isalpha() for ch in word):
            continue
        words.append(word)
    return tuple(words)


# "there is no ..." (kept with the word it negates, and that word kept too: the problem is
# about it), and "not ..." (kept with its word only: 不臭 says the opposite of 臭)
MISSING = frozenset({"没有", "没", "无", "缺", "缺少", "没了", "缺了"})
NOT = frozenset({"不", "不是", "不太", "并不", "别"})
AFTER_NEGATION = frozenset({"了", "啦", "的"})
PRAISE = re.compile(r"点赞|表扬|辛苦了|好评|满意|热情|耐心|热心|周到|给力|真好|很好"
                    r"|(?<![不没])干净")
PRAISE_CATEGORY = "praise"


# where in a park and how to ask: they tell no problem apart from another
NOT_A_PROBLEM = STOP_WORDS | frozenset("""
东门 西门 南门 北门 正门 门口 旁边 边上 附近 里面 外面 对面 湖边 路边 中间 一带
处理 尽快 及时 解决 管理 看看 麻烦 几天 好几天 一下 一直 到处 谢谢 感谢 希望
""".split())


def _content(word: str) -> bool:
    return any(ch.isalpha() for ch in word) and word not in NOT_A_PROBLEM


@lru_cache(maxsize=50_000)
def phrase_words(text: str) -> tuple[str, ...]:
    """The words of a text that may name a problem, negations kept with their word."""
    jieba = _jieba()
    tokens = [token.strip().lower() for token in
              jieba.lcut(CONTACT.sub(" ", text))]  # type: ignore[attr-defined]
    tokens = [token for token in tokens if token]
    words: list[str] = []
    for i, token in enumerate(tokens):
        if token in MISSING or token in NOT:
            after = next((t for t in tokens[i + 1:i + 3] if t not in AFTER_NEGATION), "")
            before = tokens[i - 1] if i else ""
            if after and _content(after) and after not in MISSING | NOT:
                words.append(("没有" if token in MISSING else "不") + after)
            elif token in MISSING and before and _content(before) and len(before) > 1:
                words.append("没有" + before)  # "洗手液没了": the soap is gone
            continue
        if token.startswith("没") and len(token) >= 2 and token not in NOT_A_PROBLEM:
            token = "没有" + token.removeprefix("没有").removeprefix("没")  # 没纸 -> 没有纸
        previous = tokens[i - 1] if i else ""
        if previous in NOT:
            continue  # kept as 不 + word above
        if len(token) < 2 or not _content(token):
            continue
        words.append(token)
    return tuple(words)


def praises(text: str, category: str) -> bool:
    """Whether a case praises (its category, or words of praise not negated)."""
    return category == PRAISE_CATEGORY or PRAISE.search(text) is not None


def case_keywords(texts: Sequence[str], per_case: int = KEYWORDS_PER_CASE) -> list[list[str]]:
    """Each text's heaviest words by TF-IDF over all the texts."""
    return document_keywords([words_of(text) for text in texts], per_case)


def document_keywords(documents: Sequence[Sequence[str]],
                      per_case: int = KEYWORDS_PER_CASE) -> list[list[str]]:
    """Each document's heaviest words by TF-IDF over all the documents."""
    frequency: Counter[str] = Counter()
    for words in documents:
        frequency.update(set(words))
    count = len(documents)
    idf = {word: math.log((1 + count) / (1 + df)) + 1 for word, df in frequency.items()}
    keywords: list[list[str]] = []
    for words in documents:
        if not words:
            keywords.append([])
            continue
        tf = Counter(words)
        ranked = sorted(tf, key=lambda w: (-tf[w] / len(words) * idf[w], w))
        keywords.append(ranked[:per_case])
    return keywords


def group_cases(keywords: Sequence[Sequence[str]], min_cases: int = MIN_CASES,
                max_topics: int = MAX_TOPICS) -> list[tuple[list[str], list[int]]]:
    """Topics as (keywords, indexes of their cases), largest first."""
    remaining = {i for i, words in enumerate(keywords) if words}
    groups: list[tuple[list[str], list[int]]] = []
    while remaining and len(groups) < max_topics:
        support = Counter(word for i in remaining for word in keywords[i])
        seed, seen = min(support.items(), key=lambda item: (-item[1], item[0]))
        if seen < min_cases:
            break
        members = sorted(i for i in remaining if seed in keywords[i])
        shared = Counter(word for i in members for word in keywords[i] if word != seed)
        others = [word for word, n in sorted(shared.items(), key=lambda item: (-item[1], item[0]))
                  if 2 * n >= len(members)]
        groups.append(([seed, *others], members))
        remaining.difference_update(members)
    return groups


@dataclass(frozen=True)
class Group:
    keywords: list[str]
    members: list[int]  # indexes of its cases
    category: str
    praise: bool


def suggest_groups(texts: Sequence[str], categories: Sequence[str],
                   category_names: Mapping[str, str] | None = None,
                   min_cases: int = MIN_CASES, max_topics: int = MAX_TOPICS) -> list[Group]:
    """Topics of these cases, by category and praise apart, largest first.

    `category_names`: each category's (Chinese) name, whose words tell nothing among the
    cases of that category (厕所 among the toilet cases).
    """
    named = {code: set(words_of(name)) for code, name in (category_names or {}).items()}
    parts: dict[tuple[str, bool], list[int]] = {}
    for index, (text, category) in enumerate(zip(texts, categories, strict=True)):
        parts.setdefault((category, praises(text, category)), []).append(index)
    # weights over the whole month: a word common to one category still tells its problem
    every = document_keywords(per_case=PHRASES_PER_CASE, documents=[
        tuple(word for word in phrase_words(text) if word not in named.get(category, ()))
        for text, category in zip(texts, categories, strict=True)])
    groups: list[Group] = []
    for (category, praise), indexes in sorted(parts.items()):
        keywords = [every[i] for i in indexes]
        for words, members in group_cases(keywords, min_cases, max_topics):
            groups.append(Group(words, [indexes[i] for i in members], category, praise))
    groups.sort(key=lambda group: (-len(group.members), group.members[0]))
    return groups[:max_topics]


def _example_text(text: str) -> str:
    """The text without anything that looks like a phone number or e-mail address."""
    text = CONTACT.sub("…", " ".join(text.split()))
    return text if len(text) <= EXAMPLE_LENGTH else text[:EXAMPLE_LENGTH - 1] + "…"


def _examples(rows: Sequence[Any], parks: dict[int, Park]) -> list[Example]:
    """The newest cases of a topic, one for each different text."""
    examples: dict[str, Example] = {}
    for row in rows:
        text = _example_text(row.body)
        if text not in examples:
            examples[text] = Example(row.reference, parks[row.park_id], row.created_at, text)
        if len(examples) == EXAMPLES:
            break
    return list(examples.values())


def month_topics(parks: Sequence[Park], month: date, min_cases: int = MIN_CASES,
                 max_topics: int = MAX_TOPICS) -> MonthTopics:
    """The recurring problems of a calendar month (local time) in these parks."""
    start = datetime(month.year, month.month, 1, tzinfo=REPORT_TZ)
    end = datetime(month.year + month.month // 12, month.month % 12 + 1, 1, tzinfo=REPORT_TZ)
    by_id = {park.id: park for park in parks}
    where = [Case.park_id.in_(list(by_id)), Case.created_at >= start,
             Case.created_at < end, Case.status.not_in(NOT_TEXT)]
    total = db.session.scalar(select(func.count()).select_from(Case).where(*where)) or 0
    step = max(1, math.ceil(total / MAX_CASES))
    if step > 1:
        where.append(Case.id % step == 0)
    rows = db.session.execute(
        select(Case.reference, Case.park_id, Case.created_at, Case.body,
               Category.code.label("category"), Category.name_zh.label("category_name"))
        .join(Category, Category.id == Case.category_id)
        .where(*where).order_by(Case.created_at.desc(), Case.id.desc())
        .limit(MAX_CASES)).all()
    names = {row.category: row.category_name for row in rows}
    topics = []
    for group in suggest_groups([row.body for row in rows], [row.category for row in rows],
                                names, min_cases, max_topics):
        members = group.members
        parks_count = Counter(rows[i].park_id for i in members)
        topics.append(Topic(
            keywords=group.keywords, count=len(members), category=group.category,
            praise=group.praise,
            parks=[(by_id[park_id], n) for park_id, n in
                   sorted(parks_count.items(), key=lambda item: (-item[1], item[0]))],
            examples=_examples([rows[i] for i in members], by_id)))
    log.info("monthly topics %s: %d topics from %d of %d cases", month, len(topics),
             len(rows), total)
    return MonthTopics(month=month, cases=len(rows), total=total, step=step, topics=topics)

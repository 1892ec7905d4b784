"""Whether a report's words say it is the problem an open case reports (issue 23, point 5)."""

from __future__ import annotations

import pytest

from app.services.cases.sameness import (
    SAME_PROBLEM_THRESHOLD,
    has_words,
    only_me_too,
    same_problem,
    similarity,
)


def test_a_text_is_the_same_as_itself_and_nothing_is_the_same_as_no_words():
    assert similarity("厕所没纸了", "厕所没纸了") == pytest.approx(1.0)
    assert similarity("", "厕所没纸了") == 0.0
    assert similarity("👍", "👍") == 0.0


@pytest.mark.parametrize(("reported", "new"), [
    ("厕所没纸了", "又没纸了，快来补"),
    ("广场舞音响太吵", "广场舞的音响声音太大了"),
    ("The bench is broken", "Broken bench slats"),
    ("路灯不亮", "同上"),
    ("The bin is overflowing", "Me too!"),
])
def test_the_same_problem_in_other_words(reported, new):
    assert same_problem(new, reported)


@pytest.mark.parametrize(("reported", "new"), [
    ("垃圾桶满了", "有人落水了"),
    ("厕所没纸了", "洗手池漏水了"),
    ("Dogs off leash", "People fishing in the lake"),
    ("厕所没纸了", "我也是来反映的，洗手池漏水了"),  # "me too" and another problem
])
def test_another_problem(reported, new):
    assert similarity(new, reported) < SAME_PROBLEM_THRESHOLD
    assert not same_problem(new, reported)


def test_nothing_joins_a_report_without_words():
    assert not has_words("👍 !!")
    assert not same_problem("我也是", "👍")


@pytest.mark.parametrize(("text", "plain"), [
    ("我也是！", True), ("同上", True), ("Same here.", True), ("+1", True),
    ("我也是来反映的，洗手池漏水了", False), ("same bin, now it smells", False),
])
def test_a_plain_me_too_says_nothing_else(text, plain):
    assert only_me_too(text) is plain

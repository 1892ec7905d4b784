"""The monthly topic: a planted problem is found with its count and parks; noise is not."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.extensions import db
from app.models import Case
from app.services.bureau.rollups import REPORT_TZ
from app.services.bureau.topics import (
    case_keywords,
    group_cases,
    month_topics,
    phrase_words,
    praises,
    suggest_groups,
    words_of,
)
from tests.conftest import make_case, make_unit

PAPER = ["厕所没有纸了", "北门厕所里没有纸", "厕所又没有纸了，请补充", "女厕所没有纸",
         "厕所没有纸，很不方便", "今天厕所还是没有纸"]
NOISE = ["长椅坏了", "湖边有死鱼", "保安态度不好", "路灯不亮", "停车位太少了",
         "售票处排队太久", "树枝快要断了", "有人遛狗不牵绳"]


def this_month() -> date:
    return datetime.now(REPORT_TZ).date().replace(day=1)


def at(case_id: int, when: datetime) -> None:
    db.session.get(Case, case_id).created_at = when
    db.session.commit()


def plant(app):
    # each planted text is a case of its own (the topic counts cases): "me too" off, or the
    # texts at one spot would join one case
    units = [make_unit(code, me_too_window_hours=0) for code in ("AA", "BB", "CC")]
    spots = [unit.parks[0].spots[0] for unit in units]
    for i, text in enumerate(PAPER):
        make_case(spots[i % 3], body=text, contact="13912345678")
    for i, text in enumerate(NOISE):
        make_case(spots[i % 3], category_code="noise", body=text)
    return units


def test_the_planted_problem_is_the_one_topic(app):
    units = plant(app)
    result = month_topics([u.parks[0] for u in units], this_month())
    assert result.cases == result.total == len(PAPER) + len(NOISE)
    (topic,) = result.topics
    assert topic.keywords[0] == "没有纸"  # the negation with its word; 厕所 is the category's
    assert (topic.category, topic.praise) == ("toilets", False)
    assert topic.count == 6
    assert sorted(park.name_zh for park, _n in topic.parks) == ["AA公园", "BB公园", "CC公园"]
    assert [n for _park, n in topic.parks] == [2, 2, 2]
    assert 1 <= len(topic.examples) <= 3
    assert all("纸" in example.text for example in topic.examples)


def test_other_months_and_other_parks_are_left_out(app):
    units = plant(app)
    # only the parks asked for
    result = month_topics([units[0].parks[0]], this_month())
    assert result.topics == []  # two paper cases are fewer than three
    result = month_topics([u.parks[0] for u in units], date(2020, 1, 1))
    assert (result.total, result.topics) == (0, [])


def test_a_case_of_the_month_in_china_counts_in_that_month(app):
    unit = make_unit("AA")
    spot = unit.parks[0].spots[0]
    for _n in range(3):
        receipt = make_case(spot, body="厕所没有纸")
        # 1 April 00:30 in Beijing is still 31 March in UTC
        at(receipt.case.id, datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    assert month_topics(unit.parks, date(2026, 4, 1)).topics[0].count == 3
    assert month_topics(unit.parks, date(2026, 3, 1)).topics == []


def test_examples_show_no_contacts(app):
    unit = make_unit("AA", me_too_window_hours=0)  # three cases at one spot, not one
    spot = unit.parks[0].spots[0]
    for text in ["厕所没有纸 电话13912345678", "厕所没有纸 mail me@example.org", "厕所没有纸"]:
        make_case(spot, body=text)
    (topic,) = month_topics(unit.parks, this_month()).topics
    texts = " ".join(example.text for example in topic.examples)
    assert "13912345678" not in texts
    assert "me@example.org" not in texts


def test_stop_words_numbers_and_single_characters_are_not_keywords():
    assert words_of("我们公园的厕所123没有纸了！") == ("厕所", "没有")


def test_tf_idf_prefers_the_words_that_set_a_case_apart():
    texts = ["厕所没有纸", "厕所没有水", "厕所很脏", "厕所门锁坏了"]
    assert case_keywords(texts, per_case=1) == [["没有"], ["没有"], ["很脏"], ["门锁"]]


def test_cases_are_grouped_by_a_shared_keyword():
    keywords = case_keywords(["音响太吵了", "音响声音很大", "音响太响", "长椅坏了", "路灯坏了"])
    assert group_cases(keywords, min_cases=3) == [(["音响"], [0, 1, 2])]
    assert group_cases(keywords, min_cases=4) == []


# --- issue 17, point 4: the category, praise apart, negations kept with their word -------

def test_a_negation_stays_with_the_word_it_negates():
    assert {"没有洗手液", "洗手液"} <= set(phrase_words("厕所没有洗手液"))
    assert "没有" not in phrase_words("厕所没有洗手液")
    assert "没有洗手液" in phrase_words("洗手液没了")  # the soap is gone
    assert "没有洗手液" in phrase_words("缺洗手液")
    assert "没有纸" in phrase_words("北门厕所没纸了")
    assert "洗手池" in phrase_words("洗手池堵了")
    assert "没有洗手液" not in phrase_words("洗手池堵了")
    words = phrase_words("厕所一点也不干净")
    assert "不干净" in words
    assert "干净" not in words  # "not clean" is no word of "clean"


def test_praise_is_told_from_complaints():
    assert praises("厕所很干净，点赞", "toilets")
    assert praises("谢谢", "praise")  # the praise category
    assert not praises("厕所不干净", "toilets")
    assert not praises("厕所很臭，请尽快处理，谢谢", "toilets")  # a polite complaint


def test_no_soap_and_no_paper_are_two_topics_not_one_through_没有(app):
    unit = make_unit("AA", me_too_window_hours=0)
    spot = unit.parks[0].spots[0]
    for text in ["厕所没有洗手液", "北门厕所没有洗手液了", "女厕所没有洗手液",
                 "厕所没有纸", "北门厕所没有纸了", "女厕所没有纸"]:
        make_case(spot, body=text)
    topics = month_topics(unit.parks, this_month()).topics
    assert sorted(topic.keywords[0] for topic in topics) == ["没有洗手液", "没有纸"]
    assert [topic.count for topic in topics] == [3, 3]


def test_praise_and_complaints_with_the_same_words_are_apart(app):
    unit = make_unit("AA", me_too_window_hours=0)
    spot = unit.parks[0].spots[0]
    for text in ["北门厕所很干净，点赞", "厕所打扫得很干净，点赞", "厕所很干净，保洁辛苦了",
                 "北门厕所不干净", "厕所地上不干净", "厕所还是不干净"]:
        make_case(spot, body=text)
    topics = month_topics(unit.parks, this_month()).topics
    assert sorted((topic.praise, topic.count) for topic in topics) == [(False, 3), (True, 3)]
    for topic in topics:
        examples = " ".join(example.text for example in topic.examples)
        assert ("点赞" in examples or "辛苦" in examples) == topic.praise


def test_the_same_words_in_two_categories_are_two_topics():
    texts = ["水管漏水了"] * 3 + ["水管漏水了"] * 3
    groups = suggest_groups(texts, ["toilets"] * 3 + ["facilities"] * 3)
    assert sorted((group.category, len(group.members)) for group in groups) == [
        ("facilities", 3), ("toilets", 3)]

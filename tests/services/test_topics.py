"""The monthly topic: a planted problem is found with its count and parks; noise is not."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.extensions import db
from app.models import Case
from app.services.bureau.rollups import REPORT_TZ
from app.services.bureau.topics import case_keywords, group_cases, month_topics, words_of
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
    assert {"厕所", "没有"} <= set(topic.keywords)
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

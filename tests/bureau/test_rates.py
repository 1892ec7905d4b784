"""The three rates (响应率, 解决率, 满意率) and the score, on hand-built cases: each definition,
then the same figures and ranking from the page, the PDF, the exports and the API."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import Park
from app.services.bureau.analytics import compare_parks, last_complete_month, next_month
from app.services.bureau.rollups import REPORT_TZ
from tests.bureau.test_exports import pdf_text
from tests.conftest import log_in, make_staff
from tests.support.cases import add_case

# 响应率: on time 1, 5, 7, 8 of 1, 2, 3, 5, 7, 8 (4 not due yet, 6 spam) = 4/6
# 解决率: resolved 1, 2, 5 of all but 6 (spam) and 7 (duplicate) = 3/6
# 满意率: rated 4-5: 1, 5, 8 of rated 1, 2, 5, 8 = 3/4
# score (weights 40:30:30): 40 * 4/6 + 30 * 3/6 + 30 * 3/4 = 64.1666...
RESPONSE, RESOLUTION, SATISFACTION = 4 / 6, 3 / 6, 3 / 4
SCORE = 40 * RESPONSE + 30 * RESOLUTION + 30 * SATISFACTION
CASES, REPORTS = 8, 8 + 2 + 1  # the cases, two "me too" on case 1, one "not fixed" on 2


def month_start() -> datetime:
    """10:00 on the first day of the last complete month, in Beijing."""
    first = last_complete_month(datetime.now(REPORT_TZ).date())
    return datetime(first.year, first.month, first.day, 10, tzinfo=REPORT_TZ)


@pytest.fixture
def rated_cases(unit, other_unit):
    """Eight cases of park RT in the last complete month (see the sums above), two of XY."""
    spot, category = unit.parks[0].spots[0], unit.categories[0]
    t0 = month_start()
    now = datetime.now(REPORT_TZ)
    passed, ahead = t0 + timedelta(hours=1), now + timedelta(hours=3)

    def at(minutes: int) -> datetime:
        return t0 + timedelta(minutes=minutes)

    cases = [
        # 1 answered on time, resolved, rated 5, two "me too"
        {"first_response_at": at(30), "reply_due_at": passed, "status": "resolved",
         "resolved_at": at(120), "satisfaction": 5, "me_too_count": 2},
        # 2 answered late, resolved and confirmed (closed), rated 2, reopened once before
        {"first_response_at": at(90), "reply_due_at": passed, "status": "closed",
         "resolved_at": at(180), "closed_at": at(240), "satisfaction": 2, "reopen_count": 1},
        # 3 not answered, deadline passed: late
        {"reply_due_at": passed},
        # 4 not answered, deadline ahead: does not count for 响应率
        {"reply_due_at": ahead},
        # 5 answered before a deadline still ahead, auto-closed after resolving, rated 4
        {"first_response_at": at(10), "reply_due_at": ahead, "status": "closed",
         "resolved_at": at(600), "closed_at": at(600 + 7 * 1440), "satisfaction": 4},
        # 6 spam past its deadline: needs no reply, is no case for 解决率
        {"reply_due_at": passed, "status": "spam"},
        # 7 a duplicate answered on time: counts for 响应率, not for 解决率
        {"first_response_at": at(20), "reply_due_at": passed, "status": "duplicate"},
        # 8 answered on time, still in progress, rated 5
        {"first_response_at": at(40), "reply_due_at": passed, "status": "in_progress",
         "satisfaction": 5},
    ]
    for number, fields in enumerate(cases, start=1):
        add_case(spot, category, t0, reference=f"RT-RATE-{number}", **fields)
    for number in range(2):
        add_case(other_unit.parks[0].spots[0], other_unit.categories[0], t0,
                 reference=f"XY-RATE-{number}", status="resolved", resolved_at=at(60),
                 first_response_at=at(5), reply_due_at=passed, satisfaction=5)
    db.session.commit()
    return unit.parks[0]


def parks() -> list[Park]:
    return list(db.session.scalars(db.select(Park).order_by(Park.id)))


def figures_of(park: Park, **options):
    start = month_start().date()
    comparison = compare_parks(parks(), start, next_month(start), min_cases=5, **options)
    return next(row for row in comparison.rows if row.park.id == park.id)


def test_response_rate_counts_answered_cases_and_passed_deadlines(rated_cases):
    figures = figures_of(rated_cases).figures
    assert figures.response_counted == 6
    assert figures.response_rate == pytest.approx(RESPONSE)


def test_a_deadline_that_passes_brings_the_case_in_as_late(rated_cases):
    # read a day later: case 4 (unanswered) is late; case 5 was answered before it
    tomorrow = datetime.now(REPORT_TZ) + timedelta(days=1)
    figures = figures_of(rated_cases, now=tomorrow).figures
    assert figures.response_counted == 7
    assert figures.response_rate == pytest.approx(4 / 7)


def test_resolution_rate_leaves_out_spam_and_duplicates(rated_cases):
    figures = figures_of(rated_cases).figures
    assert figures.resolution_counted == 6
    assert figures.resolution_rate == pytest.approx(RESOLUTION)


def test_satisfaction_rate_is_among_the_rated_only(rated_cases):
    figures = figures_of(rated_cases).figures
    assert figures.rated == 4
    assert figures.satisfaction_rate == pytest.approx(SATISFACTION)
    assert figures.satisfaction == pytest.approx((5 + 2 + 4 + 5) / 4)  # the mean, kept


def test_reports_add_me_too_and_not_fixed_to_the_cases(rated_cases):
    figures = figures_of(rated_cases).figures
    assert (figures.cases, figures.reports) == (CASES, REPORTS)


def test_score_weighs_the_rates_by_the_setting(rated_cases):
    assert figures_of(rated_cases).score == pytest.approx(SCORE)
    only_response = {"response": 1.0, "resolution": 0.0, "satisfaction": 0.0}
    assert figures_of(rated_cases, weights=only_response).score == pytest.approx(
        100 * RESPONSE)


def test_a_rate_with_nothing_to_count_is_none_and_leaves_its_weight(app, unit):
    spot, category = unit.parks[0].spots[0], unit.categories[0]
    add_case(spot, category, month_start(), status="resolved", resolved_at=month_start())
    figures = figures_of(unit.parks[0]).figures
    assert figures.response_rate is None  # no deadline
    assert figures.satisfaction_rate is None  # not rated
    assert figures.resolution_rate == 1.0
    assert figures.score({"response": 40, "resolution": 30, "satisfaction": 30}) == 100.0


def test_the_setting_is_read_from_the_environment(monkeypatch):
    from app.config import score_weights

    assert score_weights("response=2, satisfaction=1") == {
        "response": 2.0, "resolution": 0.0, "satisfaction": 1.0}
    for wrong in ("speed=1", "response=-1", "response=0", "response"):
        with pytest.raises(ValueError, match="BUREAU_SCORE_WEIGHTS"):
            score_weights(wrong)


# --- the same figures everywhere --------------------------------------------------------

EXPECTED = ["1", "RT公园", f"{SCORE:.1f}", "67%", "50%", "75%", str(CASES), str(REPORTS)]


@pytest.mark.config(BUREAU_MIN_CASES=5)
def test_the_api_gives_the_rates_for_the_last_complete_month(bureau_client, rated_cases):
    document = bureau_client.get("/api/v1/bureau/comparison").get_json()
    assert document["month"] == month_start().strftime("%Y-%m")
    assert document["partial"] is False
    assert document["min_cases"] == 5  # BUREAU_MIN_CASES
    assert document["weights"] == {"response": 40.0, "resolution": 30.0, "satisfaction": 30.0}
    rt, xy = document["parks"]
    assert rt["park_id"] == rated_cases.id
    assert (rt["cases"], rt["reports"], rt["response_counted"], rt["rank"]) == (
        CASES, REPORTS, 6, 1)
    assert rt["response_rate"] == pytest.approx(RESPONSE)
    assert rt["resolution_rate"] == pytest.approx(RESOLUTION)
    assert rt["satisfaction_rate"] == pytest.approx(SATISFACTION)
    assert rt["score"] == pytest.approx(SCORE)
    # the keys from before are still there, with the same numbers
    assert (rt["park"]["id"], rt["within_limit_counted"]) == (rated_cases.id, 6)
    assert rt["within_limit_share"] == rt["response_rate"]
    assert (xy["cases"], xy["rank"], xy["score"]) == (2, None, 100.0)  # under the minimum


@pytest.mark.config(BUREAU_MIN_CASES=5)
def test_the_page_shows_the_same_figures_and_rank(bureau_client, rated_cases):
    page = bureau_client.get("/bureau/").get_data(as_text=True)
    row = page.split(f'data-park-id="{rated_cases.id}"')[1].split("</tr>")[0]
    cells = [re.sub(r"<[^>]+>", "", cell).strip()
             for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    assert cells[:8] == EXPECTED
    other = page.split('data-park-id="', 2)[2].split("</tr>")[0]
    assert "不排名" in other
    for name in ("响应率", "解决率", "满意率", "综合得分"):
        assert name in page
    assert "游客评为 4 分或 5 分" in page  # the definition of 满意率
    assert "40 : 30 : 30" in page  # the weights


@pytest.mark.config(BUREAU_MIN_CASES=5)
def test_the_pdf_shows_the_same_figures_and_rank(bureau_client, rated_cases, tmp_path):
    response = bureau_client.get("/bureau/report.pdf")  # the last complete month
    text = pdf_text(response.get_data(), tmp_path)
    assert month_start().strftime("%Y-%m") in text
    line = next(line for line in text.splitlines() if "RT公园" in line and "%" in line)
    assert line.split()[:8] == EXPECTED
    xy = next(line for line in text.splitlines() if "XY公园" in line and "%" in line)
    assert xy.split()[0] == "–"  # not ranked
    assert "游客评为 4 分或 5 分" in text  # the definition of 满意率
    assert "BUREAU_SCORE_WEIGHTS" in text


@pytest.mark.config(BUREAU_MIN_CASES=5)
def test_the_xlsx_summary_and_the_parks_csv_show_the_same_figures(bureau_client, rated_cases):
    workbook = load_workbook(io.BytesIO(bureau_client.get("/bureau/export.xlsx").get_data()))
    summary = list(workbook["汇总"].iter_rows(values_only=True))
    assert summary[0][:6] == ("名次", "公园", "综合得分", "响应率", "解决率", "满意率")
    rank, name, score, response, resolution, satisfaction, cases, reports = summary[1][:8]
    assert (rank, name, cases, reports) == (1, "RT公园", CASES, REPORTS)
    assert score == pytest.approx(SCORE, abs=0.05)
    assert (response, resolution, satisfaction) == pytest.approx(
        (RESPONSE, RESOLUTION, SATISFACTION))
    assert workbook["汇总"]["D2"].number_format == "0.0%"
    assert summary[2][:2] == (None, "XY公园")  # not ranked: an empty cell

    text = bureau_client.get("/bureau/parks.csv").get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:2] == ["1", "RT公园"]
    assert [float(value) for value in rows[1][3:6]] == pytest.approx(
        [RESPONSE, RESOLUTION, SATISFACTION])
    assert rows[2][:2] == ["", "XY公园"]


def test_the_cases_csv_gives_each_cases_part_in_each_rate(bureau_client, rated_cases):
    text = bureau_client.get("/bureau/export.csv").get_data().decode("utf-8-sig")
    header, *rows = list(csv.reader(io.StringIO(text)))
    mine = [row for row in rows if row[0].startswith("RT-RATE-")]
    assert len(mine) == CASES

    def rate(title: str) -> float:
        parts = [row[header.index(title)] for row in mine]
        counted = [part for part in parts if part]
        return counted.count("是") / len(counted)

    assert rate("按时答复（响应率）") == pytest.approx(RESPONSE)
    assert rate("已办结（解决率）") == pytest.approx(RESOLUTION)
    assert rate("满意（满意率）") == pytest.approx(SATISFACTION)


# --- the API: who may ask, and what a wrong month gets ------------------------------------

def test_a_director_gets_their_own_parks_only(app, unit, rated_cases):
    make_staff(unit, "director@rt.test")
    client = app.test_client()
    log_in(client, "director@rt.test")
    document = client.get("/api/v1/bureau/comparison").get_json()
    assert [park["park_id"] for park in document["parks"]] == [rated_cases.id]


def test_staff_who_are_not_directors_are_refused(app, unit):
    make_staff(unit, "guard@rt.test", roles=("security",))
    client = app.test_client()
    log_in(client, "guard@rt.test")
    assert client.get("/api/v1/bureau/comparison").status_code == 403


def test_anonymous_callers_are_refused(client, unit):
    assert client.get("/api/v1/bureau/comparison").status_code == 401


@pytest.mark.parametrize("month", ["2026-13", "2026-1x", "26-03", "", "2026-03-01", "1999-12"])
def test_a_month_that_does_not_parse_is_a_400_with_a_message(bureau_client, month):
    response = bureau_client.get(f"/api/v1/bureau/comparison?month={month}")
    assert response.status_code == 400
    assert "month must be" in response.get_json()["message"]


def test_this_month_is_one_parameter_away_and_marked_partial(bureau_client, rated_cases):
    this_month = datetime.now(REPORT_TZ).strftime("%Y-%m")
    document = bureau_client.get(f"/api/v1/bureau/comparison?month={this_month}").get_json()
    assert (document["month"], document["partial"]) == (this_month, True)
    assert all(park["cases"] == 0 for park in document["parks"])
    page = bureau_client.get("/bureau/").get_data(as_text=True)
    assert f"?month={this_month}" in page  # the link to the current month
    assert 'class="partial"' not in page
    partial = bureau_client.get(f"/bureau/?month={this_month}").get_data(as_text=True)
    assert '<strong class="partial">不完整：本期尚未结束' in partial

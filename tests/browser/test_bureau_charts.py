"""The bureau's charts keep their title and axis names once ECharts has drawn them."""

from __future__ import annotations

import json

from playwright.sync_api import expect

from tests.browser.conftest import log_in_staff, shot


def test_echarts_draws_each_chart_with_its_title_and_axis_names(site, new_context):
    page = new_context(viewport={"width": 1280, "height": 900}).new_page()
    log_in_staff(page, site, "bureau@parks.demo", "/bureau/trends")
    figures = page.locator("figure[data-chart]")
    expect(figures).to_have_count(3)
    for index in range(3):
        figure = figures.nth(index)
        spec = json.loads(figure.get_attribute("data-chart") or "{}")
        drawn = figure.locator("div.chart svg")
        expect(drawn).to_have_count(1)  # ECharts took over
        expect(figure.locator(".chart-fallback")).to_be_hidden()
        text = drawn.text_content() or ""
        for name in (spec["title"], spec["x_label"], spec["y_label"]):
            assert name
            assert name in text
        assert figure.locator("div.chart").get_attribute("aria-label") == spec["title"]
    shot(page, "bureau-trends-charts")

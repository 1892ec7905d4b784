"""Server-drawn charts name their axes, and the ECharts data carries the same names."""

from __future__ import annotations

from xml.etree import ElementTree

from app.services.bureau.charts import Series, bars, heat

SVG = "{http://www.w3.org/2000/svg}"


def texts(svg: str) -> list[str]:
    # our own markup, drawn a line above: not untrusted input
    root = ElementTree.fromstring(svg)  # noqa: S314
    return [node.text or "" for node in root.iter(f"{SVG}text")]


def test_a_bar_chart_has_its_title_and_axis_names_in_the_svg_and_the_data():
    chart = bars(["2026-10", "2026-11"], [Series("件数", [3, 5])], title="每月件数",
                 x_label="月份", y_label="件数 <个>")
    drawn = texts(str(chart["svg"]))
    for name in ("每月件数", "月份", "件数 <个>"):
        assert name in drawn  # the markup escaped, the text intact
    data = chart["data"]
    assert (data["title"], data["x_label"], data["y_label"]) == ("每月件数", "月份", "件数 <个>")
    assert data["series"] == [{"name": "件数", "values": [3, 5]}]


def test_the_heat_map_names_its_hours():
    chart = heat([[0] * 24 for _ in range(7)], list("一二三四五六日"), title="按星期和时段",
                 x_label="时段（点）", y_label="星期")
    drawn = texts(str(chart["svg"]))
    assert "按星期和时段" in drawn
    assert "时段（点）" in drawn
    assert chart["data"]["y_label"] == "星期"

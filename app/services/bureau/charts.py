"""Charts drawn on the server as SVG: for the PDF report (WeasyPrint runs no JavaScript)
and as the pages' picture before (or without) ECharts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from markupsafe import Markup

PALETTE = ("#1d6b3a", "#c0781a", "#2f6fb0", "#a3211b", "#6b4fa0", "#4a8f8c", "#8a6d3b",
           "#5a5a5a", "#b0487a")
FONT = "Noto Sans CJK SC, WenQuanYi Micro Hei, sans-serif"


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = float(10 ** (len(str(int(value))) - 1))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return 10.0 * magnitude


def _axis_name(x: float, y: float, text: str, anchor: str) -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="#4a524e">'
            f'{escape(text)}</text>')


def bar_chart(labels: Sequence[str], series: Sequence[Series], *, title: str = "",
              marker: int | None = None, marker_label: str = "", width: int = 640,
              height: int = 260, x_label: str = "", y_label: str = "") -> Markup:
    """Grouped bars, one group per label; `marker` draws a dashed line before that group.
    The axes are named by `x_label` (under its end) and `y_label` (above it)."""
    left, right, bottom = 44, 12, 46
    top = (30 if title else 12) + (14 if y_label else 0)
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_max(max((v for s in series for v in s.values), default=0))
    group = plot_w / max(len(labels), 1)
    bar = group * 0.8 / max(len(series), 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}" '
             f'font-family="{FONT}" font-size="11">']
    if title:
        parts.append(f'<text x="{left}" y="18" font-size="13" font-weight="bold">'
                     f'{escape(title)}</text>')
    for tick in range(5):
        value = peak * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" '
                     f'text-anchor="end">{value:g}</text>')
    every = max(1, len(labels) // 12)
    for index, label in enumerate(labels):
        x0 = left + group * index + group * 0.1
        for number, one in enumerate(series):
            value = one.values[index]
            h = plot_h * value / peak
            parts.append(f'<rect x="{x0 + bar * number:.1f}" y="{top + plot_h - h:.1f}" '
                         f'width="{max(bar - 1, 1):.1f}" height="{h:.1f}" '
                         f'fill="{PALETTE[number % len(PALETTE)]}"><title>'
                         f'{escape(label)} {escape(one.name)}: {value:g}</title></rect>')
        if index % every == 0:
            parts.append(f'<text x="{left + group * (index + 0.5):.1f}" '
                         f'y="{top + plot_h + 14}" text-anchor="middle">{escape(label)}</text>')
    if y_label:
        parts.append(_axis_name(4, top - 8, y_label, "start"))
    if x_label:
        parts.append(_axis_name(width - right, top + plot_h + 28, x_label, "end"))
    if marker is not None:
        x = left + group * marker
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + plot_h}" '
                     f'stroke="#a3211b" stroke-dasharray="4 3" stroke-width="1.5"/>'
                     f'<text x="{x + 3:.1f}" y="{top + 10}" fill="#a3211b">'
                     f'{escape(marker_label)}</text>')
    legend_x = left
    for number, one in enumerate(series):
        parts.append(f'<rect x="{legend_x}" y="{height - 16}" width="10" height="10" '
                     f'fill="{PALETTE[number % len(PALETTE)]}"/><text x="{legend_x + 14}" '
                     f'y="{height - 7}">{escape(one.name)}</text>')
        legend_x += 20 + 12 * len(one.name) + 8
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def heat_map(grid: Sequence[Sequence[int]], row_labels: Sequence[str], *, title: str = "",
             width: int = 640, x_label: str = "") -> Markup:
    """Rows (weekdays) x 24 hours, darker for more cases; `x_label` names the hours."""
    left, top, cell_h = 40, 30 if title else 8, 18
    cell_w = (width - left - 8) / 24
    height = top + cell_h * len(grid) + (36 if x_label else 20)
    peak = max((v for row in grid for v in row), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
             f'width="100%" role="img" aria-label="{escape(title)}" '
             f'font-family="{FONT}" font-size="11">']
    if title:
        parts.append(f'<text x="{left}" y="18" font-size="13" font-weight="bold">'
                     f'{escape(title)}</text>')
    for r, row in enumerate(grid):
        y = top + r * cell_h
        parts.append(f'<text x="{left - 4}" y="{y + 13}" text-anchor="end">'
                     f'{escape(row_labels[r])}</text>')
        for hour, value in enumerate(row):
            shade = value / peak
            parts.append(f'<rect x="{left + hour * cell_w:.1f}" y="{y}" '
                         f'width="{cell_w - 1:.1f}" height="{cell_h - 1}" '
                         f'fill="rgb({int(240 - 211 * shade)},{int(245 - 138 * shade)},'
                         f'{int(240 - 182 * shade)})"><title>{escape(row_labels[r])} '
                         f'{hour}:00 {value}</title></rect>')
    hours_y = top + cell_h * len(grid) + 14
    for hour in range(0, 24, 3):
        parts.append(f'<text x="{left + (hour + 0.5) * cell_w:.1f}" '
                     f'y="{hours_y}" text-anchor="middle">{hour}</text>')
    if x_label:
        parts.append(_axis_name(width - 8, height - 4, x_label, "end"))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def bars(labels: Sequence[str], series: Sequence[Series], *, title: str, x_label: str,
         y_label: str, stacked: bool = False, marker: int | None = None,
         marker_label: str = "") -> dict[str, Any]:
    """A bar chart for a page: the SVG drawn here, and the same chart (its title and axis
    names too) as the data ECharts draws it from (static/js/bureau-charts.js)."""
    return {
        "svg": bar_chart(labels, series, title=title, marker=marker, marker_label=marker_label,
                         x_label=x_label, y_label=y_label),
        "data": {"type": "bars", "stacked": stacked, "labels": list(labels), "title": title,
                 "x_label": x_label, "y_label": y_label, "marker": marker,
                 "marker_label": marker_label,
                 "series": [{"name": one.name, "values": list(one.values)} for one in series]},
    }


def heat(grid: Sequence[Sequence[int]], row_labels: Sequence[str], *, title: str,
         x_label: str, y_label: str) -> dict[str, Any]:
    """The hour-of-week heat map for a page, as SVG and as ECharts data (as `bars`)."""
    return {
        "svg": heat_map(grid, row_labels, title=title, x_label=x_label),
        "data": {"type": "heatmap", "grid": [list(row) for row in grid],
                 "rows": list(row_labels), "title": title, "x_label": x_label,
                 "y_label": y_label},
    }

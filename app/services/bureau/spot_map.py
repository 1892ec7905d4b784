"""The map of spots and parks: each spot's figures for a month, its colour, park outlines.

The figures are the league table's (`analytics.Figures`, read by `analytics.spot_figures`);
this module only decides how each is coloured and where things are drawn.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.extensions import db
from app.models import Park, Spot
from app.services.bureau.analytics import Figures, spot_figures
from app.services.spots.geo import LatLon, convex_hull, gcj02_to_wgs84, wgs84_to_gcj02

MEASURES = ("reports", "overdue", "satisfaction")
# the colour steps of every measure, best (or quietest) first; "none" when nothing counts
LEVELS = ("none", "low", "mid", "high")
REPORTS_MID, REPORTS_HIGH = 5, 20
OVERDUE_HIGH = 3
SATISFIED_WELL, SATISFIED_FAIR = 0.8, 0.6


def reports_level(figures: Figures) -> str:
    reports = figures.reports
    if reports == 0:
        return "none"
    return "low" if reports < REPORTS_MID else "mid" if reports < REPORTS_HIGH else "high"


def overdue_level(figures: Figures) -> str:
    if figures.response_counted == 0:
        return "none"
    overdue = figures.overdue
    return "low" if overdue == 0 else "mid" if overdue < OVERDUE_HIGH else "high"


def satisfaction_level(figures: Figures) -> str:
    rate = figures.satisfaction_rate
    if rate is None:
        return "none"
    return "low" if rate >= SATISFIED_WELL else "mid" if rate >= SATISFIED_FAIR else "high"


LEVEL_OF: dict[str, Callable[[Figures], str]] = {
    "reports": reports_level, "overdue": overdue_level, "satisfaction": satisfaction_level}


def legend() -> list[dict[str, Any]]:
    """Each measure: its name, its definition (the same words as the league table's), and
    what each colour step means."""
    return [
        {"measure": "reports", "name": _("Reports"),
         "definition": _("Every report: the cases, each \u201cme too\u201d joined to one, and "
                         "each \u201cnot fixed\u201d."),
         "steps": {"none": _("none"), "low": _("1 to %(n)d", n=REPORTS_MID - 1),
                   "mid": _("%(a)d to %(b)d", a=REPORTS_MID, b=REPORTS_HIGH - 1),
                   "high": _("%(n)d or more", n=REPORTS_HIGH)}},
        {"measure": "overdue", "name": _("Overdue"),
         "definition": _("Cases that fail the response rate: answered after their reply "
                         "deadline, or not answered and the deadline passed. A case whose "
                         "deadline is still ahead is never overdue."),
         "steps": {"none": _("nothing due yet"), "low": _("none overdue"),
                   "mid": _("1 to %(n)d", n=OVERDUE_HIGH - 1),
                   "high": _("%(n)d or more", n=OVERDUE_HIGH)}},
        {"measure": "satisfaction", "name": _("Satisfaction rate"),
         "definition": _("Cases the visitor rated 4 or 5 (of 5), among the rated cases; "
                         "unrated cases do not count."),
         "steps": {"none": _("not rated"),
                   "low": _("%(n)d %% or more", n=round(SATISFIED_WELL * 100)),
                   "mid": _("%(a)d to %(b)d %%", a=round(SATISFIED_FAIR * 100),
                            b=round(SATISFIED_WELL * 100) - 1),
                   "high": _("under %(n)d %%", n=round(SATISFIED_FAIR * 100))}},
    ]


def map_crs() -> str:
    """The datum the tiles are drawn in: "gcj02" (Chinese providers) or "wgs84"."""
    return "gcj02" if current_app.config["MAP_TILE_CRS"] == "gcj02" else "wgs84"


def to_map(latitude: float, longitude: float) -> LatLon:
    """A stored (WGS-84) position as the map draws it."""
    return wgs84_to_gcj02(latitude, longitude) if map_crs() == "gcj02" else (latitude, longitude)


def from_map(latitude: float, longitude: float) -> LatLon:
    """A position tapped on the map, as stored (WGS-84)."""
    return gcj02_to_wgs84(latitude, longitude) if map_crs() == "gcj02" else (latitude, longitude)


@dataclass
class MapSpot:
    spot: Spot
    figures: Figures
    position: LatLon | None  # in the map's datum; None when the spot has no coordinates

    @property
    def levels(self) -> dict[str, str]:
        return {measure: LEVEL_OF[measure](self.figures) for measure in MEASURES}


def map_spots(parks: Sequence[Park], start: date, end: date,
              now: datetime | None = None) -> list[MapSpot]:
    """The parks' active spots with their figures over [start, end), park by park."""
    park_ids = [park.id for park in parks]
    figures = spot_figures(park_ids, start, end, now)
    spots = db.session.scalars(
        select(Spot).options(joinedload(Spot.park))
        .where(Spot.park_id.in_(park_ids), Spot.active.is_(True))
        .order_by(Spot.park_id, Spot.id))
    return [MapSpot(spot=spot, figures=figures.get(spot.id, Figures()),
                    position=None if spot.latitude is None or spot.longitude is None
                    else to_map(spot.latitude, spot.longitude))
            for spot in spots]


def map_data(parks: Sequence[Park], spots: Sequence[MapSpot], locale: str) -> dict[str, Any]:
    """What the page's script draws: tiles (or none), park outlines, spots and legend."""
    tile_url = current_app.config["MAP_TILE_URL"]
    outlines = []
    for park in parks:
        # a park's outline is the convex hull of its placed spots (no stored polygon)
        hull = convex_hull([s.position for s in spots
                            if s.position is not None and s.spot.park_id == park.id])
        if hull:
            outlines.append({"name": park.name(locale), "outline": [list(p) for p in hull]})
    return {
        "tiles": {"url": tile_url, "attribution": current_app.config["MAP_TILE_ATTRIBUTION"]}
        if tile_url else None,
        "parks": outlines,
        "spots": [{"id": s.spot.id, "name": f"{s.spot.park.name(locale)} · {s.spot.name(locale)}",
                   "lat": s.position[0], "lon": s.position[1], "levels": s.levels,
                   "reports": s.figures.reports, "overdue": s.figures.overdue,
                   "satisfaction": s.figures.satisfaction_rate}
                  for s in spots if s.position is not None],
        "legend": legend(),
    }

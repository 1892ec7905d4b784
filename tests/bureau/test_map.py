"""The map of spots (/bureau/map, /admin/map): who sees what, the figures, placing a spot,
GCJ-02, and the tile server in the Content-Security-Policy."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta

import pytest

from app.config import map_tile_crs
from app.extensions import db
from app.models import Spot
from app.services.bureau.analytics import Figures, spot_figures
from app.services.bureau.spot_map import (
    map_spots,
    overdue_level,
    reports_level,
    satisfaction_level,
)
from app.services.spots.geo import convex_hull, gcj02_to_wgs84, wgs84_to_gcj02
from tests.bureau.conftest import bureau_login
from tests.conftest import csrf_token, log_in, make_case, make_staff

# (WGS-84 lat, lon, GCJ-02 lat, lon): the test points of googollee/eviltransform
# (Shanghai, Shenzhen, Beijing), computed there with the same published algorithm
KNOWN_POINTS = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
]


def map_data(page: str) -> dict:
    match = re.search(r'data-map="([^"]*)"', page)
    assert match, "no data-map on the page"
    return json.loads(match.group(1).replace("&#34;", '"').replace("&quot;", '"')
                      .replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
                      .replace("&amp;", "&"))


@pytest.mark.parametrize(("lat", "lon", "gcj_lat", "gcj_lon"), KNOWN_POINTS)
def test_wgs84_to_gcj02_matches_known_points(lat, lon, gcj_lat, gcj_lon):
    converted = wgs84_to_gcj02(lat, lon)
    assert converted == pytest.approx((gcj_lat, gcj_lon), abs=1e-9)


@pytest.mark.parametrize(("lat", "lon", "gcj_lat", "gcj_lon"), KNOWN_POINTS)
def test_gcj02_to_wgs84_inverts_it_to_a_centimetre(lat, lon, gcj_lat, gcj_lon):
    assert gcj02_to_wgs84(gcj_lat, gcj_lon) == pytest.approx((lat, lon), abs=1e-7)


def test_gcj02_leaves_points_outside_china_alone():
    assert wgs84_to_gcj02(51.5007, -0.1246) == (51.5007, -0.1246)


def test_convex_hull_drops_inner_points():
    points = [(0.0, 0.0), (0.0, 2.0), (2.0, 2.0), (2.0, 0.0), (1.0, 1.0)]
    assert sorted(convex_hull(points)) == [(0.0, 0.0), (0.0, 2.0), (2.0, 0.0), (2.0, 2.0)]
    assert convex_hull([(1.0, 1.0)]) == [(1.0, 1.0)]


def test_map_tile_crs_setting_refuses_unknown_datums():
    assert map_tile_crs("GCJ02") == "gcj02"
    assert map_tile_crs("") == "wgs84"
    with pytest.raises(ValueError, match="MAP_TILE_CRS"):
        map_tile_crs("bd09")


def test_colour_steps_follow_the_figures():
    empty = Figures()
    assert reports_level(empty) == "none"
    assert overdue_level(empty) == "none"
    assert satisfaction_level(empty) == "none"


def this_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def test_spot_figures_are_the_league_tables(app, unit, spot):
    make_case(spot)
    make_case(spot, body="又没纸了")  # joins as "me too": a second report, one case
    month = datetime.now(UTC).date().replace(day=1)
    figures = spot_figures([spot.park_id], month - timedelta(days=1),
                           month + timedelta(days=40))[spot.id]
    assert figures.cases == 1
    assert figures.reports == 2
    assert figures.overdue == 0  # not due yet: never overdue
    spots = map_spots([spot.park], month - timedelta(days=1), month + timedelta(days=40))
    assert [s.levels["reports"] for s in spots] == ["low"]


def test_overdue_counts_a_case_whose_reply_limit_passed(app, unit, spot):
    make_case(spot)
    later = datetime.now(UTC) + timedelta(days=30)
    month = datetime.now(UTC).date().replace(day=1)
    figures = spot_figures([spot.park_id], month, month + timedelta(days=40), now=later)
    assert figures[spot.id].overdue == 1


def test_bureau_map_shows_every_park_with_positions(app, unit, other_unit):
    for index, own in enumerate((unit, other_unit)):
        own.parks[0].spots[0].latitude = 39.91 + index / 100
        own.parks[0].spots[0].longitude = 116.43
    db.session.commit()
    client = bureau_login(app, "viewer@bureau.test", "viewer")
    page = client.get(f"/bureau/map?month={this_month()}")
    assert page.status_code == 200
    data = map_data(page.get_data(as_text=True))
    assert len(data["spots"]) == 2
    assert data["tiles"] is None
    assert {"reports", "overdue", "satisfaction"} == {item["measure"] for item in data["legend"]}
    assert all(item["definition"] for item in data["legend"])


def test_director_map_shows_only_their_unit(app, unit, other_unit):
    for own in (unit, other_unit):
        own.parks[0].spots[0].latitude = 39.91
        own.parks[0].spots[0].longitude = 116.43
    db.session.commit()
    make_staff(unit, "director@rt.test")
    client = app.test_client()
    log_in(client, "director@rt.test")
    for url in ("/admin/map", "/bureau/map"):
        page = client.get(url)
        assert page.status_code == 200
        data = map_data(page.get_data(as_text=True))
        assert [s["id"] for s in data["spots"]] == [unit.parks[0].spots[0].id]
        assert "XY公园" not in page.get_data(as_text=True)


@pytest.mark.parametrize("role", ["viewer", "security"])
def test_other_staff_may_not_open_or_place_on_the_directors_map(app, unit, spot, role):
    make_staff(unit, f"{role}@rt.test", roles=(role,))
    client = app.test_client()
    log_in(client, f"{role}@rt.test")
    assert client.get("/admin/map").status_code == 403
    token = csrf_token(client, "/staff/")
    answer = client.post("/admin/map/place", data={
        "csrf_token": token, "spot_id": spot.id, "latitude": "39.9", "longitude": "116.4"})
    assert answer.status_code == 403
    assert db.session.get(Spot, spot.id).latitude is None


def test_director_places_a_spot_stored_as_wgs84(app, unit, spot, staff_client):
    token = csrf_token(staff_client, "/admin/map")
    answer = staff_client.post("/admin/map/place", data={
        "csrf_token": token, "spot_id": spot.id, "latitude": "39.914417",
        "longitude": "116.438111"})
    assert answer.status_code == 303
    db.session.expire_all()
    placed = db.session.get(Spot, spot.id)
    assert (placed.latitude, placed.longitude) == pytest.approx((39.914417, 116.438111))


def test_on_gcj02_tiles_a_tap_is_stored_as_wgs84(app, unit, spot, staff_client):
    app.config.update(MAP_TILE_CRS="gcj02", MAP_TILE_URL="https://tiles.example.cn/{z}/{x}/{y}.png")
    wgs_lat, wgs_lon, gcj_lat, gcj_lon = KNOWN_POINTS[2]
    token = csrf_token(staff_client, "/admin/map")
    answer = staff_client.post("/admin/map/place", data={
        "csrf_token": token, "spot_id": spot.id, "latitude": repr(gcj_lat),
        "longitude": repr(gcj_lon)})
    assert answer.status_code == 303
    db.session.expire_all()
    placed = db.session.get(Spot, spot.id)
    assert (placed.latitude, placed.longitude) == pytest.approx((wgs_lat, wgs_lon), abs=1e-7)
    # and the map draws it where the tiles have it
    data = map_data(staff_client.get("/admin/map").get_data(as_text=True))
    assert (data["spots"][0]["lat"], data["spots"][0]["lon"]) == pytest.approx(
        (gcj_lat, gcj_lon), abs=1e-7)


def test_placing_an_other_units_spot_is_refused(app, unit, other_unit, staff_client):
    stranger = other_unit.parks[0].spots[0]
    token = csrf_token(staff_client, "/admin/map")
    answer = staff_client.post("/admin/map/place", data={
        "csrf_token": token, "spot_id": stranger.id, "latitude": "39.9", "longitude": "116.4"})
    assert answer.status_code == 400  # not among the form's choices
    assert db.session.get(Spot, stranger.id).latitude is None


def test_csp_allows_the_tile_host_only_when_configured(app, unit, staff_client):
    plain = staff_client.get("/admin/map").headers["Content-Security-Policy"]
    assert "img-src 'self' data:;" in plain
    app.config.update(MAP_TILE_URL="https://{s}.tiles.example.org/{z}/{x}/{y}.png",
                      MAP_TILE_ATTRIBUTION="© Example contributors")
    page = staff_client.get("/admin/map")
    policy = page.headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://*.tiles.example.org;" in policy
    assert "© Example contributors" in page.get_data(as_text=True)
    other = staff_client.get("/admin/").headers["Content-Security-Policy"]
    assert "tiles.example.org" not in other

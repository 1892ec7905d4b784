"""The map of spots in Chromium: offline (no tile server) and with a tile server (a local
stand-in serving one PNG), at 360 px and on a desktop, in both languages."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, Site, log_in_staff, served_site, shot
from tests.browser.test_accessibility import axe_violations

DEMO_SPOTS = 21
DEMO_PARKS = 4


def tile_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (214, 226, 240)).save(buffer, "PNG")
    return buffer.getvalue()


class TileServer:
    """A tile server stand-in: the same PNG for every /{z}/{x}/{y}.png; counts requests."""

    def __init__(self) -> None:
        png = tile_png()
        self.requests: list[str] = []
        requests = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the standard library's name
                requests.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def tiles() -> Iterator[TileServer]:
    server = TileServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def tiled_site(tmp_path_factory, tiles) -> Iterator[Site]:
    with served_site(tmp_path_factory.mktemp("tiled"), "browser_tiles",
                     MAP_TILE_URL=f"{tiles.url}/{{z}}/{{x}}/{{y}}.png",
                     MAP_TILE_ATTRIBUTION="© Tile stand-in") as served:
        yield served


def open_map(page, site: Site, email: str, path: str) -> None:
    log_in_staff(page, site, email, path)
    expect(page.locator("#spot-map.leaflet-container")).to_be_visible()
    expect(page.locator("path.spot-marker")).to_have_count(DEMO_SPOTS)


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_bureau_map_offline_on_a_desktop(site, new_context, language):
    page = new_context(viewport=DESKTOP, locale=language, has_touch=False).new_page()
    open_map(page, site, "bureau@parks.demo", "/bureau/map")
    expect(page.locator("path.park-outline")).to_have_count(DEMO_PARKS)
    expect(page.locator(".leaflet-control-scale-line").first).to_be_visible()
    assert page.locator(".leaflet-tile").count() == 0  # nothing fetched from anywhere
    # every spot coloured by the chosen figure; choosing another recolours without a reload
    levels = page.locator("path.spot-marker").evaluate_all(
        "paths => paths.map(p => p.getAttribute('data-level'))")
    assert set(levels) <= {"none", "low", "mid", "high"}
    page.select_option("#measure", "satisfaction")
    expect(page.locator("#spot-map")).to_have_attribute("data-colored-by", "satisfaction")
    expect(page.locator(".legend-measure.is-current")).to_have_attribute(
        "data-measure", "satisfaction")
    shot(page, f"map-bureau-offline-desktop-{language}")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_director_places_a_spot_by_tapping_at_360_px(site, new_context, language):
    page = new_context(locale=language).new_page()
    open_map(page, site, "director@ritan.demo", "/admin/map")
    page.locator("#spot-map").tap(position={"x": 120, "y": 140})
    latitude = page.input_value("#latitude")
    longitude = page.input_value("#longitude")
    assert 39.8 < float(latitude) < 40.0
    assert 116.3 < float(longitude) < 116.6
    shot(page, f"map-admin-360-{language}")
    page.click("#place-form button[type=submit]")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("path.spot-marker")).to_have_count(DEMO_SPOTS)


def test_viewer_staff_sees_no_map_to_place_on(site, new_context):
    page = new_context().new_page()
    log_in_staff(page, site, "security@ritan.demo", "/staff/")
    answer = page.goto(f"{site.url}/admin/map")
    assert answer is not None
    assert answer.status == 403


@pytest.mark.parametrize("viewport", [DESKTOP, {"width": 360, "height": 740}],
                         ids=["desktop", "phone"])
def test_map_draws_the_configured_tiles_and_their_attribution(tiled_site, tiles, new_context,
                                                             viewport):
    page = new_context(viewport=viewport).new_page()
    open_map(page, tiled_site, "bureau@parks.demo", "/bureau/map")
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    assert tiles.requests, "the tile stand-in was never asked"
    expect(page.locator(".leaflet-control-attribution")).to_contain_text("© Tile stand-in")
    shot(page, f"map-bureau-tiles-{viewport['width']}")


@pytest.mark.parametrize("language", ["zh-CN", "en"])
@pytest.mark.parametrize(("email", "path"), [("bureau@parks.demo", "/bureau/map"),
                                             ("director@ritan.demo", "/admin/map")])
def test_map_pages_have_no_serious_accessibility_violation(site, new_context, language, email,
                                                           path):
    page = new_context(locale=language, bypass_csp=True).new_page()
    open_map(page, site, email, path)
    assert axe_violations(page) == []


def test_the_map_with_tiles_has_no_serious_accessibility_violation(tiled_site, tiles,
                                                                     new_context):
    # the tiles, their attribution and its links are part of the page a keyboard and a screen
    # reader meet when a tile server is configured
    page = new_context(bypass_csp=True).new_page()
    open_map(page, tiled_site, "bureau@parks.demo", "/bureau/map")
    expect(page.locator(".leaflet-tile-loaded").first).to_be_visible()
    assert axe_violations(page) == []

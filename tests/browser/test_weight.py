"""The visitor form is light: at most 60 KB as transferred, all from the app's own host,
compressed, and usable before (or without) any script."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

BUDGET = 60 * 1024  # bytes over the wire: headers and (compressed) bodies


def transferred_from_own_host(site, new_context, url: str) -> tuple[int, dict[str, int]]:
    """What opening `url` transfers (headers and compressed bodies), all from the app's own
    host (anything else is refused and fails the test); checks the compression too."""
    context = new_context()
    foreign: list[str] = []
    own_host = urlsplit(site.url).netloc

    def only_own_host(route):
        if urlsplit(route.request.url).netloc == own_host:
            route.continue_()
        else:
            foreign.append(route.request.url)
            route.abort()

    context.route("**/*", only_own_host)
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    responses: dict[str, dict[str, object]] = {}
    transferred: dict[str, int] = {}
    cdp.on("Network.responseReceived",
           lambda event: responses.__setitem__(event["requestId"], event["response"]))
    cdp.on("Network.loadingFinished", lambda event: transferred.__setitem__(
        event["requestId"], int(event["encodedDataLength"])))
    page.goto(url, wait_until="networkidle")

    assert foreign == []
    listing = {str(responses[rid]["url"]): size for rid, size in transferred.items()
               if rid in responses}
    encodings = {
        str(response["mimeType"]): {k.lower(): v for k, v in response["headers"].items()}
        .get("content-encoding") for response in responses.values()}
    assert encodings["text/html"] in ("br", "gzip")
    assert encodings["text/css"] in ("br", "gzip")
    return sum(transferred.values()), listing


def test_visitor_form_transfers_at_most_60_kb_from_its_own_host(site, new_context):
    total, listing = transferred_from_own_host(site, new_context, site.form_url())
    assert total <= BUDGET, listing
    print(f"visitor form: {total} bytes transferred in {len(listing)} requests")


def test_park_board_transfers_at_most_60_kb_and_needs_no_script(site, new_context):
    url = f"{site.url}/p/{site.spots[0]['park_code']}"
    total, listing = transferred_from_own_host(site, new_context, url)
    assert total <= BUDGET, listing
    assert not [u for u in listing if u.endswith(".js")]
    page = new_context(java_script_enabled=False).new_page()
    page.goto(url)
    expect(page.locator("table.board-figures")).to_be_visible()
    print(f"park board: {total} bytes transferred in {len(listing)} requests")


def test_visitor_form_renders_before_any_script(site, new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site.form_url())
    for selector in (".place-spot", "label[for=category-toilets]", "#body",
                     "form.feedback-form button[type=submit]"):
        expect(page.locator(selector)).to_be_visible()
    blocking = page.evaluate("""() => [...document.querySelectorAll('script')]
        .filter(s => !s.defer && !s.async && s.type !== 'module').map(s => s.outerHTML)""")
    assert blocking == []
    shot(page, "weight-form-without-scripts")

"""The visitor form is light: at most 60 KB as transferred, all from the app's own host,
compressed, and usable before (or without) any script."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import shot

pytestmark = pytest.mark.browser

BUDGET = 60 * 1024  # bytes over the wire: headers and (compressed) bodies


def test_visitor_form_transfers_at_most_60_kb_from_its_own_host(site, new_context):
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
    page.goto(site.form_url(), wait_until="networkidle")

    assert foreign == []
    total = sum(transferred.values())
    listing = {str(responses[rid]["url"]): size for rid, size in transferred.items()
               if rid in responses}
    assert total <= BUDGET, listing
    encodings = {
        str(response["mimeType"]): {k.lower(): v for k, v in response["headers"].items()}
        .get("content-encoding") for response in responses.values()}
    assert encodings["text/html"] in ("br", "gzip")
    assert encodings["text/css"] in ("br", "gzip")
    print(f"visitor form: {total} bytes transferred in {len(transferred)} requests")


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

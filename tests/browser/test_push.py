"""Web Push in Chromium: the staff service worker registers at /staff/, and a push the
server sent for a new case, delivered to it through the DevTools protocol, shows the
notification whose click opens the case.

The server's push goes to a local push service (tests/support/webpush.py), which checks
its VAPID token; the test decrypts it with the subscription's key and hands the plain
payload to Chromium's service worker with `ServiceWorker.deliverPushMessage`, the
DevTools protocol's stand-in for a push service (headless Chromium here has no network to
Google's push service, so the browser's own `pushManager.subscribe` cannot complete: see
test_subscribing_without_a_push_service_says_so).
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, CDPSession, Page, expect

from tests.browser.conftest import (
    Site,
    assert_fits_the_screen,
    log_in_staff,
    served_site,
    shot,
)
from tests.browser.test_journeys import submit_case_as_visitor
from tests.support.servers import FLASK, ROOT
from tests.support.webpush import PushService, running_push_service

SUBJECT = "mailto:ops@ritan.demo"


@pytest.fixture(scope="module")
def push_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Site, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("push-site")
    settings = {"OUTBOUND_ALLOW_PRIVATE": "1", "VAPID_SUBJECT": SUBJECT}
    with served_site(folder, "push", **settings) as site:
        yield site, settings


@pytest.fixture
def push_service() -> Iterator[PushService]:
    with running_push_service() as service:
        yield service


def send_due_pushes(site: Site) -> str:
    """`flask push send` against the served app's database (its job loop is off): what
    the job loop would send."""
    result = subprocess.run([str(FLASK), "--app", "wsgi", "push", "send"], cwd=ROOT, env=site.env,
                            check=True, capture_output=True, text=True, timeout=60)
    return result.stdout


def staff_page(context: BrowserContext, site: Site, email: str) -> Page:
    page = context.new_page()
    log_in_staff(page, site, email=email, landing="/staff/alerts")
    return page


def worker_registration(cdp: CDPSession, page: Page, scope: str) -> str:
    """The registration id of the service worker for `scope` (the DevTools protocol's),
    once its worker is activated (a push event goes to a registration's active worker)."""
    found: dict[str, str] = {}
    activated: set[str] = set()

    def note(event: dict[str, Any]) -> None:
        for registration in event["registrations"]:
            if registration["scopeURL"] == scope and not registration.get("isDeleted"):
                found["id"] = registration["registrationId"]

    def note_versions(event: dict[str, Any]) -> None:
        for version in event["versions"]:
            if version["status"] == "activated":
                activated.add(version["registrationId"])

    cdp.on("ServiceWorker.workerRegistrationUpdated", note)
    cdp.on("ServiceWorker.workerVersionUpdated", note_versions)
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while found.get("id") not in activated and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    assert "id" in found, f"no service worker registration for {scope}"
    assert found["id"] in activated, f"the service worker for {scope} is not activated"
    return found["id"]


def notifications_after_push(cdp: CDPSession, page: Page, origin: str, registration: str,
                             payload: dict[str, Any]) -> list[dict[str, Any]]:
    """Deliver `payload` to the worker as a push and read back the notifications it shows.
    `deliverPushMessage` answers before the push event runs and says nothing when the
    event never fires (CI saw no notification once, on a loaded machine): like a push
    service, which sends again a push the browser did not take, it is delivered again,
    up to three times. The worker tags a case's notification, so a second delivery
    replaces the first rather than adding one."""
    shown: list[dict[str, Any]] = []
    for _attempt in range(3):
        cdp.send("ServiceWorker.deliverPushMessage", {
            "origin": origin, "registrationId": registration, "data": json.dumps(payload)})
        deadline = time.monotonic() + 10
        while not shown and time.monotonic() < deadline:
            page.wait_for_timeout(100)
            shown = page.evaluate("""navigator.serviceWorker.ready.then(r => r.getNotifications())
                .then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag,
                                              url: n.data && n.data.url})))""")
        if shown:
            break
    return shown


def test_the_service_worker_registers_and_a_push_shows_the_case(
        push_site: tuple[Site, dict[str, str]], new_context: Any,
        push_service: PushService) -> None:
    site, _settings = push_site
    context = new_context()
    context.grant_permissions(["notifications"], origin=site.url)
    page = staff_page(context, site, "cleaning@ritan.demo")
    scope = f"{site.url}/staff/"
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.scope)") == scope
    expect(page.locator("#push-subscribe")).to_be_visible()

    # this phone's subscription, as the page posts it (the keys: the stand-in's phone)
    phone = push_service.phone("chromium")
    answer = page.evaluate("""async (body) => {
        const box = document.getElementById("push-settings").dataset;
        const answer = await fetch(box.subscriptionsUrl, {method: "POST",
            headers: {"Content-Type": "application/json", "X-CSRFToken": box.csrfToken},
            body: JSON.stringify(body)});
        return {status: answer.status, body: await answer.json()};
    }""", phone.to_json())
    assert answer["status"] == 201
    renew_token = answer["body"]["renewToken"]

    visitor = new_context().new_page()
    reference = submit_case_as_visitor(visitor, site, "北门厕所没有手纸了，电话13912345678",
                                       "push-visitor")
    # the served app sends it right after the case's commit (its job loop is off, so
    # nothing else could): it arrives without a job round, and no job round finds it left
    deadline = time.monotonic() + 15
    while not push_service.for_phone(phone) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "sent 0, to retry 0, failed 0" in send_due_pushes(site)
    (pushed,) = push_service.for_phone(phone)
    payload = phone.decrypt(pushed.body)
    assert payload["reference"] == reference
    assert "13912345678" not in json.dumps(payload)

    cdp = context.new_cdp_session(page)
    registration = worker_registration(cdp, page, scope)
    shown = notifications_after_push(cdp, page, site.url, registration, payload)
    assert shown, "the push showed no notification"
    (note,) = shown
    assert note["title"] == payload["title"]
    assert note["body"] == payload["body"]
    assert note["url"] == payload["url"]
    assert re.search(r"/staff/cases/\d+$", note["url"])

    # the browser rotates the subscription: the worker, with the renewal token the page
    # kept for it, replaces it at the server (no session, no CSRF token)
    (worker,) = context.service_workers
    rotated = push_service.phone("chromium-rotated")
    renewal = worker.evaluate("""([kept, fresh]) => keepRenewal(kept)
        .then(() => renewSubscription(null, {toJSON: () => fresh}))
        .then((status) => keptRenewal().then((now) => ({status: status, now: now})))""",
        [{"endpoint": phone.endpoint, "renewToken": renew_token, "publicKey": "unused"},
         rotated.to_json()])
    assert renewal["status"] == 200
    assert renewal["now"]["endpoint"] == rotated.endpoint
    assert renewal["now"]["renewToken"] not in ("", renew_token)
    page.goto(f"{site.url}/staff/alerts")
    endpoints = json.loads(page.locator("#push-settings").get_attribute("data-endpoints") or "")
    assert endpoints == [rotated.endpoint]

    # the page lists this phone with its delivery, in both languages, at phone width
    for language in ("zh_CN", "en"):
        page.goto(f"{site.url}/staff/alerts?lang={language}")
        expect(page.locator("#push-phones .phone")).to_have_count(1)
        assert_fits_the_screen(page)
        shot(page, f"push-alerts-phone-{language}")
    expect(page.locator("#push-phones")).to_contain_text("last alert delivered")


def test_subscribing_without_a_push_service_says_so(
        push_site: tuple[Site, dict[str, str]], new_context: Any) -> None:
    site, _settings = push_site
    context = new_context()
    context.grant_permissions(["notifications"], origin=site.url)
    page = staff_page(context, site, "security@ritan.demo")
    expect(page.locator("#push-subscribe")).to_be_visible()
    page.click("#push-subscribe")
    # Chromium answers "Registration failed - permission denied" when it has no push
    # service (headless, no network): the page must say it failed and why, never hang
    # on "turning on"; with a push service the page reloads saying alerts are on
    state = page.locator("#push-state")
    expect(state).to_have_text(re.compile(r"^(未能开启提醒：.+|这部手机已开启提醒。)$"))
    if state.inner_text().startswith("未能"):
        expect(page.locator("#push-subscribe")).to_be_enabled()


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_alerts_page_at_phone_width(push_site: tuple[Site, dict[str, str]],
                                        new_context: Any, language: str) -> None:
    site, _settings = push_site
    context = new_context(locale="en-US" if language == "en" else "zh-CN")
    context.grant_permissions(["notifications"], origin=site.url)
    page = staff_page(context, site, "director@ritan.demo")
    expect(page.locator("#push-subscribe")).to_be_visible()
    assert_fits_the_screen(page)
    shot(page, f"push-alerts-{language}")


def test_sound_and_notifications_are_turned_on_once_per_device(
        push_site: tuple[Site, dict[str, str]], new_context: Any) -> None:
    site, _settings = push_site
    context = new_context()
    page = context.new_page()
    log_in_staff(page, site, email="security@ritan.demo")
    button = page.locator("#enable-alerts")
    expect(button).to_be_visible()
    button.click()
    expect(button).to_be_hidden()  # `hidden` wins over .button's display: inline-flex
    page.reload()
    page.wait_for_load_state("load")
    expect(button).to_be_hidden()  # not asked again on this device
    other = new_context().new_page()  # another device (a fresh profile) is asked
    log_in_staff(other, site, email="security@ritan.demo")
    expect(other.locator("#enable-alerts")).to_be_visible()

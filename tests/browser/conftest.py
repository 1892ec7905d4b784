"""Browser fixtures: the app served by gunicorn + gevent, Debian's Chromium driven by Playwright.

One server (with the demo data) per test module keeps the shared machine's two cores free;
each test opens its own browser contexts (a fresh profile: no cookies, no cache).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.support.servers import (
    ROOT,
    Server,
    demo_spots,
    prepare_database,
    running_server,
    served_database,
    server_env,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = ROOT / "test-output" / "browser"
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 900}
DEMO_PASSWORD = "demo12345"  # noqa: S105 - the published demo password
CJK = re.compile(r"[\u3400-\u9fff\uff00-\uffef\u3000-\u303f]")


@dataclass
class Site:
    """The served app and what the tests need to know about its demo data."""

    server: Server
    spots: list[dict[str, Any]]
    # the server's environment: a CLI command run with it works on the same database
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.server.url

    def form_url(self, index: int = 0) -> str:
        return f"{self.url}/q/{self.spots[index]['code']}"


@contextmanager
def served_site(folder: Path, name: str, **settings: str) -> Iterator[Site]:
    """The app with the demo data served from `folder` (its own database `name`), with
    `settings` in its environment, for as long as the block runs."""
    env = server_env(served_database(folder, name), folder / "instance", **settings)
    prepare_database(env)
    spots = demo_spots()
    with running_server(env, folder / "server.log") as server:
        yield Site(server=server, spots=spots, env=env)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with served_site(tmp_path_factory.mktemp("site"), "browser") as served:
        yield served


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[Any]:
    """Open browser contexts (phone-sized, Chinese by default); all are closed afterwards."""
    contexts: list[BrowserContext] = []

    def open_context(**options: Any) -> BrowserContext:
        settings: dict[str, Any] = {"viewport": PHONE, "locale": "zh-CN",
                                    "device_scale_factor": 1, "has_touch": True}
        settings.update(options)
        context = browser.new_context(**settings)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot under test-output/browser/ (look at them)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def log_in_staff(page: Page, site: Site, email: str = "director@ritan.demo",
                 landing: str = "/staff/") -> None:
    """Log in with a demo account on the login page and land on `landing`."""
    page.goto(f"{site.url}/staff/login?next={landing}")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{site.url}{landing}")
    page.wait_for_load_state("load")


def visible_text_outside_user_content(page: Page) -> str:
    """The visible text and title, less what people wrote or are called and the language link."""
    return str(page.evaluate("""() => {
        const copy = document.body.cloneNode(true);
        copy.querySelectorAll('[lang]:not(html), .entry-body, .case-excerpt, .user-content, script')
            .forEach(node => node.remove());
        return document.title + '\\n' + copy.innerText;
    }"""))


def assert_fits_the_screen(page: Page) -> None:
    """Nothing sticks out sideways (a page wider than the phone looks broken)."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def wait_until_live(page: Page) -> None:
    """Wait until the staff page's socket is connected (it says so in #live-state)."""
    state = page.locator("#live-state")
    expect(state).to_have_text(state.get_attribute("data-online") or "")

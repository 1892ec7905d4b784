"""Accessibility in the browser: axe-core finds no serious or critical violation on each page,
and the touch pages' buttons are big enough for a thumb.

To check a new page, add a `Checked` line to PAGES: who opens it and how to get there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import Site, assert_fits_the_screen, log_in_staff, shot
from tests.support.servers import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
MIN_TARGET = 44  # CSS px, WCAG 2.5.5 target size


def open_form(page: Page, site: Site) -> None:
    page.goto(site.form_url())


def open_form_errors(page: Page, site: Site) -> None:
    page.goto(site.form_url())
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_selector(".form-problem")


def open_tracking(page: Page, site: Site) -> None:
    page.goto(site.form_url(1))
    page.click("label[for=category-noise]")
    page.fill("#body", "音响声音太大")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url(re.compile(r"/t/"))


def open_board(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/p/{site.spots[0]['park_code']}")


def open_login(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/staff/login")


def open_inbox(page: Page, site: Site) -> None:
    log_in_staff(page, site)


def open_case(page: Page, site: Site) -> None:
    open_tracking(page, site)
    reference = page.inner_text(".reference").strip()
    log_in_staff(page, site)
    page.locator(".case-row", has_text=reference).locator("a").click()
    page.wait_for_selector(".actions")


def open_admin(page: Page, site: Site) -> None:
    log_in_staff(page, site)
    page.goto(f"{site.url}/admin/")


def open_admin_spots(page: Page, site: Site) -> None:
    log_in_staff(page, site, landing="/admin/points")


def open_bureau(page: Page, site: Site) -> None:
    log_in_staff(page, site, "bureau@parks.demo", landing="/bureau/")


@dataclass(frozen=True)
class Checked:
    name: str
    open: Callable[[Page, Site], None]
    touch: bool = True  # used on a phone: every button and link target at least 44 x 44


PAGES = [
    Checked("visitor-form", open_form),
    Checked("visitor-form-errors", open_form_errors),
    Checked("visitor-tracking", open_tracking),
    Checked("park-board", open_board),
    Checked("staff-login", open_login),
    Checked("staff-inbox", open_inbox),
    Checked("staff-case", open_case),
    Checked("admin-index", open_admin, touch=False),
    Checked("admin-spots", open_admin_spots, touch=False),
    Checked("bureau-dashboard", open_bureau, touch=False),
]
TOUCH_PAGES = [checked for checked in PAGES if checked.touch]


def axe_violations(page: Page) -> list[dict[str, object]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary)}));
    }""")
    return [v for v in result if v["impact"] in ("serious", "critical")]


SMALL_TARGETS = """(minimum) => [...document.querySelectorAll(
        'button, input[type=submit], input[type=file], a.button, label.choice, label.star, '
        + '.topnav a')]
    .filter(node => node.offsetParent !== null)
    .map(node => {
        const box = node.getBoundingClientRect();
        return {target: node.outerHTML.slice(0, 80), width: box.width, height: box.height};
    })
    .filter(box => box.width < minimum || box.height < minimum)"""


@pytest.mark.parametrize("checked", PAGES, ids=[c.name for c in PAGES])
@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_page_has_no_serious_accessibility_violation(site, new_context, checked, language):
    # the app's strict CSP forbids injected scripts; only axe's own context looks past it
    page = new_context(locale=language, bypass_csp=True).new_page()
    checked.open(page, site)
    page.wait_for_load_state("load")  # stylesheet applied
    shot(page, f"a11y-{checked.name}-{language}")
    assert axe_violations(page) == []


@pytest.mark.parametrize("checked", TOUCH_PAGES, ids=[c.name for c in TOUCH_PAGES])
def test_touch_targets_are_at_least_44_px(site, new_context, checked):
    page = new_context().new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(message.text))
    checked.open(page, site)
    page.wait_for_load_state("load")  # stylesheet applied
    shot(page, f"touch-{checked.name}")
    assert page.evaluate(SMALL_TARGETS, MIN_TARGET) == [], messages
    assert_fits_the_screen(page)


def test_axe_is_installed_from_npm():
    assert Path(AXE).is_file(), "run `make setup-test` (npm ci installs axe-core)"

"""Three visitors report one flooded toilet: the director sees one warning naming the spot,
opens the case from it and acknowledges it with a note, on a phone."""

from __future__ import annotations

import re
import subprocess
import sys

from playwright.sync_api import expect

from tests.browser.conftest import log_in_staff, shot
from tests.support.servers import ROOT

RAISE_BURSTS = """
from app.models.types import utcnow
from app.services.bureau.bursts import raise_bursts
from wsgi import app
with app.app_context():
    raise_bursts(utcnow())
"""


def report(new_context, site, spot: int, body: str) -> None:
    page = new_context().new_page()
    page.goto(site.form_url(spot))
    page.click("label[for=category-toilets]")
    page.fill("#body", body)
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url(lambda url: "/t/" in url)


def test_three_me_too_reports_make_one_warning_the_director_acknowledges(site, new_context):
    spot = len(site.spots) - 1  # a spot of its own: no other test's case to join
    for body in ("北门厕所水漫出来了", "厕所水又漫出来了，我也遇到", "北门厕所还在漫水"):
        report(new_context, site, spot, body)
    # the job's work, now (the server runs it every minute as well; either raises it once)
    subprocess.run([sys.executable, "-c", RAISE_BURSTS], cwd=ROOT, env=site.env, check=True,
                   timeout=60)
    page = new_context().new_page()
    log_in_staff(page, site, "director@ritan.demo", "/staff/")
    # the inbox names it too, until someone acknowledges it
    in_inbox = page.locator("#inbox-warnings li").filter(has_text=site.spots[spot]["name"])
    expect(in_inbox).to_have_count(1)
    expect(in_inbox.get_by_role("link").first).to_have_attribute(
        "href", re.compile(r"^/staff/cases/\d+$"))
    shot(page, "warnings-burst-inbox-phone")
    in_inbox.get_by_role("link").last.click()
    page.wait_for_url(lambda url: "/bureau/" in url)
    named = page.locator("#live-warnings li.warning-burst").filter(
        has_text=site.spots[spot]["name"])
    expect(named).to_have_count(1)
    expect(named).to_contain_text("3 次反映")
    link = named.get_by_role("link")
    expect(link).to_have_attribute("href", re.compile(r"^/staff/cases/\d+$"))
    named.locator("summary").click()
    named.locator("textarea").fill("已派保洁排水，关闭北门厕所")
    shot(page, "warnings-burst-phone")
    named.get_by_role("button").click()
    page.wait_for_url(lambda url: "/bureau/" in url)
    page.goto(f"{site.url}/staff/")
    expect(page.locator("#inbox-warnings")).to_have_count(0)
    page.goto(f"{site.url}/bureau/")
    acknowledged = page.locator("#live-warnings li.is-acknowledged").filter(
        has_text=site.spots[spot]["name"])
    expect(acknowledged).to_contain_text("已派保洁排水")
    expect(acknowledged).to_contain_text("王园长")
    shot(page, "warnings-burst-acknowledged-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, "warnings-burst-acknowledged-desktop")

"""The escalation ladder on the staff case page, on a phone (issue 16, point 3): an urgent
report nobody takes on goes by SMS to on call, then at its claim deadline to the directors;
the case page lists each step with its time and masked mobiles."""

from __future__ import annotations

import subprocess
import sys

from playwright.sync_api import expect

from tests.browser.conftest import assert_fits_the_screen, log_in_staff, shot
from tests.support.servers import ROOT

CLIMB = """
from datetime import timedelta
from sqlalchemy import select
from app.extensions import db
from app.models import Case
from app.models.types import utcnow
from app.services.notify.ladder import run_ladder
from wsgi import app
with app.app_context():
    case_id = db.session.scalars(select(Case.id).order_by(Case.id.desc())).first()
    run_ladder(utcnow() + timedelta(minutes=6))
    run_ladder(utcnow() + timedelta(days=3))
    print(case_id)
"""


def test_the_case_page_shows_the_ladder_on_a_phone(site, new_context):
    page = new_context().new_page()
    page.goto(site.form_url(len(site.spots) - 2))
    page.click("label[for=category-toilets]")
    page.fill("#body", "有人晕倒在厕所门口了")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url(lambda url: "/t/" in url)
    case_id = subprocess.run([sys.executable, "-c", CLIMB], cwd=ROOT, env=site.env, check=True,
                             timeout=60, capture_output=True, text=True).stdout.split()[-1]
    staff = new_context().new_page()
    log_in_staff(staff, site, "director@ritan.demo", "/staff/")
    staff.goto(f"{site.url}/staff/cases/{case_id}")
    ladder = staff.locator("#ladder")
    expect(ladder.locator("li[data-step=oncall_sms]")).to_contain_text("值班人员发短信")
    expect(ladder.locator("li[data-step=directors]")).to_contain_text("已过认领时限")
    assert "+86 1" not in ladder.inner_text()  # mobiles only masked
    assert_fits_the_screen(staff)
    ladder.scroll_into_view_if_needed()
    path = shot(staff, "ladder-case-phone")
    close_up = path.with_name("ladder-case-phone-steps.png")
    ladder.screenshot(path=str(close_up))

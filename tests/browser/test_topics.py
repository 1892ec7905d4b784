"""每月一题 in the browser: a bureau administrator adopts a topic on a desktop and assigns
the demo unit; its director records a measure with a photo on a phone (360 px). Axe runs
on both pages (its injected script needs the CSP bypassed in its own contexts)."""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import DESKTOP, log_in_staff, shot
from tests.browser.test_accessibility import axe_violations
from tests.support.images import png
from tests.support.servers import ROOT

ADMIN = "admin@parks.demo"
CREATE_ADMIN = f"""
from app.database import write_transaction
from app.models import StaffUser
from app.services.accounts.staff import hash_password
from wsgi import app
with app.app_context(), write_transaction() as session:
    session.add(StaffUser(email="{ADMIN}", name="局管理员", bureau_role="admin",
                          password_hash=hash_password("demo12345")))
"""


PLANT = """
from sqlalchemy import select
from app.models import Category, Spot
from app.models.types import utcnow
from tests.support.cases import add_case
from wsgi import app
with app.app_context():
    spots = list(app.extensions["sqlalchemy"].session.scalars(select(Spot).order_by(Spot.id)))
    def category(code, spot):
        return app.extensions["sqlalchemy"].session.scalars(select(Category).where(
            Category.unit_id == spot.park.unit_id, Category.code == code)).one()
    texts = [("toilets", "厕所没有洗手液"), ("toilets", "北门厕所洗手液没了"),
             ("toilets", "女厕所缺洗手液"), ("toilets", "厕所没有纸"),
             ("toilets", "北门厕所没纸了"), ("toilets", "女厕所没有卫生纸，没有纸"),
             ("praise", "厕所很干净，点赞"), ("praise", "厕所打扫得很干净，点赞"),
             ("praise", "厕所很干净，保洁阿姨辛苦了，点赞")]
    for i, (code, text) in enumerate(texts):
        spot = spots[i % len(spots)]
        add_case(spot, category(code, spot), utcnow(), body=text)
"""


@pytest.mark.parametrize(("language", "viewport"), [("zh-CN", None), ("en", DESKTOP)])
def test_suggestions_name_their_category_and_keep_praise_apart(site, new_context, admin,
                                                              language, viewport):
    if language == "zh-CN":
        subprocess.run([sys.executable, "-c", PLANT], cwd=ROOT, env=site.env, check=True,
                       timeout=60)
    options = {"viewport": viewport, "has_touch": False} if viewport else {}
    page = new_context(locale=language, bypass_csp=True, **options).new_page()
    month = page.evaluate("new Date().toISOString().slice(0, 7)")
    log_in_staff(page, site, admin, f"/bureau/topics?month={month}")
    shot(page, f"topics-suggestions-{'desktop' if viewport else '360'}-{language}")
    kinds = page.locator(".topic-kind").all_inner_texts()
    assert len(kinds) >= 2
    assert any(("表扬" if language == "zh-CN" else "praise") in kind for kind in kinds)
    assert axe_violations(page) == []
    shot(page, f"topics-suggestions-{'desktop' if viewport else '360'}-{language}")


@pytest.fixture(scope="module")
def admin(site):
    subprocess.run([sys.executable, "-c", CREATE_ADMIN], cwd=ROOT, env=site.env, check=True,
                   timeout=60)
    return ADMIN


@pytest.mark.parametrize("language", ["zh-CN", "en"])
def test_adopt_a_topic_then_record_a_measure_with_a_photo(site, new_context, admin, language):
    title = f"洗手液 ({language})"
    page = new_context(viewport=DESKTOP, locale=language, has_touch=False,
                       bypass_csp=True).new_page()
    log_in_staff(page, site, admin, "/bureau/topics")
    page.click("#adopted-topics a.button")  # a topic of the bureau's own
    page.fill("#title", title)
    page.fill("#keywords", "洗手液 擦手纸")
    page.select_option("#category", "toilets")
    page.locator("#units input[type=checkbox]").first.check()
    page.click("form.card button[type=submit]")
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator("#matching-definition")).to_be_visible()
    assert axe_violations(page) == []
    shot(page, f"topics-adopted-desktop-{language}")

    phone = new_context(locale=language, bypass_csp=True).new_page()
    log_in_staff(phone, site, "director@ritan.demo", "/bureau/topics")
    phone.click(f"#adopted-topics a:text('{title}')")
    phone.fill("#body", "北门厕所加装了感应洗手液机，每天两次巡查补充")
    phone.set_input_files("#photos", files=[
        {"name": "soap.png", "mimeType": "image/png", "buffer": png(320, 240, "RGB")}])
    phone.click("form[enctype] button[type=submit]")
    expect(phone.locator(".flash-success")).to_be_visible()
    expect(phone.locator("article.measure")).to_contain_text("感应洗手液机")
    expect(phone.locator("article.measure img")).to_have_count(1)
    phone.wait_for_load_state("load")  # the stylesheet and the photo, before measuring
    wide = phone.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(node => node.getBoundingClientRect().right > 361)
        .map(node => `${node.tagName}.${node.className} ${node.getBoundingClientRect().right}`)
        """)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360, wide
    assert axe_violations(phone) == []
    shot(phone, f"topics-measure-360-{language}")

"""The visitor's and the staff's journeys in a real browser (Debian Chromium), end to end."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    CJK,
    DESKTOP,
    Site,
    assert_fits_the_screen,
    log_in_staff,
    shot,
    visible_text_outside_user_content,
    wait_until_live,
)
from tests.support.images import jpeg_with_gps_rotated

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^[A-Z]+-\d{4}-\d{6}$")


def assert_photos_shown(page: Page, count: int) -> None:
    """The case's photos are on the page and the browser could load them."""
    images = page.locator(".photo-list img")
    expect(images).to_have_count(count)
    for index in range(count):
        images.nth(index).scroll_into_view_if_needed()
        expect(images.nth(index)).to_have_js_property("complete", True)
        assert images.nth(index).evaluate("image => image.naturalWidth") > 0


def submit_case_as_visitor(page: Page, site: Site, body: str, name: str,
                               photo: bytes | None = None, spot: int = 0) -> str:
    """Open a spot's form, pick a category, write, send; return the reference shown."""
    page.goto(site.form_url(spot))
    shot(page, f"{name}-1-form")
    page.click("label[for=category-toilets]")
    page.fill("#body", body)
    if photo is not None:
        page.set_input_files("#photos", files=[
            {"name": "toilet.jpg", "mimeType": "image/jpeg", "buffer": photo}])
    shot(page, f"{name}-2-filled")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
    shot(page, f"{name}-3-tracking")
    reference = page.inner_text(".reference").strip()
    assert REFERENCE.match(reference), reference
    return reference


def test_visitor_writes_staff_claim_and_reply_visitor_reopens_staff_see_it_live(site, new_context):
    staff = new_context().new_page()
    log_in_staff(staff, site)
    wait_until_live(staff)
    staff.evaluate("window.__sameDocument = true")  # gone if the inbox reloads
    shot(staff, "journey-staff-1-inbox-before")

    visitor = new_context().new_page()
    reference = submit_case_as_visitor(visitor, site, "北门厕所没有手纸了", "journey-visitor",
                                           photo=jpeg_with_gps_rotated(600, 400))
    expect(visitor.locator(".thread-list")).to_contain_text("北门厕所没有手纸了")
    assert_photos_shown(visitor, 1)

    row = staff.locator(".case-row", has_text=reference)
    expect(row).to_be_visible()
    expect(row).to_contain_text("北门厕所没有手纸了")
    assert staff.evaluate("window.__sameDocument") is True
    shot(staff, "journey-staff-2-inbox-live")

    # the staff member takes the case on
    row.locator("a").click()
    expect(staff.locator(".case-ref")).to_have_text(reference)
    assert_photos_shown(staff, 1)
    staff.click("form[action$='/claim'] button[type=submit]")
    expect(staff.locator("form[action$='/hand-back'] button[type=submit]")).to_be_visible()
    expect(staff.locator(".thread-list")).to_contain_text("王园长")
    expect(staff.locator(".case-top .badge")).to_have_text("已受理")
    shot(staff, "journey-staff-3-claimed")

    # ...answers from a ready-made template (choosing it fills the reply in)
    staff.select_option("#template", label="已补充手纸")
    staff.wait_for_url(re.compile(r"[?&]template=\d+"))
    reply = staff.locator("#body")
    expect(reply).to_have_value(re.compile("北门厕所的手纸已经补充好了"))
    staff.select_option("#status", "resolved")
    shot(staff, "journey-staff-4-template-reply")
    staff.click("#reply form[method=post] button[type=submit]")
    expect(staff.locator(".thread-list")).to_contain_text("北门厕所的手纸已经补充好了")
    shot(staff, "journey-staff-5-replied")
    wait_until_live(staff)
    expect(staff.locator("#case-changed")).to_be_hidden()

    # the visitor reads the answer and says it is not fixed
    visitor.reload()
    expect(visitor.locator(".entry-reply")).to_contain_text("北门厕所的手纸已经补充好了")
    expect(visitor.locator(".status strong")).to_have_text("已解决")
    shot(visitor, "journey-visitor-4-reply")
    visitor.fill("#not-fixed-body", "还是没有纸")
    visitor.click("form[action$='/not-fixed'] button[type=submit]")
    expect(visitor.locator(".status strong")).to_have_text("处理中")
    shot(visitor, "journey-visitor-5-not-fixed")
    assert_fits_the_screen(visitor)  # the tracking page at its fullest: rating, follow-up

    # the staff member, still on the case page, is told at once
    expect(staff.locator("#case-changed")).to_be_visible()
    shot(staff, "journey-staff-6-reopened-live")
    staff.click("#case-changed a")
    expect(staff.locator(".case-top .badge")).to_have_text("处理中")
    expect(staff.locator(".thread-list")).to_contain_text("还是没有纸")


def test_visitor_journey_works_without_javascript(site, new_context):
    page = new_context(java_script_enabled=False).new_page()
    submit_case_as_visitor(page, site, "长椅坏了，有钉子露出来", "nojs-visitor")
    expect(page.locator(".thread-list")).to_contain_text("长椅坏了")


def test_visitor_form_error_state_without_javascript(site, new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site.form_url())
    page.click("form.feedback-form button[type=submit]")
    expect(page.locator(".form-problem")).to_be_visible()
    expect(page.locator("#body")).to_have_attribute("aria-invalid", "true")
    shot(page, "nojs-visitor-error")


def test_pages_are_english_with_accept_language_en(site, new_context):
    context = new_context(locale="en-US")
    staff = context.browser.new_context(locale="en-US", viewport={"width": 360, "height": 740})
    try:
        visitor = context.new_page()
        pages: dict[str, str] = {}
        visitor.goto(site.form_url())
        pages["form"] = visible_text_outside_user_content(visitor)
        shot(visitor, "english-1-form")
        visitor.click("form.feedback-form button[type=submit]")
        visitor.wait_for_selector(".form-problem")
        visitor.wait_for_load_state("load")
        pages["form with errors"] = visible_text_outside_user_content(visitor)
        shot(visitor, "english-2-errors")
        visitor.click("label[for=category-noise]")
        visitor.fill("#body", "Loud music at the gate")
        visitor.click("form.feedback-form button[type=submit]")
        visitor.wait_for_url(re.compile(r"/t/"))
        visitor.wait_for_load_state("load")
        pages["tracking"] = visible_text_outside_user_content(visitor)
        shot(visitor, "english-3-tracking")

        desk = staff.new_page()
        desk.goto(f"{site.url}/staff/login")
        pages["staff login"] = visible_text_outside_user_content(desk)
        log_in_staff(desk, site)
        wait_until_live(desk)
        pages["inbox"] = visible_text_outside_user_content(desk)
        desk.locator(".case-row", has_text="Loud music").locator("a").click()
        desk.wait_for_selector(".actions")
        desk.wait_for_load_state("load")
        pages["case"] = visible_text_outside_user_content(desk)
        shot(desk, "english-4-case")
    finally:
        staff.close()
    chinese = {name: CJK.findall(text) for name, text in pages.items() if CJK.search(text)}
    assert chinese == {}, chinese
    assert "Send to the park" in pages["form"]


def test_large_text_switch_works_without_javascript_and_is_remembered(site, new_context):
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site.form_url())
    size = "() => parseFloat(getComputedStyle(document.querySelector('#body')).fontSize)"
    normal = page.evaluate(size)
    page.click("a[href$='?text=large']")
    page.wait_for_url("**?text=large")
    page.goto(site.form_url(2))  # another page: the choice was remembered
    assert page.evaluate(size) >= normal * 1.2
    shot(page, "large-text-form")
    page.click("a[href$='?text=normal']")
    page.wait_for_url("**?text=normal")
    page.wait_for_load_state("load")  # the stylesheet is applied
    assert page.evaluate(size) == normal


def test_inbox_cards_count_on_without_a_reload(site, new_context):
    """A card says how long ago the message came and counts its time limit on: left on the
    page past its deadline, it says "overdue", not the countdown it was drawn with."""
    visitor = new_context().new_page()
    # a spot of its own: at the journey's spot this would join its open case ("me too")
    reference = submit_case_as_visitor(visitor, site, "长椅上有口香糖", "clock-visitor", spot=3)
    staff = new_context().new_page()
    staff.clock.install()
    log_in_staff(staff, site)
    row = staff.locator(".case-row", has_text=reference)
    deadline = row.locator('[data-role="deadline"]')
    expect(deadline).to_contain_text("剩余")
    expect(row.locator('[data-role="received"]')).to_have_text(re.compile(r"^(刚刚|\d+分钟前)$"))
    due_ms = staff.evaluate("node => Date.parse(node.dataset.due)", deadline.element_handle())
    # the phone's clock jumps to 12 minutes past the limit; the page's next tick sees it
    staff.clock.set_system_time(due_ms / 1000 + 12 * 60 + 5)
    staff.clock.fast_forward(31_000)
    expect(deadline).to_have_text(re.compile(r"^认领 · 超时 12 分钟$"))
    expect(row).to_have_class(re.compile(r"\bis-overdue\b"))
    expect(row.locator('[data-role="received"]')).to_have_text(re.compile(r"^\d+(分钟|小时|天)前$"))
    shot(staff, "clock-staff-overdue")


def test_a_page_whose_session_ended_says_so_and_offers_the_login(site, new_context):
    """Logged out on another phone: the open inbox says so at once (not "reconnecting…" for
    ever) and links to the login."""
    left_open = new_context().new_page()
    log_in_staff(left_open, site, email="cleaning@ritan.demo")
    wait_until_live(left_open)
    other_phone = new_context().new_page()
    log_in_staff(other_phone, site, email="cleaning@ritan.demo")
    other_phone.click("form[action$='/logout'] button[type=submit]")
    notice = left_open.locator("#logged-out")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("已退出登录")
    expect(left_open.locator("#live-state")).to_be_hidden()
    shot(left_open, "session-ended-inbox")
    notice.locator("a").click()
    left_open.wait_for_url(re.compile(r"/staff/login\?next="))


def test_staff_take_a_call_down_on_a_phone_with_a_photo(site, new_context):
    staff = new_context().new_page()
    log_in_staff(staff, site, email="security@ritan.demo")
    staff.click("#take-case-down")
    staff.wait_for_url(re.compile(r"/staff/cases/new$"))
    staff.select_option("#spot", site.spots[1]["code"])
    staff.click("label[for=channel-counter]")
    staff.click("label[for=category-noise]")
    staff.fill("#body", "窗口来访：东门广场舞音响太吵")
    staff.set_input_files("#photos", files=[
        {"name": "gate.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps_rotated(600, 400)}])
    assert_fits_the_screen(staff)
    shot(staff, "take-down-1-form")
    staff.click("form.new-case-form button[type=submit]")
    staff.wait_for_url(re.compile(r"/staff/cases/\d+$"))
    expect(staff.locator(".thread-list")).to_contain_text("窗口来访")
    expect(staff.locator(".thread-list")).to_contain_text("李队长")
    assert_photos_shown(staff, 1)
    shot(staff, "take-down-2-case")


def test_a_visitor_reporting_a_danger_is_told_to_call_first(site, new_context):
    visitor = new_context().new_page()
    visitor.goto(site.form_url(2))
    expect(visitor.locator('[data-role="emergency"] a[href="tel:110"]')).to_be_visible()
    assert_fits_the_screen(visitor)
    shot(visitor, "danger-1-form")
    visitor.click("label[for=category-other]")
    visitor.fill("#body", "有个小孩掉进湖里了，快来人")
    visitor.click("form.feedback-form button[type=submit]")
    visitor.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
    banner = visitor.locator('.emergency-now[role="alert"]')
    expect(banner).to_be_visible()
    expect(banner.locator('a[href="tel:120"]')).to_be_visible()
    # the banner is the first thing on the page, above the reference
    assert banner.bounding_box()["y"] < visitor.locator(".reference").bounding_box()["y"]
    assert_fits_the_screen(visitor)
    shot(visitor, "danger-2-tracking")


# each filter's width, and the width its chosen option's words need (its font, plus the
# select's padding and arrow)
FILTER_WIDTHS = """() => [...document.querySelectorAll('.filter-form select')].map(select => {
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const words = context.measureText(select.options[select.selectedIndex].text).width;
  const around = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight) + 16;
  return {box: select.getBoundingClientRect().width, needs: Math.ceil(words + around)};
})"""


@pytest.mark.parametrize(("locale", "viewport"), [("zh-CN", None), ("en", DESKTOP)])
def test_the_inbox_filters_show_their_whole_choice(site, new_context, locale, viewport):
    """Park, category and channel: each filter shows the words of its choice, on a phone (one
    under the other) as on a desktop (side by side), never a letter and an arrow."""
    options = {"viewport": viewport, "has_touch": False} if viewport else {}
    page = new_context(locale=locale, **options).new_page()
    log_in_staff(page, site)
    filters = page.evaluate(FILTER_WIDTHS)
    assert len(filters) == 3
    for each in filters:
        assert each["box"] >= each["needs"], filters
    assert_fits_the_screen(page)
    page.locator(".filter-form").scroll_into_view_if_needed()
    shot(page, f"inbox-filters-{'desktop' if viewport else '360'}-{locale}")

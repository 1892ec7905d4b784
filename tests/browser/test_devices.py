"""Pages that ask for a device, in Chromium: the visitor's voice note recorded from a (fake)
microphone and heard by staff (issue 23, point 6), and the staff's "nearest spot" from the
phone's location (issue 19, point 1). Each page's Permissions-Policy must let it ask."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect

from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    assert_fits_the_screen,
    log_in_staff,
    shot,
)

pytestmark = pytest.mark.browser

# Chromium's fake microphone (a beeping tone) and no permission prompt
FAKE_MEDIA = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


@pytest.fixture(scope="module")
def media_browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                         args=[*CHROMIUM_ARGS, *FAKE_MEDIA])
    yield browser
    browser.close()


def media_duration(page: Page, selector: str) -> float:
    """The length the browser's own player finds in the sound behind an <audio> element."""
    return float(page.evaluate("""(selector) => new Promise((resolve, reject) => {
        const audio = document.querySelector(selector);
        const done = () => Number.isFinite(audio.duration) ? resolve(audio.duration) : null;
        audio.addEventListener('loadedmetadata', done);
        audio.addEventListener('durationchange', done);
        audio.addEventListener('error', () => reject(new Error('cannot play: ' +
            (audio.error && audio.error.code))));
        audio.preload = 'metadata';
        audio.load();
    })""", selector))


def test_a_visitor_holds_the_button_speaks_and_staff_hear_it(site, media_browser):
    context = media_browser.new_context(viewport=PHONE, locale="zh-CN", has_touch=True,
                                        permissions=["microphone"])
    try:
        visitor = context.new_page()
        visitor.goto(site.form_url(1))
        record = visitor.locator("#voice-record")
        expect(record).to_be_visible()
        expect(record).to_contain_text("按住说话")
        expect(visitor.locator("#voice")).to_be_hidden()  # the recorder fills it
        visitor.click("label[for=category-other]")
        record.scroll_into_view_if_needed()
        box = record.bounding_box()
        assert box is not None
        visitor.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        visitor.mouse.down()
        expect(visitor.locator("#voice-status")).to_contain_text("正在录音")
        expect(record).to_contain_text("松开结束", timeout=5_000)
        visitor.wait_for_timeout(2_500)
        shot(visitor, "voice-1-recording")
        visitor.mouse.up()
        expect(visitor.locator("#voice-status")).to_contain_text("语音已录好")
        expect(visitor.locator("#voice-preview")).to_be_visible()
        assert visitor.evaluate("document.getElementById('voice').files.length") == 1
        recorded = media_duration(visitor, "#voice-preview") \
            if visitor.evaluate("isFinite(document.getElementById('voice-preview').duration)") \
            else None
        assert_fits_the_screen(visitor)
        shot(visitor, "voice-2-ready")
        visitor.click("form.feedback-form button[type=submit]")
        visitor.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
        expect(visitor.locator(".voice-note")).to_contain_text("您的语音")
        shot(visitor, "voice-3-tracking")
        reference = visitor.locator(".reference").inner_text().strip()

        staff = context.new_page()
        log_in_staff(staff, site)
        staff.goto(f"{site.url}/staff/")
        row = staff.locator(".case-row", has_text=reference)
        expect(row.locator(".case-excerpt")).to_contain_text("语音")
        row.locator(".case-link").click()
        staff.wait_for_url(re.compile(r"/staff/cases/\d+$"))
        note = staff.locator(".thread-list .voice-note")
        expect(note).to_contain_text("语音")
        seconds = media_duration(staff, ".thread-list .voice-note audio")
        # held about 3 s (2.5 s after the recording said so): the stored note is that long
        assert 2.0 <= seconds <= 6.0, (seconds, recorded)
        assert_fits_the_screen(staff)
        shot(staff, "voice-4-staff-case")
    finally:
        context.close()


def test_a_tap_starts_and_a_second_tap_stops(site, media_browser):
    context = media_browser.new_context(viewport=PHONE, locale="en", has_touch=True,
                                        permissions=["microphone"])
    try:
        visitor = context.new_page()
        visitor.goto(site.form_url(0) + "?lang=en")
        visitor.click("#voice-record")
        expect(visitor.locator("#voice-status")).to_contain_text("Recording")
        expect(visitor.locator("#voice-record")).to_contain_text("Tap to stop")
        visitor.wait_for_timeout(1_500)
        visitor.click("#voice-record")
        expect(visitor.locator("#voice-status")).to_contain_text("ready")
        visitor.click("#voice-discard")
        assert visitor.evaluate("document.getElementById('voice').files.length") == 0
        expect(visitor.locator("#voice-preview")).to_be_hidden()
    finally:
        context.close()


def test_staff_find_the_nearest_spot_from_the_phones_location(site, new_context):
    context = new_context(permissions=["geolocation"])
    staff = context.new_page()
    log_in_staff(staff, site, email="security@ritan.demo")
    staff.goto(f"{site.url}/staff/cases/new")
    placed = staff.locator("#spot option[data-lat]")
    assert placed.count() >= 3
    target = placed.nth(2)
    value = target.get_attribute("value")
    latitude = float(target.get_attribute("data-lat") or "nan")
    longitude = float(target.get_attribute("data-lon") or "nan")
    # a few metres from that spot
    context.set_geolocation({"latitude": latitude + 0.00002, "longitude": longitude})
    assert staff.locator("#spot").input_value() != value
    staff.click("#nearest-spot")
    expect(staff.locator("#nearest-result")).to_contain_text(" m")
    assert staff.locator("#spot").input_value() == value
    shot(staff, "take-down-nearest-spot")

"""Visitors keep their case (issue 15, point 5) in a real browser: photos made small on the
phone, the 429 form that keeps what they wrote, and the tracking page's own link.

Screenshots at 360 px go to test-output/browser/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import Site, assert_fits_the_screen, served_site, shot

pytestmark = pytest.mark.browser


def camera_photo(width: int = 4000, height: int = 3000) -> bytes:
    """A photo as a phone's camera makes it: large, and noisy enough to weigh megabytes."""
    image = Image.effect_noise((width, height), 60).convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def fill_form(page: Page, body: str) -> None:
    page.click("label[for=category-toilets]")
    page.fill("#body", body)


def test_a_camera_photo_is_sent_at_most_2048_px_as_jpeg(site: Site, new_context) -> None:
    page = new_context().new_page()
    page.goto(site.form_url())
    fill_form(page, "洗手池的水龙头一直在漏水")
    original = camera_photo()
    assert len(original) > 4 * 1024 * 1024
    page.set_input_files("#photos", files=[
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}])
    with page.expect_request(lambda request: request.method == "POST") as sent:
        page.click("form.feedback-form button[type=submit]")
    # (Chromium does not show a file upload's body to Playwright: its size it does)
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
    assert sent.value.sizes()["requestBodySize"] < len(original) / 2
    # the stored photo has the phone's size: the server would have kept 2560 px (its own
    # limit, MAX_SIDE) of a 4000 px upload, and never enlarges
    image = page.locator(".photo-list img")
    expect(image).to_have_count(1)
    image.scroll_into_view_if_needed()
    expect(image).to_have_js_property("complete", True)
    assert image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [2048, 1536]


def test_without_scripts_the_photo_goes_as_it_is_and_the_server_limit_stands(
        site: Site, new_context) -> None:
    page = new_context(java_script_enabled=False).new_page()
    page.goto(site.form_url())
    fill_form(page, "照片太大")
    page.set_input_files("#photos", files=[
        {"name": "huge.jpg", "mimeType": "image/jpeg", "buffer": b"\xff\xd8" + b"0" * (17 << 20)}])
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.click("form.feedback-form button[type=submit]")
    assert answer.value.status == 413
    expect(page.locator("h1")).to_have_text("上传的文件太大")
    back = page.locator("a", has_text="返回留言页面")
    expect(back).to_have_attribute("href", re.compile(r"^/q/"))
    back.click()
    expect(page.locator("#body")).to_be_visible()


def _decoded_qr(page: Page) -> list[str]:
    with Image.open(io.BytesIO(page.locator(".track-qr").screenshot())) as image:
        return [result.text for result in
                zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)]


def test_the_tracking_page_keeps_its_link_as_a_qr_code_and_copies_it(site: Site,
                                                                      new_context) -> None:
    context = new_context(permissions=["clipboard-read", "clipboard-write"])
    page = context.new_page()
    page.goto(site.form_url())
    fill_form(page, "北门的路灯不亮了")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
    token = page.url.rsplit("/", 1)[1]
    link = page.locator("#track-link").input_value()
    assert link.endswith(f"/t/{token}")
    # the code on the screen, as a screenshot of it would show it, is the page's own link
    assert _decoded_qr(page) == [link]
    assert_fits_the_screen(page)
    page.locator("#keep-link").scroll_into_view_if_needed()
    shot(page, "tracking-page-zh")
    page.click("#copy-link")
    expect(page.locator("#link-status")).to_have_text("链接已复制")
    assert page.evaluate("navigator.clipboard.readText()") == link
    page.goto(page.url + "?lang=en")
    expect(page.locator("#keep-title")).to_have_text("Keep your link")
    assert _decoded_qr(page) == [link]
    assert_fits_the_screen(page)
    shot(page, "tracking-page-en")


def test_share_uses_the_phones_share_sheet_with_the_link(site: Site, new_context) -> None:
    page = new_context().new_page()
    # a phone's share sheet, recorded (headless Chromium has none)
    page.add_init_script("""
        window.__shared = [];
        navigator.share = (data) => { window.__shared.push(data); return Promise.resolve(); };
    """)
    page.goto(site.form_url())
    fill_form(page, "长椅坏了")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
    page.click("#share-link")
    shared = page.evaluate("window.__shared")
    assert [item["url"] for item in shared] == [page.locator("#track-link").input_value()]


# --- the 429 form, on a server whose limit is one message a minute ----------------------

@pytest.fixture(scope="module")
def limited_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    with served_site(tmp_path_factory.mktemp("limited"), "limited", RATELIMIT_ENABLED="1",
                     SUBMISSION_RATE_LIMIT="1 per minute",
                     SUBMISSION_ADDRESS_LIMIT="100 per minute") as served:
        yield served


def test_the_429_form_keeps_what_the_visitor_wrote_and_says_when(limited_site: Site,
                                                                 new_context) -> None:
    page = new_context().new_page()
    page.goto(limited_site.form_url())
    fill_form(page, "第一条留言")
    page.click("form.feedback-form button[type=submit]")
    page.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))
    page.goto(limited_site.form_url())
    fill_form(page, "第二条：东门台阶上有碎玻璃，小孩容易踩到")
    page.fill("#contact", "13900000000")
    with page.expect_response(lambda response: response.request.method == "POST") as answer:
        page.click("form.feedback-form button[type=submit]")
    assert answer.value.status == 429
    assert 0 < int(answer.value.headers["retry-after"]) <= 60
    expect(page.locator("#retry-later")).to_contain_text("留言太频繁了")
    expect(page.locator("#retry-later")).to_contain_text(re.compile(r"\d\d:\d\d"))
    expect(page.locator("#body")).to_have_value("第二条：东门台阶上有碎玻璃，小孩容易踩到")
    expect(page.locator("#contact")).to_have_value("13900000000")
    expect(page.locator("#category-toilets")).to_be_checked()
    assert_fits_the_screen(page)
    shot(page, "form-429-zh")
    # in English too: still too soon, the form comes back again
    page.goto(limited_site.form_url() + "?lang=en")
    fill_form(page, "Broken glass on the east gate steps")
    page.click("form.feedback-form button[type=submit]")
    expect(page.locator("#retry-later")).to_contain_text("Too many messages for now")
    expect(page.locator("#body")).to_have_value("Broken glass on the east gate steps")
    assert_fits_the_screen(page)
    shot(page, "form-429-en")
    # another phone behind the same address is not refused
    other = new_context().new_page()
    other.goto(limited_site.form_url())
    fill_form(other, "另一部手机")
    other.click("form.feedback-form button[type=submit]")
    other.wait_for_url(re.compile(r"/t/[A-Za-z0-9_-]+$"))

"""Chromium at 360 px: a visitor unsure of the category picks Other, the words say noise;
the case is filed under Noise and staff see why with a one-tap undo (issue 23, point 1)."""

from __future__ import annotations

from tests.browser.conftest import log_in_staff, shot


def test_other_with_clear_words_is_filed_under_the_suggestion_and_undone(site, new_context):
    visitor = new_context().new_page()
    visitor.goto(site.form_url(1))
    visitor.click("label[for=category-other]")
    visitor.fill("#body", "分类测试：广场舞音响太吵了，晚上九点还在放")
    visitor.click("form.feedback-form button[type=submit]")
    visitor.wait_for_url("**/t/**")
    staff = new_context().new_page()
    log_in_staff(staff, site)
    staff.locator(".case-row", has_text="分类测试").locator("a").click()
    staff.wait_for_selector("#category-suggested")
    assert "噪音" in staff.inner_text(".facts")
    assert "其他" in staff.inner_text("#category-suggested")
    shot(staff, "classify-case-suggested")
    staff.click("#undo-suggestion")
    staff.wait_for_selector("#refile")
    assert staff.locator("#category-suggested").count() == 0
    assert "其他" in staff.inner_text(".facts")

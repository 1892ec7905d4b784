"""A director takes the hotline's export in on a phone, places the ticket whose address
names no spot, and writes its 回单 (issue 19, point 2)."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.conftest import assert_fits_the_screen, log_in_staff, shot


def test_a_director_takes_tickets_in_places_one_and_writes_its_reply(site, new_context):
    spot = site.spots[0]
    export = ("工单编号,受理时间,地址,诉求类别,诉求内容,联系电话\n"
              f"GD-B1,2026-12-01 09:30,{spot['park']} {spot['name']},厕所,厕所没有纸了,"
              "13912345678\n"
              "GD-B2,2026-12-01 10:00,朝阳区某街道12号,噪音,晚上广场舞太吵,13800001111\n")
    page = new_context().new_page()
    log_in_staff(page, site, "director@ritan.demo", "/staff/")
    page.get_by_role("link", name="12345").first.click()
    page.wait_for_url(f"{site.url}/staff/hotline")
    page.set_input_files("#file", files=[{"name": "12345.csv", "mimeType": "text/csv",
                                          "buffer": export.encode("gb18030")}])
    page.get_by_role("button", name="导入工单").click()
    page.wait_for_url(f"{site.url}/staff/hotline")
    expect(page.locator(".flash").first).to_contain_text("1 张工单已成为案件，1 张等待定位")
    waiting = page.locator("#waiting article")
    expect(waiting).to_have_count(1)
    expect(waiting).to_contain_text("朝阳区某街道12号")
    assert_fits_the_screen(page)
    shot(page, "hotline-phone")
    waiting.locator("select").select_option(site.spots[1]["code"])
    waiting.get_by_role("button").click()
    page.wait_for_url(lambda url: "/staff/cases/" in url)
    hotline = page.locator("#hotline")
    expect(hotline).to_contain_text("12345 工单 GD-B2")
    expect(hotline).to_contain_text("13800001111")
    hotline.locator("#contact_made").select_option("contacted")
    hotline.locator("#result").select_option("resolved")
    hotline.locator("#hotline-body").fill("已与广场舞队沟通，晚八点后降低音量，已电话告知市民。")
    hotline.locator("#hotline-resolve").check()
    hotline.get_by_role("button", name="保存回单").click()
    page.wait_for_url(lambda url: "#hotline" in url)
    expect(page.locator("#hotline-replied")).to_contain_text("已联系")
    expect(page.locator("[data-role=status]")).to_have_text("已解决")
    assert_fits_the_screen(page)
    shot(page, "hotline-case-phone")

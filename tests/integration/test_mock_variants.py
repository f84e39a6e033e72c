"""What may differ on the real portal, by hand in a real Chromium: the structural variants
(search_table, columns), renamed labels, the captcha, and a DOM with nothing only a robot uses."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
from playwright.async_api import expect

from fixtures.mock_portal.client import MockClient, MockPortal
from fixtures.mock_portal.pages import MockPortalPage, masked

BRANCH = "计算机与信息学院2021级软件工程1班团支部"
STATIC = Path(__file__).resolve().parents[2] / "fixtures" / "mock_portal" / "static"
# Attributes a test harness adds for itself; the real portal has none of them.
TOOL_ONLY = re.compile(r"data-(field|card|rpa|testid|test-id|test|cy|qa|e2e|automation)\b")
ALL_ATTRIBUTES = "() => [...new Set([...document.querySelectorAll('*')].flatMap(e => [...e.attributes].map(a => a.name)))]"


@pytest.fixture(scope="module")
def search_table(tmp_path_factory):
    with MockPortal.start(db=tmp_path_factory.mktemp("v") / "portal.db", variant="search_table") as server:
        yield server


@pytest.fixture(scope="module")
def columns(tmp_path_factory):
    with MockPortal.start(db=tmp_path_factory.mktemp("v") / "portal.db", variant="columns") as server:
        yield server


@pytest.fixture(scope="module")
def relabelled(tmp_path_factory):
    folder = tmp_path_factory.mktemp("labels")
    labels = folder / "labels.json"
    renamed = {"转出原因": "转出类型", "升学": "升学深造", "工作单位地址": "地址", "请输入工作单位地址": "请输入地址"}
    labels.write_text(json.dumps(renamed, ensure_ascii=False), encoding="utf-8")
    with MockPortal.start(db=folder / "portal.db", captcha="fixed", labels=labels) as server:
        yield server


async def signed_in(browser, server, captcha: str | None = None):
    """A new context on `server`, signed in as the school's admin and on 办理转出."""
    client = MockClient(server.url)
    client.reset()
    context = await browser.new_context(base_url=server.url, locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    ui = MockPortalPage(await context.new_page())
    await ui.sign_in(client.accounts()[0], captcha=captcha)
    await ui.enter_center()
    await ui.open_transfer_out()
    return context, ui, client


# --- search_table -------------------------------------------------------------------------------


@pytest.mark.parametrize("by", ["按姓名", "按身份证号"])
async def test_search_table_chooses_the_member_in_a_search_dialog(browser, search_table, by, shots):
    context, ui, client = await signed_in(browser, search_table)
    try:
        member = client.members(branch=BRANCH)[4]
        await expect(ui.pick_card.get_by_label("转出团支部")).to_have_count(0)
        await expect(ui.pick_card.get_by_label("转出人", exact=True)).not_to_be_editable()
        await ui.pick_card.get_by_role("button", name="选择").click()
        dialog = ui.dialog("选择转出人")
        headers = await dialog.locator(".el-table__header-wrapper th").all_inner_texts()
        assert headers == ["姓名", "身份证号", "所在团支部", "操作"]
        await ui.page.keyboard.press("Escape")
        await expect(dialog).to_be_hidden()
        await ui.search_member(member, by=by)
        await expect(ui.pick_card.get_by_label("转出人", exact=True)).to_have_value(f"{member['name']}（{masked(member['id_number'])}）")
        await expect(ui.form_card.get_by_label("转出团支部", exact=True)).to_have_value(BRANCH)
        await ui.fill_common()
        await ui.choose("转出原因", "转往特殊单位团组织")
        await ui.page.screenshot(path=shots / "search_table.png", full_page=True)
        await ui.submit()
        await expect(ui.toast("申请迁移成功")).to_be_visible()
        (app,) = client.applications()
        assert (app["id_number"], app["from_branch"]) == (member["id_number"], BRANCH)
    finally:
        await context.close()


# --- columns ------------------------------------------------------------------------------------


async def test_columns_picks_the_target_one_select_per_level_and_stops_at_a_leaf(browser, columns, shots):
    context, ui, client = await signed_in(browser, columns)
    try:
        member = client.members(branch=BRANCH)[0]
        path = ["团山东省委", "团德州市委", "团陵城区委", "团安德街道工委", "安德街道青年之家"]
        await ui.choose_member(member)
        await ui.fill_common()
        await ui.choose("转出原因", "未落实工作单位")
        target = ui.field("申请转入组织")
        await expect(target.locator(".el-cascader")).to_have_count(0)
        await expect(target.locator(".el-select")).to_have_count(1)
        await ui.pick_org_by_columns(path)
        await expect(target.locator(".el-select")).to_have_count(5)  # 青年之家 (08QNZJ) is a leaf: no 6th
        await ui.page.screenshot(path=shots / "columns.png", full_page=True)
        await ui.submit()
        await expect(ui.toast("申请迁移成功")).to_be_visible()
        assert client.applications()[0]["target_path"] == path
    finally:
        await context.close()


async def test_columns_choosing_a_higher_level_again_drops_the_columns_below(browser, columns):
    context, ui, client = await signed_in(browser, columns)
    try:
        await ui.choose_member(client.members(branch=BRANCH)[1])
        await ui.fill_common()
        await ui.choose("转出原因", "其他")
        await ui.pick_org_by_columns(["团湖北省委", "团宜昌市委", "团西陵区委"])
        target = ui.field("申请转入组织")
        await ui.choose_option(target.locator(".el-select").first, "中央和国家机关团工委")
        await expect(target.locator(".el-select")).to_have_count(2)
        await ui.choose_option(target.locator(".el-select").nth(1), "教育部团委")
        await ui.page.wait_for_load_state("networkidle")
        await expect(target.locator(".el-select")).to_have_count(2)  # nothing below it: no new column
        await ui.submit()
        await expect(ui.toast("申请迁移成功")).to_be_visible()
        assert client.applications()[0]["target_path"] == ["中央和国家机关团工委", "教育部团委"]
    finally:
        await context.close()


# --- labels and the captcha ---------------------------------------------------------------------


async def test_labels_can_be_renamed_while_stored_values_stay_canonical(browser, relabelled):
    client = MockClient(relabelled.url)
    context, ui, _ = await signed_in(browser, relabelled, captcha=client.captcha())
    try:
        await ui.choose_member(client.members(branch=BRANCH)[0])
        await expect(ui.form_card.get_by_label("转出类型")).to_be_visible()
        await ui.fill_common()
        await ui.choose("转出类型", "已落实工作单位（工作单位有团组织）")
        await ui.form_card.get_by_role("button", name="提交").click()
        await expect(ui.field("地址").locator(".el-form-item__error")).to_have_text("请输入地址")
        await ui.fill("工作单位名称", "海尔集团")
        await ui.fill("地址", "山东省青岛市崂山区海尔路1号")
        await ui.pick_org(["团山东省委", "团青岛市委", "海尔集团团委"])
        await ui.submit()
        await expect(ui.toast("申请迁移成功")).to_be_visible()
        (app,) = client.applications()
        assert (app["reason"], app["target_unit_address"]) == ("已落实工作单位（工作单位有团组织）", "山东省青岛市崂山区海尔路1号")
    finally:
        await context.close()


async def test_the_captcha_is_an_image_beside_its_input_and_is_checked(browser, relabelled):
    client = MockClient(relabelled.url)
    account = client.accounts()[0]
    context = await browser.new_context(base_url=relabelled.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = await context.new_page()
        await page.goto("/zhtj/signin")
        await expect(page.locator("img#codeImage")).to_have_attribute("alt", "验证码")
        await expect(page.get_by_role("img", name="验证码")).to_be_visible()
        await expect(page.get_by_label("验证码")).to_have_id("yzm")
        await page.get_by_label("账号").fill(account["username"])
        await page.get_by_label("密码").fill(account["password"])
        await page.get_by_label("验证码").fill("XXXX")
        await page.get_by_role("button", name="登录").click()
        await expect(page.locator(".el-message--error")).to_have_text("验证码错误，请重新输入")
        await expect(page.get_by_label("验证码")).to_have_value("")
        await MockPortalPage(page).sign_in(account, captcha=client.captcha())
    finally:
        await context.close()


# --- nothing only a robot uses --------------------------------------------------------------------


def test_no_served_file_carries_a_tool_only_attribute(mock_server):
    with urllib.request.urlopen(mock_server.url + "/zhtj/signin") as resp:
        html = resp.read().decode("utf-8")
    scripts = re.findall(r'src="(/static/[^"]+)"', html)
    assert len(scripts) >= 9
    for path in ["/zhtj/signin", *scripts, "/static/app.css"]:
        with urllib.request.urlopen(mock_server.url + path) as resp:
            text = resp.read().decode("utf-8")
        assert not TOOL_ONLY.search(text), path
    assert {p.name for p in STATIC.iterdir()} >= {Path(s).name for s in scripts}


async def test_no_page_renders_a_tool_only_attribute(page, account, portal):
    member = portal.members(branch=BRANCH)[0]
    portal.add_application(member["id_number"], "升学", target_path=["团湖北省委", "三峡大学团委"])
    ui = MockPortalPage(page)
    seen: set[str] = set()

    async def look() -> None:
        seen.update(await page.evaluate(ALL_ATTRIBUTES))

    await page.goto("/zhtj/signin")
    await look()
    await ui.sign_in(portal.accounts()[0])
    await look()
    await ui.enter_center()
    await ui.open_approvals()
    await page.locator("#pane-first .el-table__body-wrapper").get_by_role("button", name="查看").click()
    await look()
    await page.keyboard.press("Escape")
    await ui.open_transfer_out()
    await ui.choose_member(portal.members(branch=BRANCH)[1])
    await ui.fill_common()
    await ui.choose("转出原因", "升学")
    await ui.field("申请转入组织").get_by_placeholder("请选择...").click()
    await expect(page.locator(".el-cascader__dropdown:visible")).to_be_visible()
    await look()
    assert not [name for name in seen if TOOL_ONLY.match(name)]
    # Element UI's own bookkeeping (the collapse transition) is the only data-* left.
    assert {name for name in seen if name.startswith("data-")} <= {"data-old-overflow", "data-old-padding-top",
                                                                    "data-old-padding-bottom"}

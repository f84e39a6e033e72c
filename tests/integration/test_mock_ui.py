"""The mock's pages in a real Chromium: what a secretary sees and what the portal stores."""

from __future__ import annotations

import json

import pytest
import pytest_asyncio
from playwright.async_api import expect

from fixtures.mock_portal.client import MockClient, MockPortal, PortalSession
from fixtures.mock_portal.pages import MockPortalPage

BRANCH = "计算机与信息学院2021级软件工程1班团支部"


@pytest_asyncio.fixture
async def ui(page, account) -> MockPortalPage:
    """Signed in as the school's admin, on 办理转出."""
    portal_page = MockPortalPage(page)
    await portal_page.sign_in(account)
    await portal_page.open_transfer_out()
    return portal_page


@pytest.fixture
def member(portal) -> dict:
    return portal.members(branch=BRANCH)[0]


@pytest.fixture
def api(mock_server, account) -> PortalSession:
    session = PortalSession(mock_server.url)
    session.login(account)
    return session


def league_id(api: PortalSession, path: list[str]) -> int:
    pid = ""
    for name in path:
        pid = next(n["leagueId"] for n in api.call("getorgtree", pid=pid)["results"] if n["leagueName"] == name)
    return pid


def apply_by_api(api: PortalSession, member: dict, **form) -> int:
    branch = next(b for b in api.call("branches")["results"] if b["branchName"] == member["branch"])
    rows = api.call("members", branchId=branch["branchId"])["results"]
    mid = next(r["memberId"] for r in rows if r["idNumber"] == member["id_number"])
    base = {"memberId": mid, "phone": member["phone"], "contact": "13900001111", "reasonCode": "02", "provinceFlag": "0"}
    answer = api.call("transfer/apply", **{**base, **form})
    assert answer["retCode"] == 1000, answer
    return answer["results"]["applicationId"]


async def test_a_wrong_password_shows_an_error_message(page, account):
    await page.goto("/zhtj/signin")
    await page.get_by_label("账号").fill(account["username"])
    await page.get_by_label("密码").fill("wrong")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator(".el-message--error")).to_have_text("账号或密码错误")
    await expect(page.get_by_label("验证码")).to_have_count(0)  # captcha off: no captcha field


async def test_the_center_without_a_session_goes_to_sign_in(page):
    await page.goto("/zhtj/center/transfer/out")
    await page.wait_for_url("**/zhtj/signin**")
    await expect(page.get_by_role("button", name="登录")).to_be_visible()


async def test_choosing_a_member_prefills_the_form_with_the_branch_contacts(ui, member, shots):
    await ui.choose_member(member)
    await expect(ui.field("转出人姓名").locator("input")).to_have_value(member["name"])
    await expect(ui.field("转出人身份证号码").locator("input")).to_have_value(member["id_number"][:4] + "*" * 10 + member["id_number"][-4:])
    await expect(ui.field("转出人手机号").locator("input")).to_have_value(member["phone"])
    await expect(ui.field("转出团支部").locator("input")).to_have_value(BRANCH)
    for canonical in ("转出团支部管理员", "转出团支部联系方式", "转出团支部的直属上级联系方式", "申请时间"):
        await expect(ui.field(canonical).locator("input")).not_to_have_value("")
    labels = await ui.form_card.locator(".el-form-item__label").all_inner_texts()
    assert labels[:10] == [
        "转出人姓名", "转出人身份证号码", "转出人手机号", "常用联系人的联系方式", "转出团支部", "转出团支部管理员",
        "转出团支部联系方式", "转出团支部的直属上级联系方式", "转入组织是否属于北京/广东/福建", "转出原因",
    ]
    await expect(ui.current_stage()).to_have_text("提交接转申请")
    await ui.page.screenshot(path=shots / "form.png", full_page=True)


async def test_a_study_transfer_is_stored_with_its_study_type_and_tree_path(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "升学")
    await ui.choose("升学类型", "高等职业院校")
    await ui.pick_org(["团江苏省委", "南京工业大学团委", "计算机学院团总支"])
    await ui.fill("备注", "录取为研究生")
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    await expect(ui.current_stage()).to_have_text("转出组织审批")
    await expect(ui.page.get_by_role("link", name="我的组织关系接转历史")).to_be_visible()
    (app,) = portal.applications()
    assert app["id_number"] == member["id_number"] and app["from_branch"] == BRANCH
    assert (app["reason"], app["study_type"], app["remark"]) == ("升学", "高等职业院校", "录取为研究生")
    assert app["target_path"] == ["团江苏省委", "南京工业大学团委", "计算机学院团总支"]
    assert app["province_flag"] is False and app["contact"] == "13900001111"


async def test_an_employment_transfer_is_stored_with_the_central_enterprise_path(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "已落实工作单位（工作单位有团组织）")
    await expect(ui.field("升学类型")).to_have_count(0)
    await ui.pick_org(["中央企业团工委", "国家电网有限公司团委", "国网山东省电力公司团委"])
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert app["reason"] == "已落实工作单位（工作单位有团组织）" and app["study_type"] is None
    assert app["target_path"] == ["中央企业团工委", "国家电网有限公司团委", "国网山东省电力公司团委"]


async def test_an_unplaced_graduate_goes_five_levels_down_to_a_street_branch(ui, member, portal):
    path = ["团山东省委", "团德州市委", "团陵城区委", "团安德街道工委", "安德街道学社衔接临时团支部"]
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "未落实工作单位")
    await ui.pick_org(path)
    await expect(ui.field("申请转入组织").get_by_placeholder("请选择...")).to_have_value(" / ".join(path))
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert (app["reason"], app["target_path"]) == ("未落实工作单位", path)


async def test_a_transfer_to_beijing_stores_the_province_and_the_full_name(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common(flag="是")
    await expect(ui.field("申请转入组织")).to_have_count(0)
    await ui.choose("转入省份", "北京")
    await ui.fill("转入组织全称", "共青团北京市海淀区中关村街道工作委员会")
    await ui.choose("转出原因", "已落实工作单位（工作单位无团组织）")
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert (app["province_flag"], app["province"]) == (True, "北京")
    assert app["target_full_name"] == "共青团北京市海淀区中关村街道工作委员会" and app["target_path"] is None


async def test_a_special_unit_transfer_has_no_target(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "转往特殊单位团组织")
    await expect(ui.field("申请转入组织")).to_have_count(0)
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert (app["reason"], app["target_path"], app["province_flag"]) == ("转往特殊单位团组织", None, False)


async def test_missing_fields_are_named_before_anything_is_sent(ui, member, portal):
    await ui.choose_member(member)
    await ui.form_card.get_by_role("button", name="提交").click()
    await expect(ui.field("常用联系人的联系方式")).to_contain_text("请输入常用联系人的联系方式")
    await expect(ui.field("转出原因")).to_contain_text("请选择转出原因")
    await expect(ui.page.get_by_role("dialog")).to_have_count(0)
    assert portal.applications() == []


async def test_a_second_transfer_for_the_same_member_shows_the_portals_refusal(ui, member, portal, api):
    apply_by_api(api, member, targetLeagueId=league_id(api, ["中央企业团工委"]))
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "转往特殊单位团组织")
    await ui.submit()
    await expect(ui.page.locator(".el-message--error")).to_have_text("已有业务正在办理，不能重复发起")
    await expect(ui.current_stage()).to_have_text("提交接转申请")
    assert len(portal.applications()) == 1


async def test_the_remark_stops_at_100_characters(ui, member):
    await ui.choose_member(member)
    await ui.fill("备注", "备" * 120)
    await expect(ui.field("备注").locator("textarea")).to_have_value("备" * 100)
    await expect(ui.field("备注")).to_contain_text("100/100")
    await expect(ui.field("备注").locator("textarea")).to_have_attribute("placeholder", "请输入备注, 最多100个字.....")


async def test_a_fresh_application_can_be_revoked_from_the_history(page, account, portal, api, member):
    apply_by_api(api, member, targetLeagueId=league_id(api, ["中央企业团工委"]))
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    await ui.open_history()
    await page.get_by_placeholder("请输入身份证号").fill(member["id_number"])
    await page.get_by_role("button", name="查询").click()
    row = page.get_by_role("row").filter(has_text=member["name"])
    await expect(row).to_contain_text("转出组织审批")
    await row.get_by_role("button", name="撤销申请").click()
    await page.get_by_role("dialog").get_by_role("button", name="确定").click()
    await expect(ui.toast("撤销成功")).to_be_visible()
    await expect(row).to_contain_text("已撤销")
    assert portal.applications()[0]["revoked"] is True


async def test_beijing_and_advanced_applications_offer_no_revoke(page, account, portal, api):
    members = portal.members(branch=BRANCH)
    apply_by_api(api, members[0], provinceFlag="1", province="福建", targetFullName="共青团厦门大学委员会")
    advanced = apply_by_api(api, members[1], targetLeagueId=league_id(api, ["中央企业团工委"]))
    portal.advance(advanced)
    apply_by_api(api, members[2], targetLeagueId=league_id(api, ["中央企业团工委"]))
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    await ui.open_history()
    await expect(page.get_by_role("row")).to_have_count(4)  # header + 3
    await expect(page.get_by_role("button", name="撤销申请")).to_have_count(1)
    await expect(page.get_by_role("row").filter(has_text=members[2]["name"]).get_by_role("button", name="撤销申请")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text=members[1]["name"])).to_contain_text("转入组织审批")


async def test_the_session_expires_after_n_requests_and_the_page_goes_to_sign_in(ui, member, portal):
    portal.faults(expire_after_requests=1)  # branches already counted; members is the next call
    await ui.choose_option(ui.pick_card.get_by_label("转出团支部"), member["branch"])
    await expect(ui.page.locator(".el-message--error")).to_have_text("您的登录已超时，请重新登录")
    await ui.page.wait_for_url("**/zhtj/signin**")


@pytest.fixture
def relabelled(tmp_path):
    labels = tmp_path / "labels.json"
    labels.write_text(json.dumps({"转出原因": "转出类型", "升学": "升学深造"}, ensure_ascii=False), encoding="utf-8")
    with MockPortal.start(db=tmp_path / "portal.db", captcha="fixed", labels=labels) as server:
        yield server


async def test_labels_can_be_renamed_while_data_fields_and_stored_values_stay_canonical(browser, relabelled):
    client = MockClient(relabelled.url)
    account = client.accounts()[0]
    context = await browser.new_context(base_url=relabelled.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        ui = MockPortalPage(await context.new_page())
        await ui.sign_in(account, captcha=client.captcha())
        await ui.open_transfer_out()
        member = client.members(branch=BRANCH)[0]
        await ui.choose_member(member)
        await expect(ui.field("转出原因").locator(".el-form-item__label")).to_have_text("转出类型")
        await ui.fill_common()
        await ui.choose("转出原因", "升学深造")
        await ui.choose("升学类型", "普通高校")
        await ui.pick_org(["团湖北省委", "三峡大学团委"])
        await ui.submit()
        await expect(ui.toast("申请迁移成功")).to_be_visible()
        assert client.applications()[0]["reason"] == "升学"
    finally:
        await context.close()


async def test_the_fixed_captcha_is_shown_as_an_image_and_checked(browser, relabelled):
    client = MockClient(relabelled.url)
    account = client.accounts()[0]
    context = await browser.new_context(base_url=relabelled.url, locale="zh-CN")
    context.set_default_timeout(10_000)
    try:
        page = await context.new_page()
        await page.goto("/zhtj/signin")
        await expect(page.get_by_role("img", name="验证码")).to_be_visible()
        await page.get_by_label("账号").fill(account["username"])
        await page.get_by_label("密码").fill(account["password"])
        await page.get_by_label("验证码").fill("XXXX")
        await page.get_by_role("button", name="登录").click()
        await expect(page.locator(".el-message--error")).to_have_text("验证码错误，请重新输入")
        await MockPortalPage(page).sign_in(account, captcha=client.captcha())
    finally:
        await context.close()

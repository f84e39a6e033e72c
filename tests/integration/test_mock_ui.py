"""The mock's pages in a real Chromium (async API): what a secretary sees and what the portal stores."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from fixtures.mock_portal.client import PortalSession
from fixtures.mock_portal.pages import TRANSFER_OUT, MockPortalPage, masked
from mockcalls import BRANCH, apply_ok

STREET_BRANCH = ["团山东省委", "团德州市委", "团陵城区委", "团安德街道工委", "安德街道学社衔接临时团支部"]
FORM_LABELS = [
    "转出人姓名", "转出人身份证号码", "转出人手机号", "常用联系人的联系方式", "转出团支部", "转出团支部管理员",
    "转出团支部联系方式", "转出团支部的直属上级联系方式", "转入组织是否属于北京/广东/福建", "转出原因",
]


@pytest.fixture
async def ui(page, account) -> MockPortalPage:
    """Signed in as the school's admin, in 管理中心, on 办理转出."""
    portal_page = MockPortalPage(page)
    await portal_page.sign_in(account)
    await portal_page.enter_center()
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


def apply_by_api(api: PortalSession, member: dict, **form) -> int:
    return apply_ok(api, member, **{"reasonCode": "07", **form})


# --- sign-in and navigation ------------------------------------------------------------------


async def test_a_wrong_password_shows_an_error_message_and_captcha_off_shows_no_captcha(page, account):
    await page.goto("/zhtj/signin")
    await expect(page.get_by_label("账号")).to_have_attribute("placeholder", "请输入身份证号")
    await page.get_by_label("账号").fill(account["username"])
    await page.get_by_label("密码").fill("wrong")
    await page.get_by_role("button", name="登录").click()
    await expect(page.locator(".el-message--error")).to_have_text("账号或密码错误")
    await expect(page.locator("#yzm, #codeImage")).to_have_count(0)


async def test_the_center_without_a_session_goes_to_sign_in(page):
    await page.goto("/zhtj/center/manage/transferout")
    await page.wait_for_url("**/zhtj/signin?redirect=**")
    await expect(page.get_by_role("button", name="登录")).to_be_visible()


async def test_the_admin_lands_on_a_personal_home_then_enters_the_center_by_the_top_bar(page, account, shots):
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    assert "#" not in page.url
    topbar = page.get_by_role("navigation").locator("> *")
    await expect(topbar).to_have_text(["切换其他组织", "进入管理中心", "操作中心", "系统设置", "帮助", "退出"])
    await expect(ui.card("个人信息")).to_contain_text("李文博")
    await expect(ui.card("个人信息")).to_contain_text("3714**********021X")
    await expect(page.get_by_role("menubar")).to_have_count(0)
    await page.screenshot(path=shots / "personal.png")
    await ui.enter_center()
    await expect(ui.menu.get_by_role("menuitem", name="组织关系转接办理", exact=True)).to_be_hidden()
    await ui.open_transfers()
    await expect(ui.card("我的组织关系接转历史")).to_be_visible()
    await page.get_by_role("button", name="办理转出").click()
    await page.wait_for_url(TRANSFER_OUT)
    await expect(ui.pick_card).to_be_visible()
    await ui.open_approvals()
    assert page.url.endswith("/zhtj/center/manage/managetransferprocessdo")


async def test_a_first_sign_in_must_set_a_new_password_before_anything_else(page, portal, shots):
    newcomer = portal.accounts()[1]
    ui = MockPortalPage(page)
    await ui.sign_in(newcomer, lands_on="**/zhtj/modifypassword")
    await expect(page.get_by_role("alert").filter(has_text="首次登录，请先修改初始密码")).to_be_visible()
    await page.goto("/zhtj/center/manage/transferout")
    await page.wait_for_url("**/zhtj/modifypassword")
    await page.get_by_label("原密码").fill(newcomer["password"])
    await page.get_by_label("新密码", exact=True).fill("onlyletters")
    await page.get_by_label("确认新密码").fill("different1")
    await page.get_by_role("button", name="确认修改").click()
    form = page.locator(".el-form")
    await expect(form).to_contain_text("新密码须为8-16位，且同时包含字母和数字")
    await expect(form).to_contain_text("两次输入的新密码不一致")
    await page.screenshot(path=shots / "password.png")
    await page.get_by_label("新密码", exact=True).fill("Tw2025new")
    await page.get_by_label("确认新密码").fill("Tw2025new")
    await page.get_by_role("button", name="确认修改").click()
    await page.wait_for_url("**/zhtj/personal")
    await expect(ui.toast("密码修改成功")).to_be_visible()
    assert portal.accounts()[1]["password"] == "Tw2025new" and portal.accounts()[1]["first_login"] is False
    await ui.enter_center()  # the way on is open now


async def test_an_expired_session_sends_the_page_to_sign_in_and_back_after_it(ui, member, portal, account):
    portal.faults(expire_after_requests=1)  # branches already counted; the member list is the next call
    await ui.choose_option(ui.pick_card.get_by_label("转出团支部"), member["branch"])
    await expect(ui.error_toast).to_have_text("您的登录已超时，请重新登录")
    await ui.page.wait_for_url("**/zhtj/signin?redirect=**")
    portal.faults(expire_after_requests=0)
    await ui.page.get_by_label("账号").fill(account["username"])
    await ui.page.get_by_label("密码").fill(account["password"])
    await ui.page.get_by_role("button", name="登录").click()
    await ui.page.wait_for_url(TRANSFER_OUT)


async def test_an_expiry_answered_as_plain_text_also_sends_the_page_to_sign_in(ui, member, portal):
    portal.faults(expire_after_requests=1, expired_as_text_rate=1)
    await ui.choose_option(ui.pick_card.get_by_label("转出团支部"), member["branch"])
    await expect(ui.error_toast).to_have_text("您的登录已超时，请重新登录")
    await ui.page.wait_for_url("**/zhtj/signin?redirect=**")


# --- the transfer form -----------------------------------------------------------------------


async def test_choosing_a_member_prefills_the_form_with_the_branch_contacts(ui, member, shots):
    await ui.choose_member(member)
    form = ui.form_card
    await expect(form.get_by_label("转出人姓名")).to_have_value(member["name"])
    await expect(form.get_by_label("转出人身份证号码")).to_have_value(masked(member["id_number"]))
    await expect(form.get_by_label("转出人手机号")).to_have_value(member["phone"])
    await expect(form.get_by_label("转出团支部", exact=True)).to_have_value(BRANCH)
    for label in ("转出团支部管理员", "转出团支部联系方式", "转出团支部的直属上级联系方式", "申请时间"):
        await expect(form.get_by_label(label)).not_to_have_value("")
    assert (await ui.form_labels().all_inner_texts())[:10] == FORM_LABELS
    await expect(ui.current_stage()).to_have_text("提交接转申请")
    await ui.page.screenshot(path=shots / "form.png", full_page=True)


async def test_a_study_transfer_stores_the_school_type_name_address_and_tree_path(ui, member, portal, shots):
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "升学")
    assert (await ui.form_labels().all_inner_texts())[10:14] == ["毕业去向", "转入学校名称", "转入学校所在地详细地址", "申请转入组织"]
    await ui.field("毕业去向").locator(".el-select").click()
    options = ui.page.get_by_role("listitem").filter(has_text="院校").or_(ui.page.get_by_role("listitem").filter(has_text="普通"))
    await expect(options).to_have_text(["普通高中", "中等职业院校", "普通高校", "高等职业院校"])
    await ui.page.keyboard.press("Escape")
    await ui.choose("毕业去向", "高等职业院校")
    await ui.fill_unit("南京工业大学", "江苏省南京市江北新区浦珠南路30号")
    await ui.pick_org(["团江苏省委", "南京工业大学团委", "计算机学院团总支"])
    await ui.fill("备注", "录取为研究生")
    await ui.page.screenshot(path=shots / "study.png", full_page=True)
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    await expect(ui.current_stage()).to_have_text("转出组织审批")
    await expect(ui.form_card.get_by_role("link", name="我的组织关系接转历史")).to_be_visible()
    (app,) = portal.applications()
    assert app["id_number"] == member["id_number"] and app["from_branch"] == BRANCH
    assert (app["reason"], app["study_type"], app["remark"]) == ("升学", "高等职业院校", "录取为研究生")
    assert (app["target_unit_name"], app["target_unit_address"]) == ("南京工业大学", "江苏省南京市江北新区浦珠南路30号")
    assert app["target_path"] == ["团江苏省委", "南京工业大学团委", "计算机学院团总支"]
    assert app["province_flag"] is False and app["contact"] == "13900001111"


async def test_a_job_with_a_league_org_stores_the_employer_and_the_central_enterprise_path(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "已落实工作单位（工作单位有团组织）")
    await expect(ui.field("毕业去向")).to_have_count(0)
    await ui.fill_unit("国网山东省电力公司", "山东省济南市市中区经三路14号", kind="employer")
    await ui.pick_org(["中央企业团工委", "国家电网有限公司团委", "国网山东省电力公司团委"])
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert app["reason"] == "已落实工作单位（工作单位有团组织）" and app["study_type"] is None
    assert (app["target_unit_name"], app["target_unit_address"]) == ("国网山东省电力公司", "山东省济南市市中区经三路14号")
    assert app["target_path"] == ["中央企业团工委", "国家电网有限公司团委", "国网山东省电力公司团委"]


async def test_an_unplaced_graduate_goes_five_levels_down_to_a_street_branch(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "未落实工作单位")
    await expect(ui.field("工作单位名称")).to_have_count(0)
    await ui.pick_org(STREET_BRANCH)
    await expect(ui.form_card.get_by_label("申请转入组织")).to_have_value(" / ".join(STREET_BRANCH))
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert (app["reason"], app["target_path"], app["target_unit_name"]) == ("未落实工作单位", STREET_BRANCH, None)


async def test_a_job_without_a_league_org_in_beijing_stores_the_province_full_name_and_employer(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common(flag="是")
    await expect(ui.field("申请转入组织")).to_have_count(0)
    await ui.choose("转入省份", "北京")
    await ui.fill("转入组织全称", "共青团北京市海淀区中关村街道工作委员会")
    await ui.choose("转出原因", "已落实工作单位（工作单位无团组织）")
    await ui.fill_unit("北京某科技有限公司", "北京市海淀区中关村大街1号", kind="employer")
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert (app["province_flag"], app["province"], app["target_path"]) == (True, "北京", None)
    assert app["target_full_name"] == "共青团北京市海淀区中关村街道工作委员会"
    assert (app["target_unit_name"], app["target_unit_address"]) == ("北京某科技有限公司", "北京市海淀区中关村大街1号")


async def test_a_special_unit_transfer_has_no_target(ui, member, portal):
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "转往特殊单位团组织")
    await expect(ui.field("申请转入组织")).to_have_count(0)
    await ui.submit()
    await expect(ui.toast("申请迁移成功")).to_be_visible()
    (app,) = portal.applications()
    assert (app["reason"], app["target_path"], app["province_flag"]) == ("转往特殊单位团组织", None, False)


async def test_missing_fields_are_named_in_the_portals_words_before_anything_is_sent(ui, member, portal, shots):
    await ui.choose_member(member)
    submit = ui.form_card.get_by_role("button", name="提交")
    await submit.click()
    await expect(ui.field("常用联系人的联系方式")).to_contain_text("请输入常用联系人的联系方式")
    await expect(ui.field("转出原因")).to_contain_text("请选择转出原因")
    await ui.fill_common()
    await ui.choose("转出原因", "升学")
    await submit.click()
    for label, message in [("毕业去向", "请选择毕业去向"), ("转入学校名称", "请输入转入学校名称"),
                           ("转入学校所在地详细地址", "请输入转入学校所在地详细地址"), ("申请转入组织", "请选择申请转入组织")]:
        await expect(ui.field(label).locator(".el-form-item__error")).to_have_text(message)
    await ui.page.screenshot(path=shots / "required.png", full_page=True)
    await ui.choose("转出原因", "已落实工作单位（工作单位有团组织）")
    await submit.click()
    await expect(ui.field("工作单位名称").locator(".el-form-item__error")).to_have_text("请输入工作单位名称")
    await expect(ui.field("工作单位地址").locator(".el-form-item__error")).to_have_text("请输入工作单位地址")
    await expect(ui.page.get_by_role("dialog")).to_have_count(0)
    assert portal.applications() == []


async def test_a_second_transfer_for_the_same_member_shows_the_portals_refusal(ui, member, portal):
    portal.add_application(member["id_number"], "转往特殊单位团组织")  # filed by the member
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "转往特殊单位团组织")
    await ui.submit()
    await expect(ui.error_toast).to_have_text("已有业务正在办理，不能重复发起")
    await expect(ui.current_stage()).to_have_text("提交接转申请")
    assert len(portal.applications()) == 1


async def test_the_remark_stops_at_100_characters_and_the_contact_at_50(ui, member):
    await ui.choose_member(member)
    await ui.fill("备注", "备" * 120)
    await expect(ui.field("备注").locator("textarea")).to_have_value("备" * 100)
    await expect(ui.field("备注")).to_contain_text("100/100")
    await expect(ui.field("备注").locator("textarea")).to_have_attribute("placeholder", "请输入备注, 最多100个字.....")
    await ui.fill("常用联系人的联系方式", "1" * 60)
    await expect(ui.form_card.get_by_label("常用联系人的联系方式")).to_have_value("1" * 50)


# --- 组织关系转接办理 and 组织关系审批 ---------------------------------------------------------------


async def test_a_fresh_application_can_be_revoked_from_the_list(page, account, portal, api, member):
    apply_by_api(api, member)
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    await ui.enter_center()
    await ui.open_transfers()
    await page.get_by_placeholder("请输入身份证号").fill(member["id_number"])
    await page.get_by_role("button", name="查询").click()
    row = page.get_by_role("row").filter(has_text=member["name"])
    await expect(row).to_contain_text("转出组织审批")
    await row.get_by_role("button", name="撤销申请").click()
    await ui.dialog("确认撤销该转接申请？").get_by_role("button", name="确定").click()
    await expect(ui.toast("撤销成功")).to_be_visible()
    await expect(row).to_contain_text("已撤销")
    assert portal.applications()[0]["revoked"] is True


async def test_beijing_and_advanced_applications_offer_no_revoke(page, account, portal, api):
    members = portal.members(branch=BRANCH)
    apply_by_api(api, members[0], provinceFlag="1", province="福建", targetFullName="共青团厦门大学委员会")
    portal.advance(apply_by_api(api, members[1]))
    apply_by_api(api, members[2])
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    await ui.enter_center()
    await ui.open_transfers()
    await expect(page.get_by_role("row")).to_have_count(4)  # header + 3
    await expect(page.get_by_role("button", name="撤销申请")).to_have_count(1)
    await expect(page.get_by_role("row").filter(has_text=members[2]["name"]).get_by_role("button", name="撤销申请")).to_be_visible()
    await expect(page.get_by_role("row").filter(has_text=members[1]["name"])).to_contain_text("转入组织审批")


async def test_the_approval_page_finds_by_name_as_the_userscript_does_and_shows_seven_columns(page, account, portal, api, shots):
    members = portal.members(branch=BRANCH)
    apply_by_api(api, members[0])
    portal.add_application(members[1]["id_number"], "升学", target_path=["团湖北省委", "三峡大学团委"],
                           target_unit_name="三峡大学", target_unit_address="湖北省宜昌市西陵区大学路8号")
    portal.advance_clock(11)  # nobody reviewed them: both go back
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    await ui.enter_center()
    await ui.open_approvals()
    pane = page.locator("#pane-first")
    await expect(page.get_by_role("tab", name="转出申请")).to_have_attribute("aria-selected", "true")
    # The userscript's own path: the third child of the pane's .row holds the name box.
    await pane.locator("div.row > div:nth-child(3) input").fill(members[1]["name"])
    await pane.locator(".col-sm-1.floatright button").click()
    rows = pane.locator(".el-table__body-wrapper tr")
    await expect(rows).to_have_count(1)
    cells = rows.first.locator("td")
    await expect(cells).to_have_count(7)
    texts = await cells.all_inner_texts()
    assert texts[0] == members[1]["name"] and texts[3:6] == [BRANCH, "共青团三峡大学委员会", "已退回"]
    assert texts[2] > texts[1] > "2000"  # 完成时间 after 申请时间
    headers = await pane.locator(".el-table__header-wrapper th").all_inner_texts()
    assert headers == ["姓名", "申请时间", "完成时间", "转出团组织", "转入团组织", "处理状态", "操作"]
    await page.screenshot(path=shots / "approvals.png", full_page=True)
    await rows.first.get_by_role("button", name="查看").click()
    details = ui.dialog("转接详情")
    await expect(details).to_contain_text("转入学校名称三峡大学")
    await expect(details).to_contain_text("转入学校所在地详细地址湖北省宜昌市西陵区大学路8号")


async def test_the_approval_page_lists_transfers_into_the_org_on_its_second_tab(page, account, portal):
    member = portal.members(branch=BRANCH)[0]
    portal.add_application(member["id_number"], "其他", target_path=["团山东省委", "德州学院团委", "文学院团总支"])
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    await ui.enter_center()
    await ui.open_approvals()
    await page.get_by_role("tab", name="转入申请").click()
    rows = page.locator("#pane-second .el-table__body-wrapper tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("共青团德州学院文学院总支部委员会")
    await expect(rows.first).to_contain_text("转出组织审批")

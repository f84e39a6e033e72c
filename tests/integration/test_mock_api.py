"""The mock's APIs over real HTTP: the whole /__mock__/ inspection API and the key /v1/center/ answers."""

from __future__ import annotations

import urllib.request

import pytest

from fixtures.mock_portal.client import MockClient, MockError, MockPortal, PortalSession
from fixtures.mock_portal.seed import check_digit

BRANCH = "计算机与信息学院2021级软件工程1班团支部"
APPLICATION_FIELDS = {
    "id", "id_number", "name", "phone", "contact", "from_branch", "reason", "study_type", "province_flag",
    "province", "target_path", "target_full_name", "remark", "stage", "revoked", "created_at",
}


@pytest.fixture
def api(mock_server, portal, account) -> PortalSession:
    """A signed-in portal session (as the Vue app has one)."""
    session = PortalSession(mock_server.url)
    assert session.login(account)["retCode"] == 1000
    return session


def member_id(api: PortalSession, member: dict) -> int:
    branch = next(b for b in api.call("branches")["results"] if b["branchName"] == member["branch"])
    rows = api.call("members", branchId=branch["branchId"])["results"]
    return next(r["memberId"] for r in rows if r["idNumber"] == member["id_number"])


def league_id(api: PortalSession, path: list[str]) -> int:
    pid = ""
    for name in path:
        pid = next(n["leagueId"] for n in api.call("getorgtree", pid=pid)["results"] if n["leagueName"] == name)
    return pid


def apply(api: PortalSession, member: dict, **form) -> dict:
    base = {"memberId": member_id(api, member), "phone": member["phone"], "contact": "13900001111",
            "reasonCode": "02", "provinceFlag": "0", "remark": ""}
    return api.call("transfer/apply", **{**base, **form})


# --- /__mock__/ ------------------------------------------------------------------------------


def test_accounts_lists_the_school_admin(portal):
    assert portal.accounts() == [{"username": "dzxytw", "password": "Dzxy@2021", "org": "德州学院团委"}]


def test_orgs_lists_the_whole_tree_flat_with_types(portal):
    orgs = portal.orgs()
    assert len(orgs) >= 300
    assert {"path": ["团湖北省委", "三峡大学团委"], "type": "团委"} in orgs
    assert {o["type"] for o in orgs} >= {"团委", "团工委", "团总支", "团支部", "流动团员团支部", "青年之家", "学社衔接临时团支部"}


def test_members_lists_the_seeded_members_and_filters_by_branch(portal):
    everyone = portal.members()
    assert len(everyone) >= 240
    assert set(everyone[0]) == {"name", "id_number", "phone", "branch"}
    mine = portal.members(branch=BRANCH)
    assert mine and all(m["branch"] == BRANCH for m in mine)


def test_members_post_adds_a_member_to_a_branch(portal):
    number = "37140220010101001" + check_digit("37140220010101001")
    new = {"name": "测试员", "id_number": number, "phone": "13712345678", "branch": BRANCH}
    portal.add_members([new])
    assert new in portal.members(branch=BRANCH)


def test_members_post_refuses_a_bad_id_number_with_a_chinese_message(portal):
    with pytest.raises(MockError) as err:
        portal.add_members([{"name": "错", "id_number": "123", "phone": "13712345678", "branch": BRANCH}])
    assert err.value.status == 400 and "身份证号不正确" in err.value.message


def test_members_post_refuses_an_unknown_branch(portal):
    number = "37010220000101001" + check_digit("37010220000101001")
    with pytest.raises(MockError, match="团支部不存在"):
        portal.add_members([{"name": "错", "id_number": number, "phone": "13712345678", "branch": "不存在团支部"}])


def test_applications_hold_exactly_the_documented_fields(api, portal):
    member = portal.members(branch=BRANCH)[0]
    assert apply(api, member, targetLeagueId=league_id(api, ["中央企业团工委", "中国移动通信集团有限公司团委"]))["retCode"] == 1000
    (app,) = portal.applications()
    assert set(app) == APPLICATION_FIELDS
    assert app["stage"] == "转出组织审批" and app["revoked"] is False and app["province_flag"] is False


def test_advance_moves_an_application_one_stage_on_until_done(api, portal):
    member = portal.members(branch=BRANCH)[0]
    apply(api, member, targetLeagueId=league_id(api, ["中央企业团工委"]))
    app_id = portal.applications()[0]["id"]
    stages = [portal.advance(app_id)["stage"] for _ in range(3)]
    assert stages == ["转入组织审批", "分配团支部", "完成"]
    with pytest.raises(MockError, match="已完成"):
        portal.advance(app_id)


def test_advance_of_an_unknown_application_is_a_404(portal):
    with pytest.raises(MockError) as err:
        portal.advance(999)
    assert err.value.status == 404


def test_faults_answers_the_settings_and_refuses_bad_values(portal):
    assert portal.faults(latency_ms=5, seed=7)["latency_ms"] == 5
    with pytest.raises(MockError, match="error_rate"):
        portal.faults(error_rate=3)


def test_reset_clears_applications_members_and_faults(api, portal):
    member = portal.members(branch=BRANCH)[0]
    apply(api, member, targetLeagueId=league_id(api, ["中央企业团工委"]))
    portal.faults(error_rate=0.5)
    portal.reset()
    assert portal.applications() == []
    assert portal._call("GET", "faults")["error_rate"] == 0


def test_captcha_is_none_when_the_captcha_is_off(portal):
    assert portal.captcha() is None


def test_an_unknown_mock_call_is_a_404_with_a_message(portal):
    with pytest.raises(MockError, match="没有这个模拟接口"):
        portal._call("GET", "nothing")


# --- /v1/center/ -----------------------------------------------------------------------------


def test_every_call_without_a_session_answers_1009(mock_server, portal):
    anonymous = PortalSession(mock_server.url)
    for path in ("userinfo", "branches", "getorgtree", "transfer/apply", "transfer/history"):
        assert anonymous.call(path) == {"retCode": 1009, "retMsg": "您的登录已超时，请重新登录", "results": None}


def test_a_wrong_password_is_refused(mock_server, portal, account):
    answer = PortalSession(mock_server.url).login({**account, "password": "nope"})
    assert answer["retCode"] == 1001 and answer["retMsg"] == "账号或密码错误"


def test_getorgtree_serves_one_level_per_call(api):
    top = api.call("getorgtree", pid="")["results"]
    assert set(top[0]) == {"leagueId", "leagueName", "leagueFullName", "leagueTypeId", "leagueType", "isLeaf"}
    hubei = next(n for n in top if n["leagueName"] == "团湖北省委")
    assert hubei["leagueFullName"] == "共青团湖北省委员会" and hubei["isLeaf"] is False
    names = [n["leagueName"] for n in api.call("getorgtree", pid=hubei["leagueId"])["results"]]
    assert "三峡大学团委" in names and "团宜昌市委" in names


def test_branches_give_the_admin_contacts_and_the_parent_phone(api):
    rows = api.call("branches")["results"]
    assert len(rows) >= 18
    assert all(r["adminName"] and r["adminPhone"] and r["parentPhone"] for r in rows)
    assert BRANCH in [r["branchName"] for r in rows]


def test_a_target_that_is_not_a_node_is_refused_with_a_message(api, portal):
    answer = apply(api, portal.members(branch=BRANCH)[0], targetLeagueId="99999")
    assert answer["retCode"] == 1001 and "申请转入组织不存在" in answer["retMsg"]
    assert portal.applications() == []


def test_a_second_open_transfer_for_the_same_member_is_refused(api, portal):
    member = portal.members(branch=BRANCH)[0]
    target = league_id(api, ["中央企业团工委"])
    assert apply(api, member, targetLeagueId=target)["retCode"] == 1000
    answer = apply(api, member, targetLeagueId=target)
    assert answer == {"retCode": 1001, "retMsg": "已有业务正在办理，不能重复发起", "results": None}


def test_a_revoked_or_completed_transfer_lets_the_member_apply_again(api, portal):
    member = portal.members(branch=BRANCH)[0]
    target = league_id(api, ["中央企业团工委"])
    first = apply(api, member, targetLeagueId=target)["results"]["applicationId"]
    assert api.call("transfer/revoke", applicationId=first)["retCode"] == 1000
    assert apply(api, member, targetLeagueId=target)["retCode"] == 1000


def test_a_special_unit_transfer_takes_no_target_and_flag_no(api, portal):
    member = portal.members(branch=BRANCH)[0]
    with_target = apply(api, member, reasonCode="06", targetLeagueId=league_id(api, ["中央企业团工委"]))
    assert with_target["retCode"] == 1001 and "不需要选择申请转入组织" in with_target["retMsg"]
    flagged = apply(api, member, reasonCode="06", provinceFlag="1", province="北京", targetFullName="某单位")
    assert flagged["retCode"] == 1001
    assert apply(api, member, reasonCode="06")["retCode"] == 1000


def test_flag_yes_needs_a_province_and_a_full_name(api, portal):
    member = portal.members(branch=BRANCH)[0]
    assert "转入省份" in apply(api, member, provinceFlag="1", province="上海", targetFullName="x")["retMsg"]
    assert "转入组织全称" in apply(api, member, provinceFlag="1", province="广东")["retMsg"]


def test_required_fields_are_named_in_the_message(api, portal):
    member = portal.members(branch=BRANCH)[0]
    assert apply(api, member, contact="")["retMsg"] == "请输入常用联系人的联系方式"
    assert apply(api, member, reasonCode="")["retMsg"] == "请选择转出原因"
    assert apply(api, member, reasonCode="01", targetLeagueId=league_id(api, ["团湖北省委"]))["retMsg"] == "请选择升学类型"
    assert apply(api, member, targetLeagueId="")["retMsg"] == "请选择申请转入组织"
    assert "手机号格式不正确" in apply(api, member, phone="123")["retMsg"]


def test_a_remark_over_100_characters_is_refused(api, portal):
    member = portal.members(branch=BRANCH)[0]
    target = league_id(api, ["中央企业团工委"])
    answer = apply(api, member, targetLeagueId=target, remark="备" * 101)
    assert answer["retCode"] == 1001 and "备注最多100个字" in answer["retMsg"]
    assert apply(api, member, targetLeagueId=target, remark="备" * 100)["retCode"] == 1000


def test_a_member_outside_the_admins_org_cannot_be_transferred(api, portal):
    outsider_branch = "计算机学院2024级研究生团支部"
    number = "42050220000101002" + check_digit("42050220000101002")
    portal.add_members([{"name": "外校生", "id_number": number, "phone": "13512345678", "branch": outsider_branch}])
    branch_id = league_id(api, ["团湖北省委", "三峡大学团委", "计算机学院团总支", outsider_branch])
    answer = api.call("members", branchId=branch_id)
    assert answer["retCode"] == 1001 and "不属于本组织" in answer["retMsg"]


def test_revoke_is_refused_for_beijing_and_after_the_target_acted(api, portal):
    members = portal.members(branch=BRANCH)
    beijing = apply(api, members[0], provinceFlag="1", province="北京", targetFullName="共青团北京大学委员会")
    advanced = apply(api, members[1], targetLeagueId=league_id(api, ["中央企业团工委"]))
    portal.advance(advanced["results"]["applicationId"])
    refused = api.call("transfer/revoke", applicationId=beijing["results"]["applicationId"])
    assert refused["retCode"] == 1001 and "北京/广东/福建" in refused["retMsg"]
    refused = api.call("transfer/revoke", applicationId=advanced["results"]["applicationId"])
    assert refused["retCode"] == 1001 and "不能撤销" in refused["retMsg"]
    rows = api.call("transfer/history")["results"]["rows"]
    assert [r["revocable"] for r in rows] == [False, False]


def test_history_filters_by_id_number_and_masks_it(api, portal):
    members = portal.members(branch=BRANCH)
    for m in members[:2]:
        apply(api, m, targetLeagueId=league_id(api, ["中央企业团工委"]))
    result = api.call("transfer/history", idNumber=members[1]["id_number"])["results"]
    assert result["total"] == 1
    (row,) = result["rows"]
    assert row["idNumberMasked"] == members[1]["id_number"][:4] + "*" * 10 + members[1]["id_number"][-4:]
    assert row["stageName"] == "转出组织审批" and row["revocable"] is True


def test_garbage_input_gets_a_chinese_message_never_a_500(api):
    calls = [
        ("transfer/apply", {"memberId": "abc"}),
        ("transfer/apply", {"memberId": "1", "phone": "x" * 5000}),
        ("members", {"branchId": "'; drop table"}),
        ("transfer/revoke", {"applicationId": "abc"}),
        ("getorgtree", {"pid": "abc"}),
    ]
    for path, form in calls:
        answer = api.call(path, **form)
        assert answer["retCode"] == 1001 and answer["retMsg"] != "服务器内部错误，请稍后再试", (path, answer)
    assert api.call("transfer/history", page="x")["retMsg"] == "分页参数必须是数字"
    assert api.call("nope/nope")["retCode"] == 1001


def test_the_single_page_app_is_served_for_every_zhtj_route(mock_server):
    for path in ("/zhtj/signin", "/zhtj/center", "/zhtj/center/transfer/out"):
        with urllib.request.urlopen(mock_server.url + path) as resp:
            html = resp.read().decode("utf-8")
        assert "/vendor/element-ui/index.js" in html and "ZHTJ_CONFIG" in html


def test_the_captcha_image_is_an_svg(mock_server):
    with urllib.request.urlopen(mock_server.url + "/v1/center/captcha.svg") as resp:
        assert resp.headers["Content-Type"] == "image/svg+xml"
        assert resp.read().startswith(b"<svg")


def test_captcha_on_checks_a_random_code_and_keeps_it_secret(tmp_path):
    with MockPortal.start(db=tmp_path / "portal.db", captcha="on") as server:
        client = MockClient(server.url)
        assert client._call("GET", "captcha") == {"mode": "on", "code": None}
        session = PortalSession(server.url)
        session._opener.open(server.url + "/v1/center/captcha.svg").read()
        answer = session.login({**client.accounts()[0], "captcha": "0000"})
        assert answer["retMsg"] == "验证码错误，请重新输入"
        assert session.login(client.accounts()[0])["retMsg"] == "请输入验证码"

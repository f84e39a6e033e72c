"""The portal API of the mock over real HTTP: /v1/center/ answers, rules and cookies."""

from __future__ import annotations

import re
import urllib.request

from fixtures.mock_portal.client import MockClient, MockPortal, PortalSession
from fixtures.mock_portal.seed import check_digit
from mockcalls import BRANCH, CENTRAL, api, apply, members  # noqa: F401 (fixtures)

OPAQUE_ID = re.compile(r"^[A-Za-z0-9+/]{22}==$")
EXPIRED = {"retCode": 1009, "retMsg": "您的登录已超时，请重新登录", "results": None}


# --- /v1/center/: session --------------------------------------------------------------------


def test_every_call_without_a_session_answers_1009(mock_server, portal):
    anonymous = PortalSession(mock_server.url)
    for path in ("userinfo", "branches", "getorgtree", "tuanyuantw/list", "transfer/apply", "transfer/history"):
        assert anonymous.call(path) == EXPIRED


def test_sign_in_sets_the_portals_session_cookie_and_pages_set_a_csrf_cookie(mock_server, portal, account):
    session = PortalSession(mock_server.url)
    session._opener.open(mock_server.url + "/zhtj/signin").read()
    assert session.login(account)["results"]["orgName"] == "德州学院团委"
    cookies = {c.name: c for c in session.jar}
    assert set(cookies) == {"zhtjWeb_SessionName__", "_csrf"}
    assert cookies["zhtjWeb_SessionName__"].has_nonstandard_attr("HttpOnly")


def test_the_account_is_an_id_number_and_a_wrong_password_is_refused(mock_server, portal, account):
    answer = PortalSession(mock_server.url).login({**account, "password": "nope"})
    assert answer["retCode"] == 1001 and answer["retMsg"] == "账号或密码错误"
    lower = PortalSession(mock_server.url).login({**account, "username": account["username"].lower()})
    assert lower["retCode"] == 1000  # a trailing x counts as X


def test_a_first_sign_in_must_change_the_password_before_anything_else(mock_server, portal):
    newcomer = portal.accounts()[1]
    session = PortalSession(mock_server.url)
    assert session.login(newcomer)["results"]["firstLogin"] is True
    assert session.call("branches") == {"retCode": 1001, "retMsg": "首次登录，请先修改密码", "results": None}
    refusals = {
        ("wrong", "Tw2025new"): "原密码错误",
        (newcomer["password"], "short1"): "新密码须为8-16位，且同时包含字母和数字",
        (newcomer["password"], "onlyletters"): "新密码须为8-16位，且同时包含字母和数字",
        (newcomer["password"], newcomer["password"]): "新密码不能与原密码相同",
    }
    for (old, new), message in refusals.items():
        assert session.call("changepassword", oldPassword=old, newPassword=new)["retMsg"] == message
    changed = session.call("changepassword", oldPassword=newcomer["password"], newPassword="Tw2025new")
    assert (changed["retMsg"], changed["results"]["firstLogin"]) == ("密码修改成功", False)
    assert session.call("branches")["retCode"] == 1000
    assert portal.accounts()[1]["password"] == "Tw2025new" and portal.accounts()[1]["first_login"] is False
    again = PortalSession(mock_server.url)
    assert again.login({**newcomer, "password": "Tw2025new"})["results"]["firstLogin"] is False


def test_userinfo_tells_the_person_their_org_and_the_mocks_time(api, portal):
    portal.advance_clock(2)
    info = api.call("userinfo")["results"]
    assert (info["name"], info["orgName"], info["idNumberMasked"]) == ("李文博", "德州学院团委", "3714**********021X")
    assert OPAQUE_ID.match(info["leagueId"]) and info["serverTime"][:10] == portal.clock()["now"][:10]


# --- /v1/center/: the org tree and members ----------------------------------------------------


def test_getorgtree_answers_one_level_as_league_list_with_opaque_ids_and_type_codes(api):
    top = api.call("getorgtree", queryLeagueId="")["results"]["leagueList"]
    assert set(top[0]) == {"leagueId", "leagueName", "leagueFullName", "leagueTypeId"}
    hubei = next(n for n in top if n["leagueName"] == "团湖北省委")
    assert hubei["leagueFullName"] == "共青团湖北省委员会" and hubei["leagueTypeId"] == "03TW"
    assert all(OPAQUE_ID.match(n["leagueId"]) for n in top)
    level = api.call("getorgtree", queryLeagueId=hubei["leagueId"])["results"]["leagueList"]
    assert {"三峡大学团委", "团宜昌市委"} <= {n["leagueName"] for n in level}
    assert api.call("getorgtree", queryLeagueId=hubei["leagueId"])["results"]["leagueList"] == level  # stable


def test_getorgtree_type_codes_tell_each_kind_and_a_leaf_answers_an_empty_level(api):
    street = ["团山东省委", "团德州市委", "团陵城区委", "团安德街道工委"]
    kinds = {n["leagueName"]: n["leagueTypeId"]
             for n in api.call("getorgtree", queryLeagueId=api.league_id(street))["results"]["leagueList"]}
    assert kinds == {"安德街道流动团员团支部": "07LDTYTZB", "安德街道青年之家": "08QNZJ",
                     "安德街道学社衔接临时团支部": "09XSXJLSTZB"}
    assert api.call("getorgtree", queryLeagueId=api.league_id(["中央和国家机关团工委"]))["results"]["leagueList"][0][
        "leagueTypeId"] == "03TW"
    assert api.call("getorgtree", queryLeagueId=api.league_id(CENTRAL))["results"]["leagueList"]
    assert api.call("getorgtree", queryLeagueId=api.league_id(["中央和国家机关团工委", "教育部团委"]))["results"] == {
        "leagueList": []}
    college = ["团山东省委", "山东师范大学团委", "信息科学与工程学院团总支"]
    (graduating,) = api.call("getorgtree", queryLeagueId=api.league_id(college))["results"]["leagueList"]
    assert graduating["leagueTypeId"] == "06BYBTZB"
    assert api.call("getorgtree", queryLeagueId=api.league_id(college[:2]))["results"]["leagueList"][0][
        "leagueTypeId"] == "02TZZ"


def test_branches_give_opaque_ids_the_admin_contacts_and_the_parent_phone(api):
    rows = api.call("branches")["results"]
    assert len(rows) >= 18
    assert all(r["adminName"] and r["adminPhone"] and r["parentPhone"] and OPAQUE_ID.match(r["branchId"]) for r in rows)
    assert BRANCH in [r["branchName"] for r in rows]


def test_the_member_list_of_a_branch_gives_opaque_user_ids(api, members):
    branch = next(b for b in api.call("branches")["results"] if b["branchName"] == BRANCH)
    result = api.call("tuanyuantw/list", queryLeagueId=branch["branchId"], pageSize=100)["results"]
    assert result["totalNumber"] == len(members) == len(result["list"])
    first = result["list"][0]
    assert set(first) == {"userId", "realName", "idCardNo", "mobile", "leagueId", "leagueName"}
    assert (first["realName"], first["idCardNo"], first["leagueName"]) == (members[0]["name"], members[0]["id_number"], BRANCH)
    assert OPAQUE_ID.match(first["userId"])


def test_the_member_list_of_ones_own_org_searches_by_a_part_of_the_name(api, members):
    name = members[3]["name"]
    found = api.call("tuanyuantw/list", realName=name[1:], pageSize=500)["results"]["list"]
    assert members[3]["id_number"] in {m["idCardNo"] for m in found}
    assert all(name[1:] in m["realName"] for m in found)
    assert api.call("tuanyuantw/list", pageSize=500)["results"]["totalNumber"] >= 240


def test_full_search_user_finds_a_member_by_id_number_only_in_ones_own_org(api, portal, members):
    (user,) = api.call("fullSearchUser", identityCardNo=members[0]["id_number"].lower())["results"]["userList"]
    assert (user["realName"], user["leagueName"]) == (members[0]["name"], BRANCH)
    assert api.call("fullSearchUser", identityCardNo="110101200001011234")["results"] == {"userList": []}
    outsider = "42050220000101002" + check_digit("42050220000101002")
    portal.add_members([{"name": "外校生", "id_number": outsider, "phone": "13512345678",
                         "branch": "计算机学院2024级研究生团支部"}])
    answer = api.call("fullSearchUser", identityCardNo=outsider)
    assert answer == {"retCode": 1001, "retMsg": "只能查询本级及下级团组织团员", "results": None}


def test_a_member_outside_the_admins_org_cannot_be_listed_or_transferred(api, portal):
    outsider_branch = ["团湖北省委", "三峡大学团委", "计算机学院团总支", "计算机学院2024级研究生团支部"]
    answer = api.call("tuanyuantw/list", queryLeagueId=api.league_id(outsider_branch))
    assert answer["retCode"] == 1001 and answer["retMsg"] == "只能查询本级及下级团组织团员"


# --- /v1/center/: transfers ------------------------------------------------------------------


def test_a_target_that_is_not_a_node_is_refused_with_a_message(api, portal, members):
    answer = apply(api, members[0], targetLeagueId="AAAAAAAAAAAAAAAAAAAAAA==")
    assert answer["retCode"] == 1001 and "申请转入组织不存在" in answer["retMsg"]
    assert portal.applications() == []


def test_a_second_open_transfer_for_the_same_member_is_refused(api, members):
    assert apply(api, members[0])["retCode"] == 1000
    assert apply(api, members[0]) == {"retCode": 1001, "retMsg": "已有业务正在办理，不能重复发起", "results": None}


def test_a_revoked_transfer_lets_the_member_apply_again(api, members):
    first = apply(api, members[0])["results"]["applicationId"]
    assert api.call("transfer/revoke", applicationId=first)["retCode"] == 1000
    assert apply(api, members[0])["retCode"] == 1000


def test_a_study_transfer_needs_the_school_type_name_and_address(api, portal, members):
    study = {"reasonCode": "01", "targetLeagueId": api.league_id(["团湖北省委", "三峡大学团委"]),
             "studyTypeCode": "1", "targetUnitName": "三峡大学", "targetUnitAddress": "湖北省宜昌市西陵区大学路8号"}
    assert apply(api, members[0], **{**study, "studyTypeCode": ""})["retMsg"] == "请选择毕业去向"
    assert apply(api, members[0], **{**study, "targetUnitName": ""})["retMsg"] == "请输入转入学校名称"
    assert apply(api, members[0], **{**study, "targetUnitAddress": " "})["retMsg"] == "请输入转入学校所在地详细地址"
    assert apply(api, members[0], **{**study, "studyTypeCode": "4"})["retCode"] == 1000
    (app,) = portal.applications()
    assert (app["study_type"], app["target_unit_name"], app["target_unit_address"]) == (
        "普通高中", "三峡大学", "湖北省宜昌市西陵区大学路8号")


def test_a_job_transfer_needs_the_employer_name_and_address(api, members):
    for code in ("02", "03"):
        assert apply(api, members[0], reasonCode=code, targetUnitName="")["retMsg"] == "请输入工作单位名称"
        assert apply(api, members[0], reasonCode=code, targetUnitAddress="")["retMsg"] == "请输入工作单位地址"
    too_long = apply(api, members[0], targetUnitName="单" * 51)
    assert too_long["retMsg"] == "工作单位名称最多50个字，当前51个字"


def test_the_contact_takes_at_most_50_characters(api, members):
    answer = apply(api, members[0], contact="1" * 51)
    assert answer == {"retCode": 1001, "retMsg": "常用联系人的联系方式最多50个字，当前51个字", "results": None}
    assert apply(api, members[0], contact="1" * 50)["retCode"] == 1000


def test_a_special_unit_transfer_takes_no_target_and_flag_no(api, members):
    with_target = apply(api, members[0], reasonCode="06", targetLeagueId=api.league_id(CENTRAL))
    assert with_target["retCode"] == 1001 and "不需要选择申请转入组织" in with_target["retMsg"]
    flagged = apply(api, members[0], reasonCode="06", provinceFlag="1", province="北京", targetFullName="某单位")
    assert flagged["retCode"] == 1001
    assert apply(api, members[0], reasonCode="06", targetLeagueId="")["retCode"] == 1000


def test_flag_yes_needs_a_province_and_a_full_name(api, members):
    assert "转入省份" in apply(api, members[0], provinceFlag="1", province="上海", targetFullName="x")["retMsg"]
    assert "转入组织全称" in apply(api, members[0], provinceFlag="1", province="广东")["retMsg"]


def test_required_fields_are_named_in_the_message(api, members):
    assert apply(api, members[0], contact="")["retMsg"] == "请输入常用联系人的联系方式"
    assert apply(api, members[0], reasonCode="")["retMsg"] == "请选择转出原因"
    assert apply(api, members[0], targetLeagueId="")["retMsg"] == "请选择申请转入组织"
    assert "手机号格式不正确" in apply(api, members[0], phone="123")["retMsg"]


def test_a_remark_over_100_characters_is_refused(api, members):
    answer = apply(api, members[0], remark="备" * 101)
    assert answer["retCode"] == 1001 and "备注最多100个字" in answer["retMsg"]
    assert apply(api, members[0], remark="备" * 100)["retCode"] == 1000


def test_revoke_is_refused_for_beijing_and_after_the_target_acted(api, portal, members):
    beijing = apply(api, members[0], provinceFlag="1", province="北京", targetFullName="共青团北京大学委员会")
    advanced = apply(api, members[1])
    portal.advance(advanced["results"]["applicationId"])
    refused = api.call("transfer/revoke", applicationId=beijing["results"]["applicationId"])
    assert refused["retCode"] == 1001 and "北京/广东/福建" in refused["retMsg"]
    refused = api.call("transfer/revoke", applicationId=advanced["results"]["applicationId"])
    assert refused["retCode"] == 1001 and "不能撤销" in refused["retMsg"]
    rows = api.call("transfer/history")["results"]["rows"]
    assert [r["revocable"] for r in rows] == [False, False]


def test_history_filters_by_id_number_and_masks_it(api, members):
    for m in members[:2]:
        apply(api, m)
    result = api.call("transfer/history", idNumber=members[1]["id_number"])["results"]
    assert result["total"] == 1
    (row,) = result["rows"]
    assert row["idNumberMasked"] == members[1]["id_number"][:4] + "*" * 10 + members[1]["id_number"][-4:]
    assert row["stageName"] == "转出组织审批" and row["revocable"] is True


def test_approvals_list_our_leavers_by_name_with_the_seven_columns_data(api, portal, members):
    apply(api, members[0])
    apply(api, members[1])
    portal.advance_clock(11)
    result = api.call("transfer/approvals", tab="out", realName=members[1]["name"])["results"]
    (row,) = [r for r in result["rows"] if r["name"] == members[1]["name"]]
    assert (row["fromOrg"], row["toOrg"], row["stageName"]) == (BRANCH, "共青团中央企业工作委员会", "已退回")
    assert row["finishedAt"] > row["createdAt"]
    assert api.call("transfer/approvals", tab="in")["results"] == {"total": 0, "rows": []}
    assert api.call("transfer/approvals", tab="sideways")["retCode"] == 1001


def test_approvals_tab_in_lists_transfers_into_our_org(api, portal, members):
    target = ["团山东省委", "德州学院团委", "文学院团总支"]
    portal.add_application(members[0]["id_number"], "其他", target_path=target)
    (row,) = api.call("transfer/approvals", tab="in")["results"]["rows"]
    assert row["toOrg"] == "共青团德州学院文学院总支部委员会" and row["finishedAt"] == ""


def test_garbage_input_gets_a_chinese_message_never_a_500(api):
    calls = [
        ("transfer/apply", {"memberId": "abc"}),
        ("transfer/apply", {"memberId": "1", "phone": "x" * 5000}),
        ("tuanyuantw/list", {"queryLeagueId": "'; drop table"}),
        ("transfer/revoke", {"applicationId": "abc"}),
        ("getorgtree", {"queryLeagueId": "abc"}),
        ("fullSearchUser", {}),
    ]
    for path, form in calls:
        answer = api.call(path, **form)
        assert answer["retCode"] == 1001 and answer["retMsg"] != "服务器内部错误，请稍后再试", (path, answer)
    assert api.call("transfer/history", page="x")["retMsg"] == "分页参数必须是数字"
    assert api.call("nope/nope")["retCode"] == 1001


# --- pages and the captcha ---------------------------------------------------------------------


def test_the_single_page_app_is_served_for_every_zhtj_route(mock_server):
    for path in ("/zhtj/signin", "/zhtj/center", "/zhtj/center/manage/managetransferprocessdo"):
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
        assert "zhtjWeb_SessionName__" in {c.name for c in session.jar}  # the code waits in the session
        answer = session.login({**client.accounts()[0], "captcha": "0000"})
        assert answer["retMsg"] == "验证码错误，请重新输入"
        assert session.login(client.accounts()[0])["retMsg"] == "请输入验证码"

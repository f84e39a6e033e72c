"""The mock's test-only inspection API over real HTTP: /__mock__/ (accounts, orgs, members,
applications, advance, faults, reset, captcha, clock)."""

from __future__ import annotations

import re

import pytest

from fixtures.mock_portal.client import MockError, PortalSession
from fixtures.mock_portal.seed import check_digit
from mockcalls import BRANCH, api, apply, members  # noqa: F401 (fixtures)

APPLICATION_FIELDS = {
    "id", "id_number", "name", "phone", "contact", "from_branch", "reason", "study_type", "target_unit_name",
    "target_unit_address", "province_flag", "province", "target_path", "target_full_name", "remark", "stage",
    "revoked", "returned", "created_at",
}


# --- /__mock__/ ------------------------------------------------------------------------------


def test_accounts_lists_the_school_admin_first_and_a_first_login_account(portal):
    admin, newcomer = portal.accounts()
    assert admin == {"username": "37140219880315021X", "password": "Dzxy@2021", "org": "德州学院团委",
                     "name": "李文博", "first_login": False}
    assert newcomer["first_login"] is True and newcomer["org"] == "计算机与信息学院团总支"
    number = newcomer["username"]
    assert len(number) == 18 and check_digit(number[:17]) == number[17]
    assert newcomer["password"] == number[-8:]  # the initial password: the last 8 characters


def test_orgs_lists_the_whole_tree_flat_with_chinese_types(portal):
    orgs = portal.orgs()
    assert len(orgs) >= 300
    assert {"path": ["团湖北省委", "三峡大学团委"], "type": "团委"} in orgs
    assert {o["type"] for o in orgs} >= {
        "团委", "团工委", "团总支", "团支部", "毕业班团支部", "流动团员团支部", "青年之家", "学社衔接临时团支部",
    }


def test_members_lists_the_seeded_members_and_filters_by_branch(portal, members):
    everyone = portal.members()
    assert len(everyone) >= 240
    assert set(everyone[0]) == {"name", "id_number", "phone", "branch"}
    assert members and all(m["branch"] == BRANCH for m in members)


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


def test_applications_hold_exactly_the_documented_fields(api, portal, members):
    assert apply(api, members[0])["retCode"] == 1000
    (app,) = portal.applications()
    assert set(app) == APPLICATION_FIELDS
    assert app["stage"] == "转出组织审批" and app["revoked"] is False and app["returned"] is False
    assert (app["target_unit_name"], app["target_unit_address"]) == ("国家电网有限公司", "北京市西城区西长安街86号")


def test_a_reason_without_a_unit_stores_null_unit_fields(api, portal, members):
    assert apply(api, members[0], reasonCode="07", targetUnitName="忽略", targetUnitAddress="忽略")["retCode"] == 1000
    (app,) = portal.applications()
    assert (app["reason"], app["target_unit_name"], app["target_unit_address"]) == ("未落实工作单位", None, None)


def test_advance_moves_an_application_one_stage_on_until_done(api, portal, members):
    apply(api, members[0])
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


def test_reset_clears_applications_faults_the_clock_and_changed_passwords(api, portal, members, mock_server):
    apply(api, members[0])
    portal.faults(error_rate=0.5)
    portal.advance_clock(3)
    newcomer = portal.accounts()[1]
    session = PortalSession(mock_server.url)
    session.login(newcomer)
    assert session.call("changepassword", oldPassword=newcomer["password"], newPassword="Tw2025new")["retCode"] == 1000
    portal.reset()
    assert portal.applications() == []
    assert portal._call("GET", "faults")["error_rate"] == 0
    assert portal.clock()["offset_days"] == 0
    assert portal.accounts()[1] == newcomer


def test_captcha_is_none_when_the_captcha_is_off(portal):
    assert portal.captcha() is None


def test_an_unknown_mock_call_is_a_404_with_a_message(portal):
    with pytest.raises(MockError, match="没有这个模拟接口"):
        portal._call("GET", "nothing")


def test_the_clock_moves_on_by_days_and_stamps_new_applications(api, portal, members):
    before = portal.clock()
    assert before["offset_days"] == 0 and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", before["now"])
    moved = portal.advance_clock(30)
    assert moved["offset_days"] == 30 and moved["now"][:10] > before["now"][:10]
    apply(api, members[0])
    assert portal.applications()[0]["created_at"][:10] == moved["now"][:10]
    with pytest.raises(MockError, match="advance_days"):
        portal.advance_clock(-1)


def test_an_application_nobody_reviews_for_10_days_is_returned_and_no_longer_open(api, portal, members):
    apply(api, members[0])
    portal.advance_clock(9.9)
    assert portal.applications()[0]["returned"] is False
    portal.advance_clock(0.2)
    (app,) = portal.applications()
    assert app["returned"] is True and app["stage"] == "转出组织审批"
    (row,) = api.call("transfer/history")["results"]["rows"]
    assert (row["stageName"], row["returned"], row["revocable"]) == ("已退回", True, False)
    assert api.call("transfer/revoke", applicationId=app["id"])["retMsg"] == "该申请已退回，不需要撤销"
    with pytest.raises(MockError, match="已退回"):
        portal.advance(app["id"])
    assert apply(api, members[0])["retCode"] == 1000  # returned = not open: the member may apply again


def test_the_10_days_count_again_from_each_review_stage(api, portal, members):
    apply(api, members[0])
    portal.advance_clock(8)
    app_id = portal.applications()[0]["id"]
    portal.advance(app_id)  # 转入组织审批: the receiving org has 10 days of its own
    portal.advance_clock(8)
    assert portal.applications()[0]["returned"] is False
    portal.advance_clock(3)
    assert portal.applications()[0]["returned"] is True


def test_an_application_made_by_someone_else_is_stored_as_from_the_portal(portal, members, api):
    now = portal.clock()["now"]
    app = portal.add_application(members[0]["id_number"], "升学", target_path=["团湖北省委", "三峡大学团委"])
    assert app == portal.applications()[0]
    assert (app["stage"], app["reason"], app["study_type"], app["target_path"]) == (
        "转出组织审批", "升学", "普通高校", ["团湖北省委", "三峡大学团委"])
    assert app["created_at"][:16] == now[:16] and app["from_branch"] == BRANCH
    assert apply(api, members[0]) == {"retCode": 1001, "retMsg": "已有业务正在办理，不能重复发起", "results": None}
    assert api.call("transfer/history")["results"]["rows"][0]["name"] == members[0]["name"]


def test_an_application_by_someone_else_may_go_to_beijing_by_full_name(portal, members):
    app = portal.add_application(members[0]["id_number"], "因私出国（境）", target_full_name="共青团北京市东城区委员会")
    assert (app["province_flag"], app["province"], app["target_path"]) == (True, "北京", None)


def test_an_application_by_someone_else_refuses_bad_input_with_a_message(portal, members):
    number = members[0]["id_number"]
    bad = [
        ({"id_number": "110101200001010000", "reason": "升学", "target_path": ["团湖北省委"]}, "没有这个团员"),
        ({"id_number": number, "reason": "出国", "target_path": ["团湖北省委"]}, "转出原因不正确"),
        ({"id_number": number, "reason": "升学", "target_path": ["团湖北省委", "不存在团委"]}, "转入组织不存在"),
        ({"id_number": number, "reason": "升学", "target_path": "团湖北省委"}, "target_path"),
        ({"id_number": number, "reason": "升学"}, "target_path"),
        ({"id_number": number, "reason": "升学", "target_full_name": "某单位团委"}, "province"),
    ]
    for body, message in bad:
        with pytest.raises(MockError, match=message) as err:
            portal._call("POST", "applications", body)
        assert err.value.status == 400
    portal.add_application(number, "转往特殊单位团组织")
    with pytest.raises(MockError, match="已有业务正在办理"):
        portal.add_application(number, "转往特殊单位团组织")

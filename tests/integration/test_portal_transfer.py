"""The 办理转出 page object against the real mock in a real Chromium: what the portal stored.

Each test signs in through `PortalSession` (the session file is reused between tests of this
module, as runs reuse it), fills a row with `TransferForm`, and looks at `/__mock__/applications`.
"""

from __future__ import annotations

import asyncio
import struct
import time

import pytest
import pytest_asyncio

from fixtures.mock_portal.client import MockClient
from fixtures.mock_portal.faults import Faults
from rpa.batch import TransferRow
from rpa.catalog import load_catalog
from rpa.config import Settings
from rpa.errors import (
    AnswerLost,
    DuplicateApplication,
    MemberNotFound,
    OrgNotFound,
    PortalBusy,
    SessionExpired,
)
from rpa.portal.session import PortalSession
from rpa.portal.submission import SubmitResult
from rpa.portal.transfer_form import TransferForm
from rpa.portal.widgets import url_path

HUBEI_SCHOOL = ["团湖北省委", "三峡大学团委"]
XILING = ["团湖北省委", "团宜昌市委", "团西陵区委", "团西陵街道工委"]
EMPLOYER = ["团湖北省委", "团宜昌市委", "宜昌兴发集团有限责任公司团委"]
CENTRAL = ["中央企业团工委", "中国长江三峡集团有限公司团委"]


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_settings(mock_server, tmp_path_factory) -> Settings:
    account = MockClient(mock_server.url).accounts()[0]
    return Settings(
        _env_file=None,
        portal_url=mock_server.url,
        username=account["username"],
        password=account["password"],
        min_interval_s=0,
        timeout_ms=10_000,
        session_file=tmp_path_factory.mktemp("signed") / "session.json",
    )


@pytest_asyncio.fixture(scope="module")
async def module_session(module_settings, browser):
    """One signed-in session for the module, as one runner worker keeps it for a whole batch."""
    session = PortalSession(module_settings, browser)
    yield session
    await session.close()


@pytest_asyncio.fixture(scope="module")
async def module_page(module_session):
    await module_session.sign_in()
    return await (await module_session.new_context()).new_page()


@pytest_asyncio.fixture
async def form(module_session, module_page, module_settings, portal) -> TransferForm:
    """The form on the module's page, reused between tests as the runner reuses it between rows."""
    assert await _still_signed_in(module_session), "an earlier test expired the shared session: use fresh_form there"
    return TransferForm(module_page, module_session.catalog, module_settings.timeout_ms)


@pytest_asyncio.fixture
async def fresh_form(settings, browser):
    """A form in a session of its own, for tests that expire the session."""
    session = PortalSession(settings, browser)
    await session.sign_in()
    yield TransferForm(await (await session.new_context()).new_page(), session.catalog, settings.timeout_ms)
    await session.close()


async def _still_signed_in(session: PortalSession) -> bool:
    try:
        await session.api("userinfo")
    except SessionExpired:
        return False
    return True


def make_row(member: dict, destination: str, **values) -> TransferRow:
    """A batch row for a seeded member of 德州学院."""
    fields = {
        "row": 7,
        "name": member["name"],
        "id_number": member["id_number"],
        "phone": "13912345678",
        "contact": "母亲 13787654321",
        "branch": member["branch"],
        "destination": destination,
        "province_flag": False,
        "remark": f"{destination}，已审批",
    }
    fields.update(values)
    return TransferRow(**fields)


@pytest.fixture
def members(portal) -> list[dict]:
    return portal.members()


def stored(portal) -> list[dict]:
    return portal.applications()


# --- one test per 毕业去向 that is submitted ---------------------------------------------------------

SCHOOL_UNIT = {"unit_name": "三峡大学", "unit_address": "湖北省宜昌市西陵区大学路8号"}
EMPLOYER_UNIT = {"unit_name": "湖北兴发化工集团股份有限公司", "unit_address": "湖北省宜昌市兴山县古夫镇高阳大道58号"}
STREET_UNIT = {"unit_name": "宜昌西陵商贸有限公司", "unit_address": "湖北省宜昌市西陵区西陵一路12号"}

DESTINATIONS = [
    # 毕业去向, extra row values, stored 转出原因, stored 毕业去向 (school type), stored path
    ("升学", {"target_path": HUBEI_SCHOOL, "study_type": "高等职业院校", **SCHOOL_UNIT}, "升学", "高等职业院校",
     HUBEI_SCHOOL),
    ("就业（有团组织）", {"target_path": EMPLOYER, **EMPLOYER_UNIT}, "已落实工作单位（工作单位有团组织）", None, EMPLOYER),
    (
        "就业（无团组织）",
        {"target_path": [*XILING, "西陵街道流动团员团支部"], **STREET_UNIT},
        "已落实工作单位（工作单位无团组织）", None, [*XILING, "西陵街道流动团员团支部"],
    ),
    ("因私出国（境）", {"target_path": [*XILING, "西陵街道青年之家"]}, "因私出国（境）", None, [*XILING, "西陵街道青年之家"]),
    ("参军入伍", {}, "转往特殊单位团组织", None, None),
    ("涉密单位", {}, "转往特殊单位团组织", None, None),
    (
        "未落实",
        {"target_path": [*XILING, "西陵街道学社衔接临时团支部"]},
        "未落实工作单位", None, [*XILING, "西陵街道学社衔接临时团支部"],
    ),
]


@pytest.mark.parametrize(
    ("destination", "values", "reason", "study_type", "path"), DESTINATIONS, ids=[d[0] for d in DESTINATIONS]
)
async def test_each_submitted_destination_is_stored_field_by_field(
    form, portal, members, destination, values, reason, study_type, path
):
    member = members[3]
    row = make_row(member, destination, **values)

    await form.open()
    await form.fill(row)
    result = await form.submit()

    assert isinstance(result, SubmitResult) and result.created_at
    [app] = stored(portal)
    assert app["id"] == result.application_id
    assert app["id_number"] == member["id_number"]
    assert app["name"] == member["name"]
    assert app["from_branch"] == member["branch"]
    assert app["phone"] == "13912345678"
    assert app["contact"] == "母亲 13787654321"
    assert app["reason"] == reason
    assert app["study_type"] == study_type
    assert app["target_unit_name"] == values.get("unit_name")  # None where the reason asks no unit
    assert app["target_unit_address"] == values.get("unit_address")
    assert app["province_flag"] is False
    assert app["province"] is None and app["target_full_name"] is None
    assert app["target_path"] == path
    assert app["remark"] == f"{destination}，已审批"
    assert app["revoked"] is False
    assert app["created_at"] == result.created_at


async def test_a_study_row_without_study_type_is_sent_as_a_regular_university(form, portal, members):
    row = make_row(members[0], "升学", target_path=HUBEI_SCHOOL, study_type=None, remark=None, **SCHOOL_UNIT)

    await form.open()
    await form.fill(row)
    await form.submit()

    [app] = stored(portal)
    assert app["study_type"] == "普通高校"
    assert app["remark"] is None


async def test_a_guangdong_target_is_sent_with_the_flag_the_province_and_the_full_name(form, portal, members):
    row = make_row(
        members[1], "就业（有团组织）", province_flag=True, province="广东",
        target_full_name="共青团广州市天河区委员会", target_path=None, **EMPLOYER_UNIT,
    )

    await form.open()
    await form.fill(row)
    await form.submit()

    [app] = stored(portal)
    assert app["province_flag"] is True
    assert app["province"] == "广东"
    assert app["target_full_name"] == "共青团广州市天河区委员会"
    assert app["target_path"] is None
    assert app["reason"] == "已落实工作单位（工作单位有团组织）"


async def test_a_central_unit_is_picked_at_the_top_of_the_national_tree_with_the_flag_no(form, portal, members):
    row = make_row(members[2], "就业（有团组织）", target_path=CENTRAL, **EMPLOYER_UNIT)

    await form.open()
    await form.fill(row)
    await form.submit()

    [app] = stored(portal)
    assert app["province_flag"] is False
    assert app["target_path"] == CENTRAL


# --- what must not be stored ----------------------------------------------------------------------


async def test_a_path_that_does_not_exist_names_the_parent_and_lists_what_is_there(form, portal, members):
    # FAQ 12: 三峡大学 sits under 团湖北省委, not under 团宜昌市委.
    row = make_row(members[0], "升学", target_path=["团湖北省委", "团宜昌市委", "三峡大学团委"], **SCHOOL_UNIT)

    await form.open()
    with pytest.raises(OrgNotFound) as caught:
        await form.fill(row)

    error = caught.value
    assert error.context["parent"] == "团宜昌市委"
    assert error.context["missing"] == "三峡大学团委"
    assert "团西陵区委" in error.context["available"]
    assert "在“团宜昌市委”下找不到“三峡大学团委”" in error.message and "团西陵区委" in error.message
    assert stored(portal) == []


async def test_a_missing_top_level_lists_the_top_of_the_tree(form, members):
    row = make_row(members[0], "升学", target_path=["团北京市委", "北京大学团委"], **SCHOOL_UNIT)

    await form.open()
    with pytest.raises(OrgNotFound) as caught:
        await form.fill(row)

    assert caught.value.context["missing"] == "团北京市委"
    assert "团湖北省委" in caught.value.context["available"]
    assert "中央企业团工委" in caught.value.context["available"]


async def test_a_filled_form_that_is_not_submitted_stores_nothing(form, portal, members):
    await form.open()
    await form.fill(make_row(members[0], "就业（有团组织）", target_path=EMPLOYER, **EMPLOYER_UNIT))
    await form.open()  # the next row: the form starts again from scratch
    await form.fill(make_row(members[1], "未落实", target_path=[*XILING, "西陵街道学社衔接临时团支部"]))

    assert stored(portal) == []


async def test_a_member_who_is_not_in_the_branch_is_reported_with_the_branch_members(form, portal, members):
    stranger = dict(members[0], id_number="370102200001011236", name="不存在")
    await form.open()
    with pytest.raises(MemberNotFound) as caught:
        await form.fill(make_row(stranger, "参军入伍"))

    assert "不存在（3701**********1236）" in caught.value.message
    assert members[0]["name"] in caught.value.message
    assert stored(portal) == []


async def test_a_branch_that_is_not_in_the_account_is_reported_with_the_branches(form, members):
    await form.open()
    with pytest.raises(MemberNotFound) as caught:
        await form.fill(make_row(dict(members[0], branch="清华大学计算机系团支部"), "参军入伍"))

    assert "清华大学计算机系团支部" in caught.value.message
    assert members[0]["branch"] in caught.value.message


async def test_a_second_application_for_the_same_member_is_a_duplicate(form, portal, members):
    row = make_row(members[4], "参军入伍")
    await form.open()
    await form.fill(row)
    await form.submit()

    await form.open()
    await form.fill(row)
    with pytest.raises(DuplicateApplication) as caught:
        await form.submit()

    assert "已有业务正在办理" in caught.value.message
    assert len(stored(portal)) == 1


# --- the portal misbehaving -------------------------------------------------------------------------


async def test_an_expired_session_when_opening_the_form_is_session_expired(fresh_form, portal):
    portal.faults(expire_after_requests=1)

    with pytest.raises(SessionExpired):
        await fresh_form.open()


async def test_an_expired_session_at_submit_is_session_expired_and_stores_nothing(fresh_form, portal, members):
    await fresh_form.open()
    await fresh_form.fill(make_row(members[0], "涉密单位"))
    portal.faults(expire_after_requests=1)  # this session made more calls than that already

    with pytest.raises(SessionExpired):
        await fresh_form.submit()
    assert fresh_form.page.url.split("?")[0].endswith("/zhtj/signin")
    assert stored(portal) == []


async def test_a_busy_answer_to_submit_is_portal_busy_and_nothing_is_stored(form, portal, members):
    await form.open()
    await form.fill(make_row(members[0], "涉密单位"))
    portal.faults(error_rate=1, seed=_seed_whose_first_fault_is("busy"))

    with pytest.raises(PortalBusy):
        await form.submit()
    assert stored(portal) == []


async def test_an_answer_lost_after_the_portal_stored_the_application_is_answer_lost(form, portal, members):
    await form.open()
    await form.fill(make_row(members[0], "涉密单位"))
    portal.faults(drop_after_commit_rate=1)

    with pytest.raises(AnswerLost) as caught:
        await form.submit()
    assert "接转历史" in caught.value.message  # says to look before trying again
    assert len(stored(portal)) == 1


async def test_a_server_error_after_the_click_is_answer_lost_not_busy(form, portal, members):
    await form.open()
    await form.fill(make_row(members[0], "涉密单位"))
    portal.faults(error_rate=1, seed=_seed_whose_first_fault_is("http500"))

    with pytest.raises(AnswerLost):
        await form.submit()


async def test_no_answer_in_time_after_the_click_is_answer_lost(form, portal, members):
    await form.open()
    await form.fill(make_row(members[0], "涉密单位"))
    portal.faults(latency_ms=2500)
    impatient = TransferForm(form.page, form.catalog, timeout_ms=800)

    with pytest.raises(AnswerLost, match="秒内没有答复"):
        await impatient.submit()
    # The portal stores it after all: exactly the case the history look before a retry is for.
    deadline = time.monotonic() + 10
    while not stored(portal) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert len(stored(portal)) == 1


async def test_a_portal_error_while_opening_the_form_is_busy(form, portal):
    portal.faults(error_rate=1)

    with pytest.raises(PortalBusy):
        await form.open()


async def test_a_tree_level_that_fails_to_load_is_busy_not_a_missing_org(form, portal, members):
    await form.open()
    # The fill's calls: members, the top of the tree, then 团湖北省委's level — which fails.
    portal.faults(error_rate=0.5, seed=_seed_whose_faults_are([None, None, "any"]))

    with pytest.raises(PortalBusy):
        await form.fill(make_row(members[0], "升学", target_path=HUBEI_SCHOOL, **SCHOOL_UNIT))
    assert stored(portal) == []


def _seed_whose_faults_are(wanted: list[str | None]) -> int:
    """A seed (error_rate 0.5) whose first calls fail like `wanted` ("any" = either failure)."""
    for seed in range(1000):
        faults = Faults()
        faults.update({"error_rate": 0.5, "seed": seed})
        picks = [faults.pick_error() for _ in wanted]
        if all((p is not None) if w == "any" else p == w for p, w in zip(picks, wanted)):
            return seed
    raise AssertionError(wanted)


def _seed_whose_first_fault_is(kind: str) -> int:
    """A fault seed whose first pick is `kind`, asked of the mock's own fault logic."""
    for seed in range(100):
        faults = Faults()
        faults.update({"error_rate": 1, "seed": seed})
        if faults.pick_error() == kind:
            return seed
    raise AssertionError(f"no seed gives {kind}")


# --- evidence ---------------------------------------------------------------------------------------


async def test_the_screenshot_shows_the_whole_filled_form_with_the_org_path(form, members, shots):
    deep = [*XILING, "西陵街道学社衔接临时团支部"]  # longer than the cascader is wide
    row = make_row(members[5], "未落实", target_path=deep)
    await form.open()
    await form.fill(row)
    path = shots / "row-7.png"

    await form.screenshot(path)

    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert width == 1280 and height > 900  # stretched to show the form down to 提交
    assert await form.org_picker.value() == " / ".join(deep)
    assert form.page.viewport_size == {"width": 1280, "height": 900}  # put back after the shot
    assert await form.org_picker.widgets.evaluate("el => el.style.width") == ""  # the widened path too


async def test_a_row_read_back_reports_every_field_the_page_shows(form, members):
    row = make_row(members[0], "升学", target_path=HUBEI_SCHOOL, study_type="普通高中", **SCHOOL_UNIT)
    await form.open()
    await form.fill(row)

    shown = await form.read()

    assert shown == form.expected(row)
    assert shown["target"] == "团湖北省委 / 三峡大学团委"
    assert (shown["study_type"], shown["unit_name"], shown["unit_address"]) == (
        "普通高中", "三峡大学", "湖北省宜昌市西陵区大学路8号")
    school = form.item("school_name")
    assert await school.get_by_label("转入学校名称").input_value() == "三峡大学"  # under the school's label
    assert shown["id_number"] == row.masked_id


async def test_the_catalog_of_a_form_is_the_checked_default_one(form):
    assert form.catalog.path == load_catalog().path


async def test_the_page_is_loaded_afresh_after_reload_every_rows(form, members):
    """The menu renews the form, but every `reload_every` rows the page is loaded again (a
    document kept for hundreds of rows grows in memory)."""
    loads: list[str] = []
    form.page.on("request", lambda r: loads.append(r.url) if r.resource_type == "document" else None)
    form.reload_every = 2
    shown = []
    for member in members[8:13]:
        await form.open()
        await form.fill(make_row(member, "参军入伍"))  # preview: filled, never submitted
        shown.append((await form.read())["name"])

    assert len(loads) == 3, loads  # rows 1, 3 and 5 began with a page load; 2 and 4 by the menu
    assert shown == [m["name"] for m in members[8:13]]


async def test_rows_one_after_another_keep_the_page_and_each_gets_its_own_answer(form, portal, members):
    """After a clean row the page is kept and the next member chosen in the card (no page
    load), as the runner does between rows; each submit reads its own answer, not the toast of
    the row before."""
    loads: list[str] = []
    form.page.on("request", lambda r: loads.append(r.url) if r.resource_type == "document" else None)
    first = make_row(members[5], "就业（有团组织）", target_path=EMPLOYER, **EMPLOYER_UNIT)
    previewed = make_row(members[6], "升学", target_path=HUBEI_SCHOOL, **SCHOOL_UNIT)
    second = make_row(members[7], "升学", province_flag=True, province="广东", target_full_name="中山大学团委",
                      unit_name="中山大学", unit_address="广东省广州市海珠区新港西路135号")

    await form.open()
    await form.fill(first)
    result_first = await form.submit()
    await form.open()
    await form.fill(previewed)  # preview: filled, never submitted
    await form.open()
    await form.fill(second)
    result_second = await form.submit()

    assert len(loads) <= 1, loads  # only the first open loaded the page (if it wasn't there yet)
    by_id = {app["id"]: app for app in stored(portal)}
    assert set(by_id) == {result_first.application_id, result_second.application_id}
    assert by_id[result_first.application_id]["name"] == members[5]["name"]
    assert by_id[result_first.application_id]["target_path"] == EMPLOYER
    app = by_id[result_second.application_id]
    assert (app["name"], app["province_flag"], app["province"], app["target_full_name"]) == (
        members[7]["name"], True, "广东", "中山大学团委")
    assert app["reason"] == "升学" and app["target_path"] is None


async def test_the_next_member_of_the_same_branch_is_chosen_from_the_list_the_card_already_holds(
        form, portal, members):
    """Two members of one branch one after the other: one page load, one member list asked of
    the portal, a fresh form for the second (nothing left from the first), both stored as filled."""
    branch = members[20]["branch"]
    first, second = [m for m in members if m["branch"] == branch][:2]
    asked: list[str] = []
    form.page.on("request", lambda r: asked.append(url_path(r.url) if r.resource_type != "document" else "(page)"))
    form._settled = False  # start from a page load, whatever the test before left

    await form.open()
    await form.fill(make_row(first, "升学", target_path=HUBEI_SCHOOL, study_type="普通高中", **SCHOOL_UNIT))
    result_first = await form.submit()
    await form.open()
    await form.fill(make_row(second, "参军入伍"))  # no target path: the first row's must be gone
    result_second = await form.submit()

    assert asked.count("(page)") == 1 and asked.count(form.catalog.api_path("member_list")) == 1, asked
    by_id = {app["id"]: app for app in stored(portal)}
    app_first, app_second = by_id[result_first.application_id], by_id[result_second.application_id]
    assert (app_first["name"], app_first["target_path"]) == (first["name"], HUBEI_SCHOOL)
    assert (app_second["name"], app_second["reason"]) == (second["name"], "转往特殊单位团组织")
    assert app_second["target_path"] is None and app_second["study_type"] is None


async def test_the_same_member_twice_in_a_row_gets_a_page_load_not_the_form_of_before(form, members):
    """Choosing the member on show again would leave the form as it was: the page is loaded."""
    loads: list[str] = []
    form.page.on("request", lambda r: loads.append(r.url) if r.resource_type == "document" else None)
    member = members[21]
    await form.open()
    await form.fill(make_row(member, "升学", target_path=HUBEI_SCHOOL, **SCHOOL_UNIT))
    loads.clear()

    await form.open()
    await form.fill(make_row(member, "参军入伍"))

    assert len(loads) == 1, loads
    shown = await form.read()
    assert shown["name"] == member["name"] and "target" not in shown

"""Signing in, the saved session, the portal's API, the history and the org tree — real mock, real Chromium."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
import threading
import zipfile

import pytest
import pytest_asyncio
from batchmaker import make_id

from fixtures.mock_portal.client import MockClient, MockPortal
from fixtures.mock_portal.faults import Faults
from rpa.errors import (
    CaptchaRequired,
    CredentialsMissing,
    ConfigError,
    OrgNotFound,
    PortalBusy,
    PortalRejected,
    PortalUnreachable,
    SessionExpired,
)
from rpa.batch import TransferRow
from rpa.portal.history import TransfersPage, applications_of
from rpa.portal.login import interactive_login
from rpa.portal.orgtree import OrgCache, OrgTree
from rpa.portal.session import PortalSession

SCHOOL = ["团湖北省委", "三峡大学团委"]
STREET = ["团湖北省委", "团宜昌市委", "团西陵区委", "团西陵街道工委", "西陵街道流动团员团支部"]


@pytest_asyncio.fixture
async def session(settings, browser):
    session = PortalSession(settings, browser)
    await session.sign_in()
    yield session
    await session.close()


@pytest.fixture(scope="module")
def captcha_server(tmp_path_factory):
    """A second mock that asks for an image captcha (mode `fixed`: tests can read the code)."""
    with MockPortal.start(db=tmp_path_factory.mktemp("captcha") / "portal.db", captcha="fixed") as server:
        yield server


def in_thread(fn, *args, **kwargs):
    """Run `fn` in a thread of its own: it starts its own Playwright, which can't nest in ours."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if "error" in box:
        raise box["error"]
    return box["value"]


class Console:
    def __init__(self):
        self.lines: list[str] = []

    def print(self, text="", *args, **kwargs):
        self.lines.append(str(text))


async def apply_via_api(session: PortalSession, member: dict) -> int:
    """Store an application the way the Vue app does, straight through the API (转往特殊单位团组织)."""
    [found] = (await session.api("fullSearchUser", identityCardNo=member["id_number"]))["userList"]
    result = await session.api(
        "transfer/apply", memberId=found["userId"], phone="13912345678", contact="母亲", reasonCode="06",
        studyTypeCode="", provinceFlag="0", province="", targetLeagueId="", targetFullName="", remark="",
    )
    return result["applicationId"]


def army_row(member: dict) -> TransferRow:
    """The batch row of a member going to the army (转往特殊单位团组织: no target org)."""
    return TransferRow(row=5, name=member["name"], id_number=member["id_number"], phone="13912345678",
                       contact="母亲", branch=member["branch"], destination="参军入伍", province_flag=False)


# --- signing in -----------------------------------------------------------------------------------


async def test_signing_in_saves_the_session_readable_only_by_the_user(session, settings):
    file = settings.session_file

    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    state = json.loads(file.read_text(encoding="utf-8"))
    assert any(c["name"] == "zhtjWeb_SessionName__" for c in state["cookies"])
    assert settings.password.get_secret_value() not in file.read_text(encoding="utf-8")


async def test_a_saved_session_is_reused_without_signing_in_again(session, settings, browser):
    before = settings.session_file.read_bytes()

    again = PortalSession(settings, browser)
    await again.sign_in()

    assert settings.session_file.read_bytes() == before
    assert (await again.api("userinfo"))["orgName"] == "德州学院团委"
    assert again.way_checked  # the way to 办理转出 was walked again for this session
    await again.close()


async def test_a_stale_saved_session_is_replaced_by_a_new_sign_in(settings, browser, mock_server):
    host = mock_server.url.split("//")[1].split(":")[0]
    stale = {"cookies": [{"name": "zhtjWeb_SessionName__", "value": "gone", "domain": host, "path": "/", "expires": -1,
                          "httpOnly": True, "secure": False, "sameSite": "Lax"}], "origins": []}
    settings.session_file.write_text(json.dumps(stale), encoding="utf-8")

    session = PortalSession(settings, browser)
    await session.sign_in()

    cookies = json.loads(settings.session_file.read_text(encoding="utf-8"))["cookies"]
    assert [c["value"] for c in cookies if c["name"] == "zhtjWeb_SessionName__"] != ["gone"]
    assert (await session.api("userinfo"))["username"] == settings.username
    await session.close()


async def test_a_wrong_password_is_a_config_error_that_never_shows_the_password(settings, browser):
    wrong = settings.model_copy(update={"password": type(settings.password)("Wrong#Pass-123")})

    with pytest.raises(ConfigError) as caught:
        await PortalSession(wrong, browser).sign_in()

    assert "账号或密码错误" in caught.value.message and "RPA_PASSWORD" in caught.value.message
    assert "Wrong#Pass-123" not in caught.value.message
    assert not wrong.session_file.exists()


async def test_no_password_and_no_saved_session_asks_for_rpa_init_or_rpa_login(settings, browser):
    bare = settings.model_copy(update={"password": type(settings.password)("")})

    with pytest.raises(CredentialsMissing, match="rpa init") as caught:
        await PortalSession(bare, browser).sign_in()
    assert "密码" in caught.value.message and "rpa login" in caught.value.message


async def test_a_portal_that_is_not_there_is_unreachable(settings, browser):
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    nowhere = settings.model_copy(update={"portal_url": f"http://127.0.0.1:{port}"})

    with pytest.raises(PortalUnreachable, match=f"127.0.0.1:{port}"):
        await PortalSession(nowhere, browser).sign_in()


async def test_a_captcha_on_the_sign_in_page_asks_for_rpa_login(settings, browser, captcha_server):
    guarded = settings.model_copy(update={"portal_url": captcha_server.url})

    with pytest.raises(CaptchaRequired) as caught:
        await PortalSession(guarded, browser).sign_in()

    assert "请先运行 rpa login" in caught.value.message


def test_rpa_login_saves_the_session_once_the_secretary_types_the_captcha(settings, captcha_server):
    guarded = settings.model_copy(update={"portal_url": captcha_server.url})
    client = MockClient(captcha_server.url)
    console = Console()

    async def secretary(page):
        # What the secretary does in the window: read the image, type it, click 登录.
        await page.locator("#yzm").fill(client.captcha())
        await page.get_by_role("button", name="登录").click()

    code = in_thread(interactive_login, guarded, console, headless=True, secretary=secretary)

    assert code == 0
    assert stat.S_IMODE(guarded.session_file.stat().st_mode) == 0o600
    assert str(guarded.session_file) in console.lines[-1]
    assert all(guarded.password.get_secret_value() not in line for line in console.lines)


def test_rpa_login_gives_up_with_2_when_nobody_signs_in(settings, captcha_server):
    guarded = settings.model_copy(update={"portal_url": captcha_server.url})
    console = Console()

    code = in_thread(interactive_login, guarded, console, headless=True, timeout_ms=1500)

    assert code == 2
    assert "rpa login" in console.lines[-1]
    assert not guarded.session_file.exists()


async def test_a_new_context_is_signed_in_in_chinese_with_the_configured_timeout(session, settings):
    context = await session.new_context()
    page = await context.new_page()

    await page.goto("/zhtj/center")

    await page.get_by_role("link", name="退出").wait_for()
    assert await page.evaluate("navigator.language") == "zh-CN"
    assert page.viewport_size == {"width": 1280, "height": 900}


async def test_a_trace_of_a_row_context_never_holds_the_password(session, settings, tmp_path):
    context = await session.new_context()
    await context.tracing.start(screenshots=True, snapshots=True)
    page = await context.new_page()
    await page.goto("/zhtj/center/manage/transferout")
    await page.get_by_text("选择转出人").wait_for()
    trace = tmp_path / "trace.zip"
    await context.tracing.stop(path=trace)

    password = settings.password.get_secret_value().encode()
    with zipfile.ZipFile(trace) as archive:
        assert all(password not in archive.read(name) for name in archive.namelist())


# --- the API ----------------------------------------------------------------------------------------


async def test_the_api_answers_the_results_of_a_good_call(session, account):
    user = await session.api("userinfo")

    assert (user["username"], user["orgName"], user["firstLogin"]) == (account["username"], "德州学院团委", False)


async def test_the_api_turns_1009_into_session_expired(session, portal):
    portal.faults(expire_after_requests=1)  # the session has made more calls than that since its sign-in

    with pytest.raises(SessionExpired, match="您的登录已超时"):
        await session.api("userinfo")


async def test_the_api_reads_the_expiry_sentence_as_a_plain_text_body_as_session_expired(session, portal):
    portal.faults(expire_after_requests=1, expired_as_text_rate=1)

    with pytest.raises(SessionExpired, match="您的登录已超时"):
        await session.api("userinfo")


async def test_the_api_turns_a_busy_answer_into_portal_busy(session, portal):
    portal.faults(error_rate=1, seed=_seed_whose_first_fault_is("busy"))

    with pytest.raises(PortalBusy, match="系统繁忙"):
        await session.api("userinfo")


async def test_the_api_turns_http_500_into_portal_busy(session, portal):
    portal.faults(error_rate=1, seed=_seed_whose_first_fault_is("http500"))

    with pytest.raises(PortalBusy, match="HTTP 500"):
        await session.api("userinfo")


async def test_the_api_turns_another_refusal_into_portal_rejected_with_the_portals_words(session):
    with pytest.raises(PortalRejected, match="申请不存在"):
        await session.api("transfer/revoke", applicationId=99999)


def _seed_whose_first_fault_is(kind: str) -> int:
    for seed in range(100):
        faults = Faults()
        faults.update({"error_rate": 1, "seed": seed})
        if faults.pick_error() == kind:
            return seed
    raise AssertionError(kind)


# --- the history (组织关系审批, by name) -----------------------------------------------------------------


async def find_application(session, row):
    """The member's first open application to the row's target (the rule itself, with the time
    of the row's click, is rpa.runner.reconcile's: tests/unit/test_reconcile.py)."""
    for entry in await applications_of(session, row):
        if entry.open and entry.targets(row):
            return entry
    return None


async def test_find_application_finds_the_members_open_application(session, portal):
    member = portal.members()[10]
    application_id = await apply_via_api(session, member)

    entry = await find_application(session, army_row(member))

    assert entry is not None
    assert entry.application_id == str(application_id)
    assert entry.name == member["name"] and entry.id_masked == army_row(member).masked_id
    assert entry.created_at == portal.applications()[0]["created_at"]
    assert entry.stage_name == "转出组织审批" and entry.open
    assert entry.target == "特殊单位专属库"


async def test_find_application_finds_nothing_for_a_member_without_one(session, portal):
    members = portal.members()
    await apply_via_api(session, members[10])

    assert await find_application(session, army_row(members[11])) is None


async def test_find_application_ignores_a_revoked_application(session, portal):
    member = portal.members()[12]
    application_id = await apply_via_api(session, member)
    await session.api("transfer/revoke", applicationId=application_id)

    assert await find_application(session, army_row(member)) is None
    [entry] = await applications_of(session, army_row(member))
    assert entry.stage_name == "已撤销" and entry.revoked and not entry.open


async def test_an_application_returned_after_ten_days_is_no_longer_open(session, portal):
    member = portal.members()[14]
    await apply_via_api(session, member)
    portal.advance_clock(11)

    [entry] = await applications_of(session, army_row(member))

    assert entry.stage_name == "已退回" and not entry.open
    assert await find_application(session, army_row(member)) is None


async def test_a_namesake_in_another_branch_is_not_the_members_application(session, portal):
    member = portal.members()[15]
    namesake = {"name": member["name"], "id_number": make_id("370102", "20000101", "123"), "phone": "13900000001",
                "branch": portal.members()[40]["branch"]}
    portal.add_members([namesake])
    await apply_via_api(session, namesake)

    assert await applications_of(session, army_row(member)) == []
    assert [e.id_masked for e in await applications_of(session, army_row(namesake))] == [army_row(namesake).masked_id]


async def test_an_application_to_another_target_is_the_members_but_not_the_rows(session, portal):
    member = portal.members()[16]
    portal.add_application(member["id_number"], "升学", target_path=["团湖北省委", "三峡大学团委"],
                           study_type="普通高校", target_unit_name="三峡大学", target_unit_address="宜昌")
    row = army_row(member).model_copy(update={"destination": "升学", "target_path": ["团山东省委", "山东大学团委"]})
    same = row.model_copy(update={"target_path": ["团湖北省委", "三峡大学团委"]})

    [entry] = await applications_of(session, row)

    assert entry.is_for(row) and entry.open and not entry.targets(row)
    assert await find_application(session, row) is None
    assert (await find_application(session, same)).target == "共青团三峡大学委员会"


async def test_find_application_does_not_take_an_error_for_not_found(session, portal):
    portal.faults(expire_after_requests=1)

    with pytest.raises(SessionExpired):
        await find_application(session, army_row(portal.members()[0]))


async def test_the_transfers_page_lists_the_members_application(session, portal, settings):
    member = portal.members()[13]
    await apply_via_api(session, member)
    page = TransfersPage(await (await session.new_context()).new_page(), session.catalog, settings.timeout_ms)

    await page.open()
    rows = await page.search(member["id_number"])

    assert len(rows) == 1
    assert member["name"] in rows[0] and member["id_number"][:4] + "*" * 10 + member["id_number"][-4:] in rows[0]
    assert "特殊单位专属库" in rows[0]
    assert member["id_number"] not in rows[0]  # the portal shows the masked number only


# --- the org tree -------------------------------------------------------------------------------------


async def test_an_existing_path_passes_the_check(session):
    await OrgTree(session).check_path(STREET)


async def test_a_missing_level_names_its_parent_and_what_the_parent_holds(session):
    with pytest.raises(OrgNotFound) as caught:
        await OrgTree(session).check_path(["团湖北省委", "团宜昌市委", "三峡大学团委"])

    assert caught.value.context["parent"] == "团宜昌市委"
    assert caught.value.context["missing"] == "三峡大学团委"
    assert "团西陵区委" in caught.value.context["available"]


async def test_a_path_below_a_leaf_is_missing_with_nothing_there(session):
    with pytest.raises(OrgNotFound) as caught:
        await OrgTree(session).check_path([*STREET, "不存在的支部"])

    assert caught.value.context["parent"] == "西陵街道流动团员团支部"
    assert caught.value.context["available"] == []


async def test_each_level_of_the_tree_is_fetched_once_per_run(session):
    fetched: list[str] = []
    real_api = session.api

    async def counting_api(path, **form):
        if path == "getorgtree":
            fetched.append(form["queryLeagueId"])
        return await real_api(path, **form)

    session.api = counting_api  # the test watches the session's calls; the page is untouched
    cache = OrgCache()
    tree, other = OrgTree(session, cache), OrgTree(session, cache)

    await tree.check_path(STREET)
    await tree.check_path(SCHOOL)
    await other.check_path([*STREET[:-1], "西陵街道青年之家"])
    with pytest.raises(OrgNotFound):
        await other.check_path(["团湖北省委", "团宜昌市委", "三峡大学团委"])

    assert len(fetched) == len(set(fetched)) == cache.fetches == 5  # top + the 4 levels below it


async def test_the_cache_fetches_a_level_once_even_when_tasks_ask_together():
    cache = OrgCache()
    calls = []

    async def fetch(pid):
        calls.append(pid)
        await asyncio.sleep(0.05)  # the portal takes a while: the other tasks ask meanwhile
        return []

    await asyncio.gather(*(cache.get("42", fetch) for _ in range(8)))

    assert calls == ["42"]

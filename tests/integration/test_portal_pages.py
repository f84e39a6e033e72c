"""Pages the tool doesn't expect stop it before any row: a first sign-in that demands a new
password, a WAF or verification page, a page the catalog's path doesn't lead to, a portal whose
answers say the sign-in has expired (as plain text). A Chinese message says what was seen and
what to do; a screenshot is saved; nothing is submitted. Real mock, real Chromium, real `rpa`.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
from pathlib import Path

import pytest
from batchmaker import console_of, portal_env, records, rpa

from rpa.catalog import catalog_for
from rpa.check import quick_check
from rpa.demo import pick_members, plan_rows, write_batch
from rpa.errors import PasswordChangeRequired, PortalBusy, SessionExpired, UnexpectedPage
from rpa.portal.navigation import Navigator
from rpa.portal.session import PortalSession

ARMY = {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否"}
# What a WAF's challenge page says (the kind of page 知道创宇/加速乐 shows before a site).
WAF_PAGE = "<html><head><title>安全验证</title></head><body><h1>访问验证</h1><p>请完成安全验证后继续访问</p></body></html>"


@pytest.fixture
def waf():
    """A tiny local server that answers every request with a verification page."""

    class Challenge(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            body = WAF_PAGE.encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Challenge)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def first_login(portal) -> dict:
    [account] = [a for a in portal.accounts() if a["first_login"]]
    return account


async def test_a_first_sign_in_that_demands_a_new_password_stops_with_a_screenshot(settings, browser, portal, tmp_path):
    account = first_login(portal)
    fresh = settings.model_copy(update={"username": account["username"],
                                        "password": type(settings.password)(account["password"])})
    shots = tmp_path / "screenshots"

    with pytest.raises(PasswordChangeRequired) as caught:
        await PortalSession(fresh, browser, evidence_dir=shots).sign_in()

    message = caught.value.message
    assert "修改密码" in message and "rpa init" in message and "没有办理任何一行" in message
    assert caught.value.context["screenshot"] == str(shots / "portal-unexpected-page.png")
    assert (shots / "portal-unexpected-page.png").read_bytes()[:4] == b"\x89PNG"
    assert account["password"] not in message


async def test_a_verification_page_instead_of_the_sign_in_page_is_named_with_what_it_says(settings, browser, waf, tmp_path):
    guarded = settings.model_copy(update={"portal_url": waf, "timeout_ms": 2000})

    with pytest.raises(UnexpectedPage) as caught:
        await PortalSession(guarded, browser, evidence_dir=tmp_path).sign_in()

    message = caught.value.message
    assert "安全验证" in message and "访问验证" in message  # the title and the page's first words
    assert "“登录”" in message and "请先用浏览器打开门户" in message
    assert (tmp_path / "portal-unexpected-page.png").exists()


async def test_a_catalog_path_that_leads_elsewhere_stops_at_the_sign_in_walk(settings, browser, tmp_path):
    overlay = tmp_path / "overlay.toml"
    overlay.write_text('[pages]\npersonal = "/__mock__/clock"\n', encoding="utf-8")  # not a page of the portal
    wrong = settings.model_copy(update={"catalog": overlay, "timeout_ms": 2000})

    with pytest.raises(UnexpectedPage) as caught:
        await PortalSession(wrong, browser, evidence_dir=tmp_path).sign_in()

    assert "不是预期的“个人首页”页面" in caught.value.message and "/__mock__/clock" in caught.value.message
    assert "overlay.toml" in caught.value.message  # the catalog to update, if the portal changed
    assert caught.value.context["seen"] is None


async def test_the_walk_to_the_form_follows_the_menus_of_the_guides(settings, browser, portal):
    session = PortalSession(settings, browser)
    await session.sign_in()
    await session.close()

    loads = portal.page_loads()
    assert session.way_checked
    # One page loaded (个人首页); 管理中心, 组织关系转接办理 and 办理转出 were reached by clicks.
    assert loads.get("/zhtj/personal") == 1 and "/zhtj/center/manage/transferout" not in loads


def test_rpa_submit_with_a_first_login_account_exits_2_before_any_row(tmp_path, portal, settings):
    account = first_login(portal)
    rows = plan_rows(pick_members(portal.members(), 2), [ARMY] * 2)
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    env = portal_env(settings.portal_url, account, tmp_path)

    run = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert run.returncode == 2, console_of(run)
    assert "门户要求先修改密码" in run.stdout and "Traceback" not in run.stderr
    assert (tmp_path / "out" / "screenshots" / "portal-unexpected-page.png").exists()
    assert not [r for r in records(tmp_path / "out") if r["status"] not in ("invalid", "skipped", "retained")]
    assert portal.applications() == []


def test_rpa_submit_against_a_verification_page_exits_2_with_what_it_saw(tmp_path, portal, settings, waf, account):
    rows = plan_rows(pick_members(portal.members(), 1), [ARMY])
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    env = portal_env(waf, account, tmp_path, RPA_TIMEOUT_MS="2000")

    run = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert run.returncode == 2, console_of(run)
    assert "访问验证" in run.stdout and "没有办理任何一行" in run.stdout
    assert (tmp_path / "out" / "screenshots" / "portal-unexpected-page.png").exists()
    assert records(tmp_path / "out") == []


def test_a_portal_that_answers_every_call_with_the_plain_text_expiry_stops_the_run_cleanly(tmp_path, portal, settings, account):
    rows = plan_rows(pick_members(portal.members(), 1), [ARMY])
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    env = portal_env(settings.portal_url, account, tmp_path)
    portal.faults(expire_after_requests=1, expired_as_text_rate=1)  # signed in, expired at once, as text

    run = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert run.returncode == 2, console_of(run)
    assert "门户认为登录已失效" in run.stdout and "请稍后重新运行" in run.stdout
    assert "Traceback" not in run.stderr and "无法识别" not in run.stdout
    assert (tmp_path / "out" / "screenshots" / "portal-unexpected-page.png").exists()
    assert records(tmp_path / "out") == []
    assert portal.applications() == []


async def test_a_session_that_expired_as_plain_text_is_renewed(settings, browser, portal):
    session = PortalSession(settings, browser)
    await session.sign_in()
    portal.faults(expire_after_requests=1, expired_as_text_rate=1)
    with pytest.raises(SessionExpired):
        await session.api("userinfo")
    portal.faults(expire_after_requests=0, expired_as_text_rate=0)

    await session.renew(session.generation)

    assert (await session.api("userinfo"))["orgName"] == "德州学院团委"
    assert json.loads(Path(settings.session_file).read_text(encoding="utf-8"))["cookies"]
    await session.close()


async def test_a_busy_portal_on_the_walk_is_busy_not_an_unexpected_page(settings, browser, portal, tmp_path):
    session = PortalSession(settings, browser, evidence_dir=tmp_path)
    await session.sign_in()
    session.way_checked = False
    portal.faults(error_rate=1)  # every call fails: the page shows the portal's error, nothing else

    with pytest.raises(PortalBusy):
        await session.check_way()
    await session.close()


async def test_a_look_at_a_page_without_waiting_ends_at_once(settings, browser):
    # To Playwright a timeout of 0 means none: this look once waited for ever on a blank page,
    # and `rpa retry` hung before its first row.
    context = await browser.new_context(base_url=settings.portal_url)
    page = await context.new_page()
    await page.goto("/__mock__/clock")  # no page of the portal's
    nav = Navigator(page, catalog_for(settings), settings.timeout_ms)

    async with asyncio.timeout(5):
        assert await nav.where(timeout_ms=0) is None
    await context.close()


async def test_a_busy_portal_at_the_quick_check_before_a_run_is_busy_and_ends(settings, browser, portal, tmp_path):
    # Longer than the portal's error message shows (3 s): a wait for the page alone would find
    # a blank page, and no message any more.
    slow = settings.model_copy(update={"timeout_ms": 5000})
    session = PortalSession(slow, browser, evidence_dir=tmp_path)
    await session.sign_in(walk=False)
    portal.faults(error_rate=1)  # 个人首页's own call fails: the app stays on a blank page

    with pytest.raises(PortalBusy, match="个人首页"):
        async with asyncio.timeout(60):
            await quick_check(session, [], "submit")
    assert not (tmp_path / "portal-unexpected-page.png").exists()
    await session.close()

"""Faults of the mock: slow, failing, expiring and lying portals. They hit /v1/center/ calls only."""

from __future__ import annotations

import http.client
import json
import re
import time
import urllib.error
import urllib.request

import pytest
from playwright.async_api import expect

from fixtures.mock_portal.client import PortalSession
from fixtures.mock_portal.pages import MockPortalPage

BRANCH = "计算机与信息学院2021级软件工程1班团支部"


@pytest.fixture
def api(mock_server, portal, account) -> PortalSession:
    session = PortalSession(mock_server.url)
    session.login(account)
    return session


def member_ids(api: PortalSession) -> list[str]:
    branch = next(b for b in api.call("branches")["results"] if b["branchName"] == BRANCH)
    return [r["userId"] for r in api.call("tuanyuantw/list", queryLeagueId=branch["branchId"])["results"]["list"]]


def top_id(api: PortalSession) -> str:
    return api.call("getorgtree", queryLeagueId="")["results"]["leagueList"][0]["leagueId"]


def outcome(call) -> str:
    """"ok", "busy" (1001 系统繁忙), "http500" or "dropped" (no complete answer)."""
    try:
        answer = call()
    except urllib.error.HTTPError as e:
        return f"http{e.code}"
    except (http.client.HTTPException, ConnectionError, urllib.error.URLError):
        return "dropped"
    except json.JSONDecodeError:
        return "text"
    if answer["retCode"] == 1001 and answer["retMsg"] == "系统繁忙，请稍后再试":
        return "busy"
    return "ok" if answer["retCode"] == 1000 else f"fail:{answer['retMsg']}"


def test_latency_delays_portal_calls_but_not_the_mock_api(api, portal):
    portal.faults(latency_ms=400, jitter_ms=100)
    started = time.monotonic()
    api.call("userinfo")
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    portal.applications()
    assert time.monotonic() - started < 0.4


def test_error_rate_fails_calls_half_as_http_500_half_as_busy(api, portal):
    portal.faults(error_rate=1, seed=1)
    outcomes = {outcome(lambda: api.call("userinfo")) for _ in range(30)}
    assert outcomes == {"http500", "busy"}
    portal.faults(error_rate=0)
    assert outcome(lambda: api.call("userinfo")) == "ok"


def test_error_rate_never_stores_an_application(api, portal):
    ids, target = member_ids(api), top_id(api)
    portal.faults(error_rate=1)
    for mid in ids[:5]:
        api_outcome = outcome(lambda: api.call("transfer/apply", memberId=mid, phone="13900001111", contact="x",
                                               reasonCode="07", provinceFlag="0", targetLeagueId=target))
        assert api_outcome in ("http500", "busy")
    assert portal.applications() == []


def test_error_rate_with_the_same_seed_fails_the_same_calls(api, portal):
    runs = []
    for _ in range(2):
        portal.faults(error_rate=0.5, seed=42)
        runs.append([outcome(lambda: api.call("userinfo")) for _ in range(12)])
    assert runs[0] == runs[1] and "ok" in runs[0]


def test_drop_after_commit_stores_the_application_but_the_answer_fails(api, portal):
    ids, target = member_ids(api), top_id(api)
    portal.faults(drop_after_commit_rate=1, seed=3)
    seen = set()
    for mid in ids[:8]:
        seen.add(outcome(lambda: api.call("transfer/apply", memberId=mid, phone="13900001111", contact="x",
                                          reasonCode="07", provinceFlag="0", targetLeagueId=target)))
    assert seen == {"http500", "dropped"}
    assert len(portal.applications()) == 8
    assert outcome(lambda: api.call("userinfo")) == "ok"  # only transfer/apply is dropped


def test_session_expiry_answers_1009_after_n_calls(api, portal):
    portal.faults(expire_after_requests=2)
    assert [api.call("userinfo")["retCode"] for _ in range(3)] == [1000, 1000, 1009]
    assert api.call("userinfo")["retMsg"] == "您的登录已超时，请重新登录"


def expired_body(url: str) -> tuple[str, str]:
    """An anonymous call's raw answer: (content type, body)."""
    request = urllib.request.Request(url + "/v1/center/userinfo", data=b"", method="POST")
    with urllib.request.urlopen(request) as resp:
        return resp.headers["Content-Type"], resp.read().decode("utf-8")


def test_an_expired_session_may_answer_the_bare_sentence_as_plain_text(mock_server, portal):
    portal.faults(expired_as_text_rate=1)
    assert expired_body(mock_server.url) == ("text/html;charset=UTF-8", "您的登录已超时，请重新登录")
    portal.faults(expired_as_text_rate=0.5, seed=5)
    kinds = {expired_body(mock_server.url)[0].split(";")[0] for _ in range(20)}
    assert kinds == {"text/html", "application/json"}
    portal.faults(expired_as_text_rate=0)
    assert json.loads(expired_body(mock_server.url)[1])["retCode"] == 1009


def test_faults_never_touch_the_mock_api_or_the_pages(mock_server, portal):
    portal.faults(error_rate=1)
    for _ in range(5):
        portal.applications()
    with urllib.request.urlopen(mock_server.url + "/zhtj/signin") as resp:
        assert resp.status == 200


async def open_form_for(page, account, member) -> MockPortalPage:
    """Signed in, on 办理转出 with the member chosen and a special-unit transfer filled in."""
    ui = MockPortalPage(page)
    await ui.sign_in(account)
    await ui.enter_center()
    await ui.open_transfer_out()
    await ui.choose_member(member)
    await ui.fill_common()
    await ui.choose("转出原因", "转往特殊单位团组织")
    return ui


async def test_a_dropped_answer_in_the_page_shows_an_error_while_the_application_is_stored(page, account, portal):
    member = portal.members(branch=BRANCH)[0]
    ui = await open_form_for(page, account, member)
    portal.faults(drop_after_commit_rate=1)
    await ui.submit()
    await expect(ui.error_toast).to_be_visible()
    await expect(ui.current_stage()).to_have_text("提交接转申请")
    (app,) = portal.applications()
    assert app["id_number"] == member["id_number"]


async def test_a_busy_portal_shows_its_message_in_the_page(page, account, portal):
    ui = await open_form_for(page, account, portal.members(branch=BRANCH)[0])
    portal.faults(error_rate=1, seed=2)
    await ui.submit()
    await expect(ui.error_toast).to_have_text(re.compile("系统繁忙，请稍后再试|服务器错误（HTTP 500）"))
    assert portal.applications() == []

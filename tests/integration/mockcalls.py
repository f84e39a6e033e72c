"""Portal calls and fixtures the mock's own API tests share (stdlib client; no browser).

A test module takes the fixtures by importing them (`from mockcalls import api, members`).
"""

from __future__ import annotations

import pytest

from fixtures.mock_portal.client import PortalSession

BRANCH = "计算机与信息学院2021级软件工程1班团支部"
CENTRAL = ["中央企业团工委"]


def apply(api: PortalSession, member: dict, **form) -> dict:
    """transfer/apply for an employment with a 团组织 (02), to 中央企业团工委 unless told otherwise."""
    base = {"memberId": api.user_id(member["id_number"]), "phone": member["phone"], "contact": "13900001111",
            "reasonCode": "02", "provinceFlag": "0", "targetUnitName": "国家电网有限公司",
            "targetUnitAddress": "北京市西城区西长安街86号", "remark": ""}
    if "targetLeagueId" not in form and form.get("provinceFlag") != "1":
        base["targetLeagueId"] = api.league_id(CENTRAL)
    return api.call("transfer/apply", **{**base, **form})


def apply_ok(api: PortalSession, member: dict, **form) -> int:
    """apply() that must succeed; the new application's id."""
    answer = apply(api, member, **form)
    assert answer["retCode"] == 1000, answer
    return answer["results"]["applicationId"]


@pytest.fixture
def api(mock_server, portal, account) -> PortalSession:
    """A signed-in portal session (as the Vue app has one), on freshly reset data."""
    session = PortalSession(mock_server.url)
    assert session.login(account)["retCode"] == 1000
    return session


@pytest.fixture
def members(portal) -> list[dict]:
    """The seeded members of BRANCH."""
    return portal.members(branch=BRANCH)

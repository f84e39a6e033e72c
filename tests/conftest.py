"""Shared fixtures: the real mock portal (one per session, reset per test) and a real Chromium.

Chain as in playwright-python's own tests: playwright → browser (session) → context (per test) → page.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.mock_portal.client import MockClient, MockPortal
from rpa.config import Settings


@pytest.fixture(scope="session")
def mock_server(tmp_path_factory):
    """The mock portal as a real HTTP server in its own process, captcha off."""
    db = tmp_path_factory.mktemp("portal") / "portal.db"
    with MockPortal.start(db=db, captcha="off") as server:
        yield server


@pytest.fixture
def portal(mock_server) -> MockClient:
    """The mock's inspection API, reset to the seed data (and no faults) before the test."""
    client = MockClient(mock_server.url)
    client.reset()
    return client


@pytest.fixture
def account(portal) -> dict:
    """The seeded admin account of 德州学院团委."""
    return portal.accounts()[0]


@pytest.fixture
def settings(mock_server, account, tmp_path) -> Settings:
    """Settings for a run against the mock: no .env, no pause between submissions."""
    return Settings(
        _env_file=None,
        portal_url=mock_server.url,
        username=account["username"],
        password=account["password"],
        min_interval_s=0,
        timeout_ms=10_000,
        session_file=tmp_path / "session.json",
    )


@pytest.fixture(scope="session")
def playwright():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright):
    from rpa.browser import launch

    browser = launch(playwright, Settings(_env_file=None))
    yield browser
    browser.close()


@pytest.fixture
def context(browser, mock_server):
    context = browser.new_context(
        base_url=mock_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def shots(tmp_path) -> Path:
    """A folder for screenshots a test takes to look at."""
    path = tmp_path / "shots"
    path.mkdir()
    return path

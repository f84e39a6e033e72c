"""Shared fixtures: the real mock portal (one per session, reset per test) and a real Chromium.

Chain as in playwright-python's own tests: playwright → browser (session) → context (per test) → page.
The browser side uses Playwright's async API (the tool's own API): async tests and fixtures all
run in one session-wide event loop (pyproject: asyncio_default_*_loop_scope = "session"), so the
session's browser serves every test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_asyncio

from fixtures.mock_portal.client import MockClient, MockPortal
from rpa.config import Settings


@pytest.fixture(autouse=True)
def no_user_settings(monkeypatch, tmp_path):
    """Keep the developer's own `rpa init` settings and credential store out of every test (and
    of the `rpa` processes tests start: they inherit this environment)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "user-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "user-state"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


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


@pytest_asyncio.fixture(scope="session")
async def playwright():
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        yield pw


@pytest_asyncio.fixture(scope="session")
async def browser(playwright):
    from rpa.browser import launch

    browser = await launch(playwright, Settings(_env_file=None))
    yield browser
    await browser.close()


@pytest_asyncio.fixture
async def context(browser, mock_server):
    context = await browser.new_context(
        base_url=mock_server.url, locale="zh-CN", viewport={"width": 1280, "height": 900}
    )
    context.set_default_timeout(10_000)
    yield context
    await context.close()


@pytest_asyncio.fixture
async def page(context):
    return await context.new_page()


@pytest.fixture
def shots(tmp_path) -> Path:
    """A folder for screenshots a test takes to look at."""
    path = tmp_path / "shots"
    path.mkdir()
    return path

"""The run's one browser: workers in their own threads (own drivers) share it; it ends cleanly."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from rpa.errors import ConfigError
from rpa.portal.session import PortalSession
from rpa.shared_browser import SharedBrowser


def test_two_threads_sign_in_and_open_the_portal_in_one_shared_browser(settings):
    shared = SharedBrowser(settings)
    seen: dict[int, tuple[str, str]] = {}
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with sync_playwright() as pw:
                browser = shared.connect(pw)
                session = PortalSession(settings, browser)
                session.sign_in()
                page = session.new_context().new_page()
                page.goto("/zhtj/center")
                page.get_by_text("欢迎使用").wait_for()  # signed in: the 管理中心 home, not the sign-in page
                seen[index] = (browser.version, page.url)
                session.close()
                browser.close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    try:
        threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert not errors, errors
        assert len(seen) == 2
        assert all(url.endswith("/zhtj/center") for _, url in seen.values())
        server = shared._process
        assert server is not None and server.poll() is None  # one server served both
    finally:
        shared.close()
    assert server.wait(15) == 0  # it stopped (with its browser) when told to


def test_a_browser_that_cannot_start_is_a_chinese_config_error(settings, tmp_path, playwright):
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)
    shared = SharedBrowser(settings.model_copy(update={"browser_path": str(fake)}))
    with pytest.raises(ConfigError) as error:
        shared.connect(playwright)  # the session's Playwright (one per thread)
    assert "无法启动浏览器" in error.value.message and str(Path(fake)) in error.value.message
    assert shared._process is None


def test_contexts_of_the_shared_browser_load_no_omnibox_popup(settings, playwright):
    """Each context would preload Chromium's omnibox popups (WebUI pages, a renderer of ~40 MB).

    The browser runs with Playwright's own disabled features *and* ours: Chromium reads only one
    --disable-features, so the server folds the two lists into one."""
    shared = SharedBrowser(settings)
    try:
        browser = shared.connect(playwright)
        page = browser.new_context().new_page()
        page.goto(settings.portal_url)
        targets = browser.new_browser_cdp_session().send("Target.getTargets")["targetInfos"]
        assert [t["url"] for t in targets if t["type"] == "page"] == [page.url]
        assert not [t["url"] for t in targets if "omnibox" in t["url"]]
        browser.close()
    finally:
        shared.close()

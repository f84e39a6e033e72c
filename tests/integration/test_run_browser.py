"""The run's browser: one Playwright driver and one browser for all workers; a browser that
can't start is told in Chinese; a headless context loads nothing but the portal."""

from __future__ import annotations

from pathlib import Path

import pytest

from batchmaker import (
    ARMY,
    SECRET,
    cmdline,
    descendants,
    kill_group,
    portal_env,
    spawn_rpa,
    wait_for_records,
    why,
)
from rpa.browser import launch
from rpa.demo import pick_members, plan_rows, write_batch
from rpa.errors import ConfigError


def test_a_run_at_concurrency_two_uses_one_driver_and_one_browser(tmp_path, portal, account, mock_server):
    plan = [ARMY, SECRET] * 3
    batch = write_batch(tmp_path / "名单.xlsx", plan_rows(pick_members(portal.members(), len(plan)), plan))
    out = tmp_path / "out"
    env = portal_env(mock_server.url, account, tmp_path, RPA_CONCURRENCY="2")
    proc = spawn_rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path, log=tmp_path / "console.log")
    try:
        assert wait_for_records(out, "submitted", 2, proc), why(out)
        lines = [cmdline(pid) for pid in descendants(proc.pid)]
        drivers = [c for c in lines if b"run-driver" in c]
        # One browser = one profile folder (Debian's launcher script and the browser it starts
        # share it, and so do the browser's renderers and helpers).
        profiles = {arg for c in lines for arg in c.split(b"\0") if arg.startswith(b"--user-data-dir=")}
        assert len(drivers) == 1, drivers
        assert len(profiles) == 1, profiles
        assert proc.wait(timeout=240) == 0, why(out)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    assert len(portal.applications()) == len(plan)


async def test_a_browser_that_cannot_start_is_a_chinese_config_error(settings, tmp_path, playwright):
    fake = tmp_path / "chrome"
    fake.write_text("#!/bin/sh\nexit 3\n", encoding="utf-8")
    fake.chmod(0o755)

    with pytest.raises(ConfigError) as error:
        await launch(playwright, settings.model_copy(update={"browser_path": str(fake)}))

    assert "无法启动浏览器" in error.value.message and str(Path(fake)) in error.value.message
    assert "make setup" not in error.value.message


async def test_a_headless_context_loads_the_portal_and_nothing_else(settings, browser):
    """Chromium's full browser preloads omnibox popups (WebUI pages, ~40 MB a context); the
    headless shell that headless runs take has none."""
    context = await browser.new_context()
    page = await context.new_page()
    await page.goto(settings.portal_url)
    cdp = await browser.new_browser_cdp_session()
    targets = (await cdp.send("Target.getTargets"))["targetInfos"]
    await context.close()

    assert [t["url"] for t in targets if t["type"] == "page"] == [page.url]
    assert not [t["url"] for t in targets if "omnibox" in t["url"]]

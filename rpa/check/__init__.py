"""`rpa check`: does the portal still look the way the catalog (selectors/portal.toml) says?

    rpa check [--portal URL] [--out DIR] [--capture]
      │
      ├─ walk.py       the read-only tour: 登录 (no session), then signed in 个人首页 → 管理中心 →
      │                组织关系转接办理 → 办理转出 (member chosen, every field revealed, org picker
      │                opened) → 组织关系审批; clicks only `[check] safe_clicks` (steps.py),
      │                every POST but the read calls blocked (traffic.py)
      │    form.py     办理转出: the member picker and org picker strategies, labels, options
      │    apicheck.py the API's paths, fields and keys against the calls the pages made
      ├─ entries.py    every catalog entry: found / different / missing / unchecked, its line
      │                (lines.py) and the one-line edit; candidates.py: the nearest texts
      ├─ report.py     DIR/check.json, DIR/check.html, the console summary
      └─ capture.py    DIR/capture.zip (--capture): outlines, API shapes, masked screenshots,
                       no personal data

    quick_check(session, rows, mode)   preview/submit, before any row: the entries the run needs
                                       (needs.py); CatalogDrift (exit 2) when one differs

Exit codes: 0 everything found (what the walk could see), 1 something differs, 2 the portal
could not be reached or signed in.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rpa.errors import (
    CatalogDrift, ConfigError, PasswordChangeRequired, PortalBusy, PortalUnreachable, RpaError, SessionExpired,
)

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.batch import TransferRow
    from rpa.check.entries import Result
    from rpa.config import Settings
    from rpa.portal.session import PortalSession

__all__ = ["CheckOutcome", "check_portal", "quick_check", "run_check"]

SHOTS_DIR = "check-shots"
# Errors that mean the portal was not reached or not signed in (exit 2).
NOT_IN = (PortalUnreachable, SessionExpired, PasswordChangeRequired, ConfigError)


@dataclass
class CheckOutcome:
    """What `check_portal` found: every entry's result, where the files are, the exit code."""

    results: list[Result]
    seconds: float
    exit_code: int
    stopped: str | None = None  # why the walk stopped early (Chinese), if it did
    files: dict[str, Path] = field(default_factory=dict)
    blocked: list[dict] = field(default_factory=list)
    troubles: list[str] = field(default_factory=list)  # the portal's errors during the walk


def run_check(settings: Settings, out: Path, *, capture: bool = False, console: Console | None = None) -> int:
    """`rpa check`: walk, write the report, print the summary; the exit code."""
    from rich.console import Console

    from rpa.check.report import print_summary

    console = console or Console(highlight=False)
    console.print(f"正在只读检查门户 {settings.portal_url}（不会提交、修改任何内容）……")
    outcome = asyncio.run(check_portal(settings, Path(out), capture=capture))
    print_summary(outcome, settings, console)
    return outcome.exit_code


async def check_portal(settings: Settings, out: Path, *, capture: bool = False, browser=None,
                       observe=None) -> CheckOutcome:
    """Walk the portal read-only and write DIR/check.json, DIR/check.html (and capture.zip).

    `browser`: an open browser to use (tests); else one is launched and closed. `observe`: see
    `Walk`."""
    from playwright.async_api import Error as PlaywrightError

    from rpa.browser import launch, start_playwright
    from rpa.catalog import catalog_for
    from rpa.check.needs import Needs
    from rpa.check.report import write_report
    from rpa.check.walk import Walk
    from rpa.files import private_dir
    from rpa.portal.session import PortalSession

    catalog = catalog_for(settings)
    out = private_dir(Path(out))
    needs = Needs.full(catalog)
    walk = Walk(settings, catalog, needs, out / SHOTS_DIR, capture=capture, observe=observe)
    started = time.monotonic()
    stopped, not_in = None, False

    async def body(browser) -> None:
        nonlocal stopped, not_in
        session = PortalSession(settings, browser, catalog, evidence_dir=out / SHOTS_DIR)
        try:
            await walk.signin_page(browser)
            await session.sign_in(walk=False)
            await walk.tour(session)
        except NOT_IN as exc:
            stopped, not_in = exc.message, True
        except RpaError as exc:
            stopped = exc.message
        except PlaywrightError as exc:
            stopped = f"检查中途出错：{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}"
        finally:
            await session.close()

    if browser is not None:
        await body(browser)
    else:
        async with start_playwright() as playwright:
            own = await launch(playwright, settings)
            try:
                await body(own)
            finally:
                await own.close()
    results = walk.checks.finish(needs.keys)
    drift = any(r.drift for r in results)
    code = 2 if not_in or (stopped and not drift) else (1 if drift else 0)
    outcome = CheckOutcome(results, time.monotonic() - started, code, stopped,
                           blocked=[c.as_dict() for c in walk.traffic.blocked], troubles=list(walk.traffic.troubles))
    outcome.files = write_report(outcome, walk, settings, out, capture=capture)
    return outcome


async def quick_check(session: PortalSession, rows: list[TransferRow], mode: str,
                      confirmed: set[str] | None = None, *, busy_ok: bool = False) -> list[str]:
    """Before a run's first row: walk to 办理转出 (this is also the session's way check) and
    look at the entries the rows need. Raises `CatalogDrift` naming each one that differs, its
    candidate and the line to edit; the portal's own errors (expired, unexpected page…) as usual.

    `confirmed` keeps the entries found across tries of the check: on a busy portal each try
    may miss another entry (its call failed), and an entry the portal has shown once is there.
    With `busy_ok` (the last try), entries that look different while the portal's calls failed
    are returned, not checked, instead of `PortalBusy`; else the list is empty."""
    from rpa.check.entries import Status
    from rpa.check.needs import Needs
    from rpa.check.traffic import quote_troubles
    from rpa.check.walk import Walk
    from rpa.portal.widgets import then_retry

    catalog = session.catalog
    confirmed = set() if confirmed is None else confirmed
    needs = Needs.for_rows(catalog, rows, mode)
    walk = Walk(session.settings, catalog, needs, None, evidence_dir=session.evidence_dir)
    await walk.tour(session)
    troubles = walk.traffic.troubles
    if walk.traffic.expired:
        raise SessionExpired("检查门户时登录已超时。")
    results = walk.checks.finish(needs.keys, only=needs.keys)
    confirmed.update(r.key for r in results if r.status is Status.FOUND)
    drift = [r for r in results if r.drift and r.key not in confirmed]
    if drift and troubles:
        # What looked missing may only have failed to load: a transient error, tried again.
        if busy_ok:
            return [r.key for r in drift]
        raise PortalBusy(then_retry(f"检查门户时有接口出错（{quote_troubles(troubles)}）"))
    if drift:
        lines = "\n".join(f"{i}. {r.message()}" for i, r in enumerate(drift, 1))
        raise CatalogDrift(
            f"门户与选择器目录（{catalog.where}）不一致，本次需要用到的 {len(drift)} 项对不上，"
            f"没有办理任何一行：\n{lines}\n改好后重新运行；运行 rpa check 可得到完整的检查报告。")
    session.way_checked = True
    return []

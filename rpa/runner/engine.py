"""The rows of a run through the browser: one event loop, one Playwright driver, one browser.

    asyncio.run ─ Playwright (one driver) ─ the browser (one) ─ PortalSession (one sign-in)
      ├─ Preflight task: sign in, then check row by row → RowFeed
      └─ Worker tasks (settings.concurrency; each its own context and page) ← RowFeed
    Ctrl-C once: no new rows, the rows in flight finish; twice: stop now (rows in flight stay
    `started`/`submitting` in the log, and the next run looks them up before anything else).

Playwright starts the browser in a process group of its own and its driver ignores SIGINT, so
a Ctrl-C in the terminal reaches Python only (`rpa.runner.interrupts` turns it into a call here).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from typing import TYPE_CHECKING

from rpa.catalog import catalog_for
from rpa.runner.feed import RowFeed
from rpa.runner.job import SCREENSHOTS
from rpa.runner.outputs import OUTPUT_EVERY, write_outputs
from rpa.runner.preflight import Preflight
from rpa.runner.summary import Progress, stopped_by
from rpa.runner.worker import Worker

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.runner.job import Item, Job

# Environment variables that must not reach the Playwright driver or the browser: both inherit
# this process's environment, and the settings have been read already.
SECRET_ENV = ("RPA_PASSWORD",)
INTERRUPTED_EARLY = "已按 Ctrl-C 中断，尚未开始办理任何行。"
INTERRUPTED = "已按 Ctrl-C 中断：正在办理的行完成后停止，未办理的行可用 rpa retry 继续。"
INTERRUPTED_TWICE = ("已再次按 Ctrl-C，立即停止：正在办理的行没有完成，运行日志记下了它们的进度；"
                     "rpa retry 会先在门户中核对这些行，不会重复提交。")


def run_rows(job: Job, todo: list[Item], console: Console) -> int | None:
    """Preflight and workers; an exit code when the run had to stop early, else None."""
    for name in SECRET_ENV:
        os.environ.pop(name, None)
    return asyncio.run(_run_rows(job, todo, console))


async def _run_rows(job: Job, todo: list[Item], console: Console) -> int | None:
    from rpa.browser import launch, start_playwright
    from rpa.portal.orgtree import OrgCache
    from rpa.portal.session import PortalSession

    catalog = catalog_for(job.settings)
    job.org_cache = OrgCache()  # one per event loop (its locks are asyncio's)
    async with start_playwright() as playwright:
        browser = await launch(playwright, job.settings)
        session = PortalSession(job.settings, browser, catalog, evidence_dir=job.out / SCREENSHOTS)
        try:
            return await _drive(job, session, todo, console)
        finally:
            with contextlib.suppress(Exception):
                await session.close()
            with contextlib.suppress(Exception):
                await browser.close()


async def _drive(job: Job, session, todo: list[Item], console: Console) -> int | None:
    feed = RowFeed()
    preflight = Preflight(job, session, todo, feed)
    preflight_task = asyncio.create_task(preflight.run())
    tasks: list[asyncio.Task] = [preflight_task]

    def on_ctrl_c() -> None:
        """Ctrl-C (rpa.runner.interrupts counts the presses): once, no new rows; twice, stop now."""
        if not preflight.signed_in.is_set():
            job.stop_reason = INTERRUPTED_EARLY
            job.stop.set()
            preflight_task.cancel()
        elif job.interrupts == 1:
            job.stop_reason = INTERRUPTED
            job.stop.set()
            console.print("[yellow]收到 Ctrl-C：等正在办理的行结束后停止……（再按一次立即停止）[/yellow]")
        else:
            job.stop_reason = INTERRUPTED_TWICE
            for task in tasks:
                task.cancel()

    loop = asyncio.get_running_loop()
    job.on_interrupt = lambda: loop.call_soon_threadsafe(on_ctrl_c)
    try:
        signed_in = asyncio.create_task(preflight.signed_in.wait())
        await asyncio.wait([signed_in, preflight_task], return_when=asyncio.FIRST_COMPLETED)
        signed_in.cancel()
        if not preflight.signed_in.is_set():  # no sign-in: no worker has started
            with contextlib.suppress(asyncio.CancelledError):
                await preflight_task
            return 1 if job.stop_reason == INTERRUPTED_EARLY else stopped_by(job, preflight.named_error())
        catalog = session.catalog
        workers = [Worker(job, session, feed, catalog) for _ in range(min(job.settings.concurrency, len(todo)))]
        tasks += [asyncio.create_task(w.run()) for w in workers]
        with Progress(job, len(todo), console) as progress:
            outputs = _OutputsEvery(job)
            progress.after_each = outputs.row_done
            await asyncio.gather(*tasks, return_exceptions=True)
            await outputs.drain()
    finally:
        job.on_interrupt = None
    if job.fatal is not None:
        return stopped_by(job, job.fatal)
    if preflight.error is not None:  # a transient one (a fatal one is job.fatal): unchecked rows wait
        return stopped_by(job, preflight.named_error())
    if job.stop_reason == INTERRUPTED_TWICE:
        return 1
    return None


class _OutputsEvery:
    """Rewrites the outputs every `OUTPUT_EVERY` finished rows, in a thread, one write at a time."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.since = 0
        self.task: asyncio.Task | None = None

    def row_done(self) -> None:
        self.since += 1
        if self.since >= OUTPUT_EVERY and (self.task is None or self.task.done()):
            self.since = 0
            snapshot = dict(self.job.last)
            self.task = asyncio.get_running_loop().create_task(
                asyncio.to_thread(write_outputs, self.job, snapshot, finished=False))

    async def drain(self) -> None:
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task

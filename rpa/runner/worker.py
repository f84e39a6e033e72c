"""A worker: one browser context of the run's browser, one 办理转出 page kept from row to row.

    take a row from the feed ─ started ─ [look in the history if maybe sent] ─ fill ─ screenshot
      preview: previewed                 submit: filled → submitting → submitted | in_doubt …

Every try of a row runs under `asyncio.timeout`: a try that hangs past every Playwright timeout
(a frozen page) is cancelled, its context closed, and the row is handled like a lost answer —
tried again in a fresh context, looked up in the history first if it may have been sent.

Never twice: a `submitting` record is fsynced *before* 提交 is clicked, and a row that may have
been sent is looked up in the portal's history before anything else is done with it.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt, stop_after_delay

from rpa.errors import (
    AnswerLost,
    BusinessError,
    CaptchaRequired,
    ConfigError,
    DuplicateApplication,
    MemberNotFound,
    OrgNotFound,
    PortalBusy,
    PortalRejected,
    PortalTimeout,
    PortalUnreachable,
    SessionExpired,
    UnexpectedPage,
)
from rpa.runlog import Status, mask_id, scrub
from rpa.runner.guards import as_rpa_error, backoff, is_transient
from rpa.runner.job import SCREENSHOTS, TRACES, Outcome
from rpa.runner.outputs import scrub_trace
from rpa.runner.preflight import created_at
from rpa.runner.reconcile import settle

if TYPE_CHECKING:
    from rpa.catalog import Catalog
    from rpa.portal.session import PortalSession
    from rpa.portal.transfer_form import TransferForm
    from rpa.runner.feed import RowFeed
    from rpa.runner.job import Item, Job

# Rows a worker drives through one page before it closes it and opens a new one. Playwright's
# driver keeps what it learns of every request a page makes until the page closes: it grew
# ~0.2–0.3 MB a row (8 KB a request, measured over 16,000 requests) and stayed flat with a new
# page every 4,000 requests. Over a batch of 5,000 rows it would otherwise grow by > 1 GB. Every
# 40 rows keeps that near 10 MB a worker. A new page costs one load of the form; 40 is below the
# form's own reload (TransferForm.reload_every, 50), so a page is closed before that comes due.
PAGE_ROWS = 40
# Traces keep actions and network only: a screencast (every frame encoded) or DOM snapshots
# (around every action) cost a quarter to a half of a row's CPU on every row, failed or not, and
# the failure screenshot (screenshots/row-N.png) already shows the page as it was.
TRACE_SCREENSHOTS = False
TRACE_SNAPSHOTS = False
# How long closing a context, or taking a failed row's evidence, may take before the worker
# gives up on it (a frozen renderer answers neither).
CLOSE_TIMEOUT_S = 10.0
EVIDENCE_TIMEOUT_S = 10.0
# A step that timed out may have met a frozen or broken page: its next try gets a fresh context
# (a renderer of its own), not just a page load in the same one.
TIMEOUTS = (PortalTimeout, PlaywrightTimeout)


# Errors that say the row's data is wrong for the portal (a branch, member or org that isn't
# there, a refusal of the values): the row is 数据有误 (`invalid`), and retrying won't help.
DATA_ERRORS = (MemberNotFound, OrgNotFound, PortalRejected)


class RowHung(PortalTimeout):
    """A try of a row lasted past every timeout: the page is frozen."""


def hang_budget_s(settings: Any) -> float:
    """How long one try of a row may last: every wait in it is bounded by timeout_ms, so a try
    that lasts several timeouts is stuck, not slow."""
    return max(45.0, settings.timeout_ms / 1000 * 4)


def row_budget_s(settings: Any) -> float:
    """The most time one row may take over all its tries."""
    return max(60.0, settings.timeout_ms / 1000 * settings.max_attempts * 3)


class Worker:
    """Takes rows from the feed and drives one page of the run's browser through them."""

    def __init__(self, job: Job, session: PortalSession, feed: RowFeed, catalog: Catalog) -> None:
        self.job, self.session, self.feed, self.catalog = job, session, feed, catalog
        self.context: Any = None
        self.generation = -1  # the session generation self.context was made in
        self.page: Any = None
        self.form: TransferForm | None = None
        self.rows_on_page = 0
        self.want_trace = False
        self.tracing = False
        self.needs_renewal = False

    # -- lifecycle --

    async def run(self) -> None:
        try:
            while not self.job.stop.is_set():
                item = await self.feed.get(self.job.stop)
                if item is None:
                    return
                await self._process(item)
                self.rows_on_page += 1
                if self.rows_on_page >= PAGE_ROWS:
                    await self._retire_page()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - a dying worker must stop the run, not hang it
            self.job.fail_fatally(exc)
        finally:
            await self._drop_context()

    async def _drop_context(self) -> None:
        context, self.context, self.page, self.form, self.tracing = self.context, None, None, None, False
        if context is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(context.close(), CLOSE_TIMEOUT_S)

    async def _ensure_page(self) -> None:
        """A context from the current session, one form page."""
        from rpa.portal.transfer_form import TransferForm

        if self.context is not None and self.generation != self.session.generation:
            await self._drop_context()  # made before the session was renewed: its cookies are stale
        if self.context is None:
            self.generation = self.session.generation
            self.context = await self.session.new_context()
        if self.want_trace and not self.tracing:
            # Per-row trace, kept only when the row fails. Sign-in happens in a context of its
            # own (rpa.portal.signin), so the password is never in it.
            with contextlib.suppress(PlaywrightError):
                await self.context.tracing.start(screenshots=TRACE_SCREENSHOTS, snapshots=TRACE_SNAPSHOTS)
                self.tracing = True
        if self.page is None or self.page.is_closed():
            self.page = await self.context.new_page()
            self.rows_on_page = 0
            self.form = TransferForm(self.page, self.catalog, timeout_ms=self.job.settings.timeout_ms,
                                     evidence_dir=self.job.out / SCREENSHOTS)

    async def _retire_page(self) -> None:
        """Close the page after its `PAGE_ROWS` rows; the next row opens a new one."""
        if self.page is not None:
            with contextlib.suppress(PlaywrightError):
                await self.page.close()
        self.page = None

    # -- one row --

    async def _process(self, item: Item) -> None:
        job, row = self.job, item.row
        member = mask_id(item.data.id_number)
        attempt = job.next_attempt(row)
        job.record(row, Status.started, member=member, attempt=attempt)
        self.want_trace = True
        try:
            outcome = await self._with_retries(item, member)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001
            await self._row_failed(item, member, exc)
            return
        finally:
            self.want_trace = False
            if self.tracing:
                await self._stop_trace(row, keep=False)
        job.breaker.row_ended(ok=True)
        job.record(row, outcome.status, member=member, screenshot=outcome.screenshot,
                   created_at=outcome.created_at, form=outcome.form, final=True)

    async def _row_failed(self, item: Item, member: str, exc: BaseException) -> None:
        job, row = self.job, item.row
        if isinstance(exc, CaptchaRequired | PortalUnreachable | ConfigError | UnexpectedPage):
            job.fail_fatally(exc)  # no row can get past it: stop the run
        error = as_rpa_error(exc)
        if isinstance(exc, RowHung) and job.attempts.get(row, 0) < job.settings.max_attempts and not job.stop.is_set():
            # Once more, in a fresh context (a maybe-sent row is looked up first, as ever).
            job.record(row, Status.in_doubt if item.maybe_sent else Status.started, member=member, error=error)
            self.feed.put(item)
            return
        shot = await self._evidence_screenshot(row)
        trace = await self._stop_trace(row, keep=True)
        if isinstance(exc, DuplicateApplication):
            status = Status.duplicate
        elif isinstance(exc, DATA_ERRORS):
            status = Status.invalid  # the row itself is wrong: `rpa retry` would fail the same way
        elif item.maybe_sent:
            status = Status.in_doubt  # never "failed" while the portal may hold it
        else:
            status = Status.failed
        job.record(row, status, member=member, error=error, screenshot=shot, trace=trace, final=True)
        job.breaker.row_ended(ok=False, transient=not isinstance(exc, BusinessError) and is_transient(exc))
        if job.breaker.should_probe and not job.stop.is_set():
            if not await job.breaker.probe(self._portal_answers, job.stop) and job.breaker.tripped:
                job.stop_reason = (
                    f"连续 {job.breaker.threshold} 行在重试后仍因门户临时故障未能办理，暂停后再探测门户仍无响应，"
                    "已停止运行以免反复冲击门户。请稍后运行 rpa retry 继续。"
                )
                job.stop.set()

    async def _portal_answers(self) -> bool:
        """The breaker's probe: does the portal answer a harmless call?"""
        try:
            await self.session.api(self.catalog.call("whoami"))
            return True
        except SessionExpired:
            return True  # it answers; the next try signs in again
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False

    async def _with_retries(self, item: Item, member: str) -> Outcome:
        job, settings = self.job, self.job.settings
        retrying = AsyncRetrying(
            stop=(
                stop_after_attempt(settings.max_attempts)
                | stop_after_delay(row_budget_s(settings))
                # Ctrl-C or a fatal error: no new try — except the history look of a maybe-sent row.
                | (lambda _state: job.stop.is_set() and (job.fatal is not None or not item.maybe_sent))
                | (lambda _state: job.breaker.tripped)
                | (lambda state: isinstance(state.outcome.exception(), RowHung))
            ),
            wait=backoff(),
            retry=retry_if_exception(is_transient),
            before_sleep=lambda state: self._before_retry(state, item, member),
            reraise=True,
        )
        return await retrying(self._attempt_bounded, item, member)

    def _before_retry(self, state: RetryCallState, item: Item, member: str) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return
        if isinstance(exc, SessionExpired):
            self.needs_renewal = True
        attempt = self.job.next_attempt(item.row)
        if not item.maybe_sent:  # (a maybe-sent row was logged in_doubt already, with its error)
            # The log keeps the reason of every extra try, with the attempt number it leads to.
            self.job.record(item.row, Status.started, member=member, attempt=attempt, error=as_rpa_error(exc))

    async def _attempt_bounded(self, item: Item, member: str) -> Outcome:
        budget = hang_budget_s(self.job.settings)
        try:
            async with asyncio.timeout(budget):
                return await self._attempt(item, member)
        except TimeoutError:
            await self._drop_context()  # a frozen page: start afresh
            raise RowHung(
                f"门户页面超过 {int(budget)} 秒没有任何响应（浏览器卡住），已重新打开页面。"
                "请稍后运行 rpa retry 重试本行。"
            ) from None
        except TIMEOUTS:
            await self._drop_context()
            raise

    async def _attempt(self, item: Item, member: str) -> Outcome:
        job, row = self.job, item.row
        if self.needs_renewal:
            # Signing in again is part of the try, so a busy portal here is retried like any step.
            await self.session.renew(self.generation)
            self.needs_renewal = False
        await self._ensure_page()
        if item.maybe_sent and job.mode == "submit":
            found = await settle(job, self.session, item)  # (a duplicate raises)
            if found is not None:
                return found
            # Looked: the portal holds nothing of ours, a new click is safe (item.maybe_sent is off).

        shot = await self._fill(item)
        assert self.form is not None
        form = mask_ids(self.form.read_back)
        if job.mode == "preview":
            return Outcome(Status.previewed, screenshot=shot, form=form)

        job.record(row, Status.filled, member=member, screenshot=shot, form=form)
        await job.limiter.wait()
        job.record(row, Status.submitting, member=member)
        item.maybe_sent = True
        assert self.form is not None
        try:
            result = await self.form.submit()
        except (DuplicateApplication, PortalBusy, PortalRejected, PortalTimeout, SessionExpired):
            # The portal answered (or the confirmation never opened): this click stored nothing.
            item.maybe_sent = False
            raise
        except AnswerLost as exc:
            # Before anyone looks this row up, the click must no longer be able to land: wait
            # for its request to end, and take the portal's late answer if one comes.
            result = await self.form.late_answer(hang_budget_s(job.settings) / 2)
            if result is None:
                job.record(row, Status.in_doubt, member=member, error=exc)
                raise
        except BaseException as exc:
            # Clicked, no answer we can trust: in doubt until the history says otherwise.
            job.record(row, Status.in_doubt, member=member, error=as_rpa_error(exc))
            raise
        return Outcome(Status.submitted, created_at=created_at(result), screenshot=shot, form=form)

    async def _fill(self, item: Item) -> str:
        """Named step `fill`: open the form, fill it, read it back, screenshot. Retried alone."""
        job = self.job
        path = job.screenshot_path(item.row)

        async def once() -> str:
            await self._ensure_page()
            assert self.form is not None
            try:
                await self.form.open()
                await self.form.fill(item.data)
                await self.form.screenshot(path)
            except TIMEOUTS:
                await self._drop_context()
                raise
            _chmod_private(path)
            return f"{SCREENSHOTS}/{path.name}"

        retrying = AsyncRetrying(
            stop=stop_after_attempt(job.settings.max_attempts) | (lambda _s: job.breaker.tripped),
            wait=backoff(),
            # A session that expired mid-fill is renewed by the outer step, which rebuilds the page.
            retry=retry_if_exception(lambda e: is_transient(e) and not isinstance(e, SessionExpired)),
            reraise=True,
        )
        return await retrying(once)

    # -- evidence --

    async def _evidence_screenshot(self, row: int) -> str | None:
        if self.page is None or self.page.is_closed():
            return self.job.existing_shot(row)
        path = self.job.screenshot_path(row)
        try:
            async with asyncio.timeout(EVIDENCE_TIMEOUT_S):
                await self.page.screenshot(path=str(path), full_page=True, timeout=5_000)
            _chmod_private(path)
            return f"{SCREENSHOTS}/{path.name}"
        except Exception:  # noqa: BLE001 - evidence is best effort
            return self.job.existing_shot(row)

    async def _stop_trace(self, row: int, keep: bool) -> str | None:
        if self.context is None or not self.tracing:
            return None
        self.tracing = False
        try:
            if not keep:
                async with asyncio.timeout(EVIDENCE_TIMEOUT_S):
                    await self.context.tracing.stop()
                return None
            path = self.job.out / TRACES / f"row-{row}.zip"
            path.parent.mkdir(exist_ok=True)
            async with asyncio.timeout(EVIDENCE_TIMEOUT_S):
                await self.context.tracing.stop(path=str(path))
            scrub_trace(path, self.job.secrets)
            return f"{TRACES}/{path.name}"
        except Exception:  # noqa: BLE001 - a trace is best effort
            return None


def mask_ids(form: dict[str, str]) -> dict[str, str]:
    """The read-back as the log may keep it: any full ID number masked (the form shows the
    member's masked, but a remark or a contact could hold one)."""
    return {label: scrub(value) or "" for label, value in form.items()}


def _chmod_private(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.chmod(0o600)


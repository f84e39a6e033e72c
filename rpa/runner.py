"""The run engine: `rpa preview`, `rpa submit` (and resume), `rpa retry`.

    load the batch ─ check DIR (same batch?) ─ open run.jsonl
      │  rows that never reach the browser: invalid / skipped / retained → logged at once
      ▼
    one browser for the run (rpa.shared_browser), started on first use
      ▼
    preflight (one thread): sign in; then row by row reconcile an in-doubt row with the
      portal's history, check the target path against the portal's tree, pass the row on
      ▼  (the workers start once it has signed in, and take rows as they are passed on)
    workers (threads; each: its own Playwright driver connected to the browser, its own
      context, one TransferForm page kept from row to row)
      take rows from the feed:  started → [look in history if maybe sent] → fill → screenshot
        preview: previewed                submit: filled → submitting → submitted | in_doubt …
      ▼
    results.xlsx, report.html, register.xlsx (also every OUTPUT_EVERY rows) ─ summary ─ exit code

Why a driver per worker: Playwright's sync API binds every object to the thread (greenlet
loop) that created it, so one Playwright cannot serve several threads. Each worker thread
therefore runs its own `sync_playwright()`, and they all connect to the run's one browser (a
browser per worker cost ~0.2 GB each). Even at concurrency 1 the worker is a thread, so the
runner can be called from a program (or a test) that has a sync Playwright of its own in the
main thread.

Never twice: a `submitting` record is fsynced *before* 提交 is clicked. A row whose last state
is `submitting` or `in_doubt` — after a lost answer, a crash, a kill — is looked up in the
portal's history before anything else is done with it; found means `submitted`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import re
import signal
import threading
import time
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)

from rpa.errors import (
    BusinessError,
    CaptchaRequired,
    ConfigError,
    DuplicateApplication,
    PortalBusy,
    PortalRejected,
    PortalTimeout,
    PortalUnreachable,
    RpaError,
    SessionExpired,
    TransientError,
)
from rpa.files import private_dir
from rpa.runlog import (
    FINAL_OK,
    LOG_NAME,
    MAYBE_SENT,
    STATUS_LABELS,
    ErrorInfo,
    RunLog,
    RunMeta,
    RunRecord,
    Status,
    _ID_RE,
    file_sha256,
    last_attempts,
    last_states,
    mask_id,
    now_iso,
    read_records,
    scrub,
    settings_summary,
)

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.config import Settings

# Outputs are rewritten every this many finished rows, so a killed run still leaves a consistent
# results.xlsx and report.html (run.jsonl, fsynced per record, stays the truth).
OUTPUT_EVERY = 20
# Backoff between two tries of a step: 0.5 s, 1 s, 2 s … capped, with jitter so that several
# workers hit by the same hiccup don't come back in lockstep.
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 8.0
BACKOFF_JITTER_S = 0.5
# Traces keep actions and network only: a screencast (every frame encoded) or DOM snapshots
# (around every action) cost a quarter to a half of a row's CPU on every row, failed or not, and
# the failure screenshot (screenshots/row-N.png) already shows the page as it was.
TRACE_SCREENSHOTS = False
TRACE_SNAPSHOTS = False
# Rows a worker drives through one page before it closes it and opens a new one. Playwright's
# driver keeps what it learns of every request a page makes until the page closes: it grew
# ~0.2–0.3 MB a row (8 KB a request, measured over 16,000 requests) and stayed flat with a new
# page every 4,000 requests. Over a batch of 5,000 rows a driver would otherwise grow by > 1 GB.
PAGE_ROWS = 200
# How often a worker waiting on an empty feed looks whether the preflight has finished.
FEED_POLL_S = 0.1
SCREENSHOTS = "screenshots"
TRACES = "traces"
MODES = ("preview", "submit")
MODE_LABELS = {"preview": "试运行", "submit": "正式提交"}


# ─── shared state ───────────────────────────────────────────────────────────────────────────


class RateLimiter:
    """At least `interval` seconds between two submissions, across all workers."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = threading.Lock()
        self._last = 0.0

    def wait(self, stop: threading.Event) -> None:
        if self.interval <= 0:
            return
        with self._lock:
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                # A politeness pause between two submissions, not a wait for the page.
                stop.wait(delay)
            self._last = time.monotonic()


class CircuitBreaker:
    """Trips after `threshold` transient failures in a row (any worker); a success resets it."""

    def __init__(self, threshold: int) -> None:
        self.threshold = threshold
        self._lock = threading.Lock()
        self._count = 0
        self.tripped = False

    def failure(self) -> bool:
        with self._lock:
            self._count += 1
            if self._count >= self.threshold:
                self.tripped = True
            return self.tripped

    def success(self) -> None:
        with self._lock:
            self._count = 0


class SessionKeeper:
    """One signed-in session for all workers: the storage-state file (settings.session_file).

    A worker that meets an expired session calls its own `PortalSession.sign_in()` under this
    lock. The first one signs in with the password and saves the file; the ones that follow find
    the fresh file valid and just load it — so the portal sees one sign-in, not one per worker.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.renewals = 0

    def renew(self, sign_in: Callable[[], None]) -> None:
        with self.lock:
            sign_in()
            self.renewals += 1


@dataclass
class Item:
    """A row on its way through the browser."""

    checked: Any  # rpa.batch.CheckedRow
    maybe_sent: bool = False  # an earlier click may have reached the portal

    @property
    def row(self) -> int:
        return self.checked.row

    @property
    def data(self) -> Any:
        return self.checked.data


@dataclass
class Job:
    """Everything the threads of one run share."""

    mode: str
    batch_path: Path
    batch: Any
    out: Path
    settings: Settings
    log: RunLog
    last: dict[int, RunRecord]
    attempts: dict[int, int]
    limiter: RateLimiter
    breaker: CircuitBreaker
    keeper: SessionKeeper = field(default_factory=SessionKeeper)
    browser: Any = None  # the run's SharedBrowser (rpa.shared_browser), made in _run
    stop: threading.Event = field(default_factory=threading.Event)
    events: queue.Queue = field(default_factory=queue.Queue)
    fatal: BaseException | None = None
    stop_reason: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.settings.password.get_secret_value(),)

    def record(
        self,
        row: int,
        status: Status,
        *,
        member: str | None,
        attempt: int | None = None,
        error: BaseException | ErrorInfo | None = None,
        screenshot: str | None = None,
        created_at: str | None = None,
        trace: str | None = None,
        final: bool = False,
    ) -> RunRecord:
        """Append a state change to run.jsonl (fsynced) and remember it as the row's last state.

        `final` marks the record that ends a worker's handling of the row (for the progress bar)."""
        if isinstance(error, BaseException):
            error = ErrorInfo.of(error, self.secrets)
        elif error is not None:
            error = ErrorInfo(kind=error.kind, message=scrub(error.message, self.secrets) or "")
        with self._lock:
            if attempt is None:
                attempt = self.attempts.get(row, 0)
            self.attempts[row] = max(self.attempts.get(row, 0), attempt)
            rec = RunRecord(
                ts=now_iso(), row=row, status=status, attempt=attempt, error=error,
                screenshot=screenshot, member=member, created_at=created_at, trace=trace,
            )
            self.log.append(rec)
            self.last[row] = rec
        if final:
            self.events.put(rec)
        return rec

    def next_attempt(self, row: int) -> int:
        with self._lock:
            self.attempts[row] = self.attempts.get(row, 0) + 1
            return self.attempts[row]

    def fail_fatally(self, exc: BaseException) -> None:
        with self._lock:
            if self.fatal is None:
                self.fatal = exc
        self.stop.set()


# ─── the portal, as the runner uses it ──────────────────────────────────────────────────────


def _is_transient(exc: BaseException) -> bool:
    """Worth another try of the same step: the tool's transient family, Playwright timeouts and
    a page/browser that went away. Never a business error, never a captcha."""
    if isinstance(exc, (BusinessError, CaptchaRequired)):
        return False
    if isinstance(exc, (TransientError, SessionExpired, PortalUnreachable)):
        # (an unreachable portal mid-run may be a blip; if it lasts, the row's last error ends the run)
        return True
    try:
        from playwright.sync_api import Error as PlaywrightError
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, PlaywrightError)


def _as_rpa_error(exc: BaseException) -> BaseException:
    """Name Playwright's own errors in the tool's vocabulary for the log."""
    if isinstance(exc, RpaError):
        return exc
    try:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout
    except ImportError:  # pragma: no cover
        return exc
    first = (str(exc).splitlines() or [""])[0]
    if isinstance(exc, PlaywrightTimeout):
        return PortalTimeout(f"门户页面响应超时：{first}")
    return TransientError(f"浏览器页面出错：{first}")


# ─── the rows on their way to the workers ───────────────────────────────────────────────────


class RowFeed:
    """The queue between the preflight and the workers.

    The preflight puts each row in as soon as it has passed, and closes the feed after the last
    one; a worker whose browser hung puts its row back. Workers wait on an empty feed until it
    is closed, so they can start while the preflight is still checking.
    """

    def __init__(self) -> None:
        self._rows: queue.Queue = queue.Queue()
        self._closed = threading.Event()

    def put(self, item: Item) -> None:
        self._rows.put(item)

    def close(self) -> None:
        self._closed.set()

    def more(self) -> bool:
        """Whether a row may still come."""
        return not (self._closed.is_set() and self._rows.empty())

    def get(self, stop: threading.Event) -> Item | None:
        """The next row, waiting while one may still come; None when none will, or on `stop`."""
        while not stop.is_set():
            try:
                return self._rows.get(timeout=FEED_POLL_S)
            except queue.Empty:
                if not self.more():
                    return None
        return None


# ─── a worker: one thread, one driver ───────────────────────────────────────────────────────


class Worker(threading.Thread):
    """Takes rows from the feed and drives one page of the shared browser through them."""

    def __init__(self, job: Job, feed: RowFeed, index: int) -> None:
        super().__init__(name=f"rpa-worker-{index}", daemon=True)
        self.job = job
        self.feed = feed
        self.index = index
        self.session: Any = None
        self.browser: Any = None
        self.context: Any = None
        self.page: Any = None
        self.rows_on_page = 0
        self.form: Any = None
        self.catalog: Any = None
        self.want_trace = False
        self.tracing = False
        self.pw: Any = None
        self.driver_pid: int | None = None
        self.row_started: float | None = None
        self.hung = False
        self.needs_renewal = False

    # -- lifecycle --

    def run(self) -> None:
        from rpa.catalog import load_catalog

        try:
            self.catalog = load_catalog(self.job.settings.selectors_dir)
            while not self.job.stop.is_set() and self.feed.more():
                # A fresh Playwright per round: the watchdog ends a round by killing its driver.
                manager, self.pw, self.driver_pid = _start_playwright()
                try:
                    self._loop()
                except _Restart:
                    pass
                finally:
                    self._close()
                    self.browser = self.session = self.context = self.page = None
                    with contextlib.suppress(Exception):
                        manager.__exit__(None, None, None)
                    self.driver_pid, self.hung = None, False
        except BaseException as exc:  # noqa: BLE001 - a dying worker must stop the run, not hang it
            self.job.fail_fatally(exc)

    def _loop(self) -> None:
        while True:
            item = self.feed.get(self.job.stop)
            if item is None:
                return
            self.row_started = time.monotonic()
            try:
                self._process(item)
            finally:
                self.row_started = None
            if self.hung:
                raise _Restart
            self.rows_on_page += 1
            if self.rows_on_page >= PAGE_ROWS:
                self._retire_page()

    def check_hung(self, budget_s: float) -> None:
        """Called by the main thread: end a Playwright call that hangs past every timeout.

        Playwright's sync objects can't be touched from another thread, so the only way to free
        a worker stuck in a call that never returns is to kill its driver process: the call
        then raises in the worker, which records the row and connects afresh. Needs
        /proc (Linux); elsewhere Playwright's own timeouts are all there is.
        """
        started, pid = self.row_started, self.driver_pid
        if started is None or pid is None or self.hung or time.monotonic() - started < budget_s:
            return
        self.hung = True
        _quiet_killed_driver()
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)

    def _close(self) -> None:
        for thing in (self.context, self.session, self.browser):
            with contextlib.suppress(Exception):
                if thing is not None:
                    thing.close()

    def _ensure_page(self) -> None:
        """A live browser, a context from the current session, one form page."""
        from rpa.portal.session import PortalSession
        from rpa.portal.transfer_form import TransferForm

        if self.browser is None or not self.browser.is_connected():
            self._close()
            self.browser = self.job.browser.connect(self.pw)
            self.session = PortalSession(self.job.settings, self.browser)
            self.context = None
        if not self.session.signed_in:
            self.session.sign_in()  # the saved session of the preflight, or a fresh sign-in
        if self.context is None:
            self.context = self.session.new_context()  # signs in (from the shared file) if needed
            self.page = None
            self.tracing = False
        if self.want_trace and not self.tracing:
            # Per-row trace, kept only when the row fails. Sign-in happens in a context of its
            # own (rpa.portal.signin), so the password is never in it.
            with contextlib.suppress(Exception):
                self.context.tracing.start(screenshots=TRACE_SCREENSHOTS, snapshots=TRACE_SNAPSHOTS)
                self.tracing = True
        if self.page is None or self.page.is_closed():
            self.page = self.context.new_page()
            self.rows_on_page = 0
            self.form = TransferForm(self.page, self.catalog, timeout_ms=self.job.settings.timeout_ms)

    def _retire_page(self) -> None:
        """Close the page after its `PAGE_ROWS` rows; the next row opens a new one."""
        if self.page is not None:
            with contextlib.suppress(Exception):
                self.page.close()
        self.page = None

    def _renew_session(self) -> None:
        if self.session is None:
            return
        self.job.keeper.renew(self.session.sign_in)
        if self.context is not None:
            with contextlib.suppress(Exception):
                self.context.tracing.stop()
            with contextlib.suppress(Exception):
                self.context.close()
        self.context = None  # rebuilt from the fresh storage state by _ensure_page

    # -- one row --

    def _process(self, item: Item) -> None:
        job, row, data = self.job, item.row, item.data
        member = mask_id(data.id_number)
        attempt = job.next_attempt(row)
        job.record(row, Status.started, member=member, attempt=attempt)
        self.want_trace = True
        try:
            outcome = self._with_retries(item, member)
        except BaseException as exc:  # noqa: BLE001
            if isinstance(exc, CaptchaRequired | PortalUnreachable | ConfigError):
                job.fail_fatally(exc)
            error = _as_rpa_error(exc)
            if self.hung:
                error = PortalTimeout(
                    f"门户页面超过 {int(_hang_budget_s(job.settings))} 秒没有任何响应（浏览器卡住），已重启浏览器。"
                    "请稍后运行 rpa retry 重试本行。"
                )
                self.browser = self.context = self.page = None  # gone with the driver
                if job.attempts.get(row, 0) < job.settings.max_attempts and not job.stop.is_set():
                    # Once more, in a fresh browser (a maybe-sent row is looked up first, as ever).
                    job.record(row, Status.in_doubt if item.maybe_sent else Status.started,
                               member=member, error=error)
                    self.feed.put(item)
                    return
            shot = self._evidence_screenshot(row)
            trace = self._stop_trace(row, keep=True)
            if isinstance(exc, DuplicateApplication):
                status = Status.duplicate
            elif item.maybe_sent:
                status = Status.in_doubt  # never "failed" while the portal may hold it
            else:
                status = Status.failed
            job.record(row, status, member=member, error=error, screenshot=shot, trace=trace, final=True)
            if not isinstance(exc, BusinessError) and _is_transient(exc):
                if job.breaker.failure() and not job.stop.is_set():
                    job.stop_reason = (
                        f"连续 {job.breaker.threshold} 次遇到门户临时故障，已停止运行以免反复冲击门户。"
                        "请稍后运行 rpa retry 继续。"
                    )
                    job.stop.set()
            return
        finally:
            self.want_trace = False
            if self.tracing:
                self._stop_trace(row, keep=False)
        job.breaker.success()
        job.record(row, outcome.status, member=member, screenshot=outcome.screenshot,
                   created_at=outcome.created_at, final=True)

    def _with_retries(self, item: Item, member: str) -> "Outcome":
        job, settings = self.job, self.job.settings
        retrying = Retrying(
            stop=(
                stop_after_attempt(settings.max_attempts)
                | stop_after_delay(_row_budget_s(settings))
                # Ctrl-C or a fatal error: no new try — except the history look of a maybe-sent row.
                | (lambda _state: job.stop.is_set() and (job.fatal is not None or not item.maybe_sent))
                | (lambda _state: job.breaker.tripped)
                | (lambda _state: self.hung)
            ),
            wait=_backoff(),
            retry=retry_if_exception(_is_transient),
            before_sleep=lambda state: self._before_retry(state, item, member),
            reraise=True,
        )
        return retrying(self._attempt, item, member)

    def _before_retry(self, state: RetryCallState, item: Item, member: str) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if exc is None:
            return
        if self.job.breaker.failure():
            return
        if isinstance(exc, SessionExpired):
            self.needs_renewal = True
        attempt = self.job.next_attempt(item.row)
        if not item.maybe_sent:  # (a maybe-sent row was logged in_doubt already, with its error)
            # The log keeps the reason of every extra try, with the attempt number it leads to.
            self.job.record(item.row, Status.started, member=member, attempt=attempt, error=_as_rpa_error(exc))

    def _attempt(self, item: Item, member: str) -> "Outcome":
        from rpa.portal.history import find_application

        job, row, data = self.job, item.row, item.data
        self.row_started = time.monotonic()  # the watchdog's heartbeat: one per try
        if self.needs_renewal:
            # Signing in again is part of the try, so a busy portal here is retried like any step.
            self._renew_session()
            self.needs_renewal = False
        self._ensure_page()
        if item.maybe_sent and job.mode == "submit":
            entry = find_application(self.session, data.id_number)
            if entry is not None:
                return Outcome(Status.submitted, created_at=_created_at(entry),
                               screenshot=_existing_shot(job.out, row))
            item.maybe_sent = False  # looked: the portal has nothing, a new click is safe

        shot = self._fill(item)
        if job.mode == "preview":
            return Outcome(Status.previewed, screenshot=shot)

        job.record(row, Status.filled, member=member, screenshot=shot)
        job.limiter.wait(job.stop)
        job.record(row, Status.submitting, member=member)
        item.maybe_sent = True
        try:
            result = self.form.submit()
        except (DuplicateApplication, PortalBusy, PortalRejected, PortalTimeout, SessionExpired):
            # The portal answered (or the confirmation never opened): this click stored nothing.
            item.maybe_sent = False
            raise
        except BaseException as exc:
            # Clicked, no answer we can trust: in doubt until the history says otherwise.
            job.record(row, Status.in_doubt, member=member, error=_as_rpa_error(exc))
            raise
        return Outcome(Status.submitted, created_at=_created_at(result), screenshot=shot)

    def _fill(self, item: Item) -> str:
        """Named step `fill`: open the form, fill it, read it back, screenshot. Retried alone."""
        job = self.job
        path = job.out / SCREENSHOTS / f"row-{item.row}.png"

        def once() -> str:
            self.row_started = time.monotonic()
            self._ensure_page()
            self.form.open()
            self.form.fill(item.data)
            self.form.screenshot(path)
            _chmod_private(path)
            return f"{SCREENSHOTS}/{path.name}"

        retrying = Retrying(
            stop=stop_after_attempt(job.settings.max_attempts) | (lambda _s: job.breaker.tripped or self.hung),
            wait=_backoff(),
            # A session that expired mid-fill is renewed by the outer step, which rebuilds the page.
            retry=retry_if_exception(lambda e: _is_transient(e) and not isinstance(e, SessionExpired)),
            before_sleep=lambda _s: job.breaker.failure(),
            reraise=True,
        )
        return retrying(once)

    # -- evidence --

    def _evidence_screenshot(self, row: int) -> str | None:
        if self.page is None or self.page.is_closed():
            return _existing_shot(self.job.out, row)
        path = self.job.out / SCREENSHOTS / f"row-{row}.png"
        try:
            self.page.screenshot(path=str(path), full_page=True, timeout=5_000)
            _chmod_private(path)
            return f"{SCREENSHOTS}/{path.name}"
        except Exception:  # noqa: BLE001 - evidence is best effort
            return _existing_shot(self.job.out, row)

    def _stop_trace(self, row: int, keep: bool) -> str | None:
        if self.context is None or not self.tracing:
            return None
        self.tracing = False
        try:
            if not keep:
                self.context.tracing.stop()
                return None
            path = self.job.out / TRACES / f"row-{row}.zip"
            path.parent.mkdir(exist_ok=True)
            self.context.tracing.stop(path=str(path))
            scrub_trace(path, self.job.secrets)
            return f"{TRACES}/{path.name}"
        except Exception:  # noqa: BLE001 - a trace is best effort
            return None


class _AsyncioLeftovers(logging.Filter):
    """Drops asyncio's reports of the calls a killed driver left pending (Playwright's own)."""

    MESSAGES = ("Task was destroyed but it is pending", "Future exception was never retrieved",
                "Task exception was never retrieved")

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.MESSAGES)


def _quiet_killed_driver() -> None:
    """Before the watchdog kills a driver: what asyncio and Python then say, in English and at
    exit, about the calls it left pending is expected and no use to a secretary (the row is in
    the log with a Chinese message)."""
    logger = logging.getLogger("asyncio")
    if not any(isinstance(f, _AsyncioLeftovers) for f in logger.filters):
        logger.addFilter(_AsyncioLeftovers())
        warnings.filterwarnings("ignore", message=r"coroutine .* was never awaited", category=RuntimeWarning)


class _Restart(Exception):
    """The worker's Playwright was killed by the watchdog: start a fresh one."""


# Starting a driver and spotting its pid must not interleave between two workers.
_DRIVER_START = threading.Lock()


def _driver_pids() -> set[int]:
    """Pids of our own Playwright driver processes (children running `run-driver`); Linux only."""
    me, found = os.getpid(), set()
    try:
        entries = os.listdir("/proc")
    except OSError:
        return found
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            if ppid == me:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"run-driver" in f.read():
                        found.add(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _start_playwright() -> tuple[Any, Any, int | None]:
    """Start a sync Playwright in this thread: (manager to __exit__, playwright, driver pid).

    The driver is started in a session of its own. Otherwise Ctrl-C in the terminal, which
    signals the whole foreground process group, would kill it and with it the connections of
    every row in flight; this way only Python sees Ctrl-C, and the rows in flight finish. Its
    Node heap is capped too (`shared_browser.NODE_OPTIONS`). (Playwright has no option for
    either, hence the short patch of asyncio's subprocess start, under a lock.)
    """
    import asyncio

    from playwright.sync_api import sync_playwright

    from rpa.shared_browser import node_options, own_session

    with _DRIVER_START:
        real_exec = asyncio.create_subprocess_exec

        async def exec_in_own_session(*args: Any, **kwargs: Any) -> Any:
            for key, value in own_session().items():  # (Windows: a new process group)
                kwargs.setdefault(key, value)
            kwargs["env"] = {**(kwargs.get("env") or os.environ), "NODE_OPTIONS": node_options()}
            return await real_exec(*args, **kwargs)

        before = _driver_pids()
        asyncio.create_subprocess_exec = exec_in_own_session  # type: ignore[assignment]
        try:
            manager = sync_playwright()
            pw = manager.__enter__()
        finally:
            asyncio.create_subprocess_exec = real_exec  # type: ignore[assignment]
        return manager, pw, next(iter(_driver_pids() - before), None)


def _hang_budget_s(settings: Settings) -> float:
    """How long one try of a step may last before the watchdog frees its worker: every wait in a
    step is bounded by timeout_ms, so a try that lasts several timeouts is stuck, not slow."""
    return max(45.0, settings.timeout_ms / 1000 * 4)


def _backoff():
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped, plus up to 0.5 s at random."""
    return wait_exponential(multiplier=BACKOFF_INITIAL_S, max=BACKOFF_MAX_S) + wait_random(0, BACKOFF_JITTER_S)


@dataclass
class Outcome:
    status: Status
    screenshot: str | None = None
    created_at: str | None = None


def _created_at(obj: Any) -> str | None:
    value = getattr(obj, "created_at", None)
    return None if value is None else str(value)


def _existing_shot(out: Path, row: int) -> str | None:
    path = out / SCREENSHOTS / f"row-{row}.png"
    return f"{SCREENSHOTS}/{path.name}" if path.exists() else None


def _row_budget_s(settings: Settings) -> float:
    """The most time one row may take over all its tries."""
    return max(60.0, settings.timeout_ms / 1000 * settings.max_attempts * 3)


def _chmod_private(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.chmod(0o600)


def scrub_trace(path: Path, secrets: tuple[str, ...] = ()) -> None:
    """Rewrite a trace zip with every ID number masked and the password blanked.

    The trace records the pages' network answers, and the portal's member list carries full ID
    numbers; SPEC §5 allows them only in results.xlsx and register.xlsx.
    """
    tmp = path.with_suffix(".zip.part")
    id_re = re.compile(_ID_RE.pattern.encode())
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if not _is_image(data):
                data = id_re.sub(lambda m: mask_id(m.group(0).decode()).encode(), data)
                for secret in secrets:
                    if secret and len(secret) >= 4:
                        data = data.replace(secret.encode(), b"******")
            dst.writestr(info, data)
    tmp.chmod(0o600)
    tmp.replace(path)


def _is_image(data: bytes) -> bool:
    return data[:4] in (b"\x89PNG", b"\xff\xd8\xff\xe0", b"\xff\xd8\xff\xe1", b"\xff\xd8\xff\xdb") or data[:3] == b"\xff\xd8\xff"



# ─── preflight: sign in once, then reconcile and check each row ───────────────────────────


class Preflight(threading.Thread):
    """Sign in once; then, row by row, reconcile a maybe-sent row with the portal's history and
    check the target path against the portal's tree, and put the row in the feed as soon as it
    has passed. The workers start once `signed_in` is set and take rows while this goes on.

    Rows it settles itself (found in the history, a path the portal lacks) are logged as final.
    Its error, if any, is left in `error`; on a fatal one (captcha, wrong account …) the run stops.
    """

    def __init__(self, job: Job, todo: list[Item], feed: RowFeed) -> None:
        super().__init__(name="rpa-preflight", daemon=True)
        self.job, self.todo, self.feed = job, todo, feed
        self.signed_in = threading.Event()
        self.error: BaseException | None = None

    def named_error(self) -> BaseException | None:
        """`error`, Playwright's own errors named in the tool's words."""
        error = self.error
        return _as_rpa_error(error) if error is not None and _is_transient(error) else error

    def run(self) -> None:
        try:
            self._check_rows()
        except BaseException as exc:  # noqa: BLE001 - told by the caller, in the run's words
            self.error = exc
            if self.signed_in.is_set() and not _is_transient(exc):
                self.job.fail_fatally(exc)
        finally:
            self.feed.close()

    def _check_rows(self) -> None:
        from rpa.portal.history import find_application
        from rpa.portal.orgtree import OrgTree
        from rpa.portal.session import PortalSession

        job = self.job
        manager, pw, _pid = _start_playwright()
        try:
            browser = job.browser.connect(pw)
            session = PortalSession(job.settings, browser)

            def renew_if_expired(state: RetryCallState) -> None:
                # The workers share this session (the saved file): one of them may have renewed it.
                if state.outcome is not None and isinstance(state.outcome.exception(), SessionExpired):
                    job.keeper.renew(session.sign_in)

            retrying = Retrying(
                stop=stop_after_attempt(job.settings.max_attempts),
                wait=_backoff(),
                retry=retry_if_exception(_is_transient),
                before_sleep=renew_if_expired,
                reraise=True,
            )
            try:
                retrying(session.sign_in)
                self.signed_in.set()
                tree = OrgTree(session, retrying=retrying)
                for item in self.todo:
                    if job.stop.is_set():
                        return
                    data, member = item.data, mask_id(item.data.id_number)
                    if item.maybe_sent and job.mode == "submit":
                        entry = retrying(find_application, session, data.id_number)
                        if entry is not None:
                            job.record(item.row, Status.submitted, member=member, created_at=_created_at(entry),
                                       screenshot=_existing_shot(job.out, item.row), final=True)
                            continue
                        item.maybe_sent = False
                    if data.target_path and not data.province_flag:
                        try:
                            tree.check_path(list(data.target_path))
                        except BusinessError as exc:
                            job.record(item.row, Status.invalid, member=member, error=exc, final=True)
                            continue
                    self.feed.put(item)
            finally:
                with contextlib.suppress(Exception):
                    session.close()
                with contextlib.suppress(Exception):
                    browser.close()
        finally:
            with contextlib.suppress(Exception):
                manager.__exit__(None, None, None)


# ─── the run ────────────────────────────────────────────────────────────────────────────────


def run_batch(
    mode: str,
    batch: Path,
    out: Path,
    settings: Settings,
    console: Console | None = None,
    *,
    title: str | None = None,
) -> int:
    """Preview or submit `batch` into `out` (resuming when `out` holds a run of the same batch).

    Exit code per SPEC §5: 0 every row final-ok, 1 some rows not ok, 2 usage/config/portal.
    """
    from rich.console import Console

    from rpa.batch import load_batch

    console = console or Console(highlight=False)
    if mode not in MODES:
        raise ConfigError(f"未知的运行方式 {mode!r}，只能是 preview 或 submit。")
    batch_path = Path(batch).resolve()
    loaded = load_batch(batch_path)
    digest = file_sha256(batch_path)
    out = private_dir(Path(out))
    for sub in (SCREENSHOTS, TRACES):
        private_dir(out / sub)

    meta = RunMeta.load(out)
    records = read_records(out / LOG_NAME)
    if meta is None and records:
        raise ConfigError(f"输出目录 {str(out)!r} 中有运行日志但缺少 run.json，无法确认名单。请换一个新的输出目录。")
    if meta is not None:
        if meta.batch_sha256 != digest:
            raise ConfigError(
                f"名单文件 {batch_path.name!r} 自本次运行开始后已被修改（与输出目录 {str(out)!r} 记录的不一致）。"
                "为避免重复或遗漏，不能在原目录中继续：请用原名单继续，或为修改后的名单换一个新的输出目录。"
            )
        if meta.mode != mode:
            raise ConfigError(
                f"输出目录 {str(out)!r} 是一次{MODE_LABELS[meta.mode]}的结果，不能用来{MODE_LABELS[mode]}。"
                "请换一个新的输出目录。"
            )
        meta.batch_path = str(batch_path)
    else:
        meta = RunMeta(batch_path=str(batch_path), batch_sha256=digest, mode=mode, started_at=now_iso())
    meta.settings = settings_summary(settings)
    meta.runs.append({"started_at": now_iso(), "resumed": bool(records)})
    meta.save(out)

    log = RunLog(out / LOG_NAME)
    job = Job(
        mode=mode, batch_path=batch_path, batch=loaded, out=out, settings=settings, log=log,
        last=last_states(records), attempts=last_attempts(records),
        limiter=RateLimiter(settings.min_interval_s), breaker=CircuitBreaker(settings.circuit_breaker),
    )
    try:
        return _run(job, console, resumed=bool(records), title=title)
    finally:
        log.close()


def retry_run(out: Path, settings: Settings, console: Console | None = None) -> int:
    """`rpa retry DIR`: run again, from the batch recorded in DIR, the rows not final-ok."""
    out = Path(out)
    meta = RunMeta.load(out)
    if meta is None or not (out / LOG_NAME).exists():
        raise ConfigError(f"{str(out)!r} 不是运行输出目录（其中没有 run.json / {LOG_NAME}），请检查路径。")
    batch = Path(meta.batch_path)
    if not batch.exists():
        raise ConfigError(f"找不到本次运行所用的名单 {str(batch)!r}（文件被移动或删除），请放回原处后再重试。")
    return run_batch(meta.mode, batch, out, settings, console, title="重试")


def _run(job: Job, console: Console, *, resumed: bool, title: str | None) -> int:
    from rpa.batch import RowStatus

    todo: list[Item] = []
    done_before = 0
    for checked in job.batch.rows:
        prev = job.last.get(checked.row)
        if prev is not None and prev.status in FINAL_OK:
            done_before += 1
            continue
        member = mask_id(checked.data.id_number) if checked.data else _raw_member(checked)
        status = RowStatus(checked.status)
        if status is RowStatus.VALID:
            todo.append(Item(checked, maybe_sent=prev is not None and prev.status in MAYBE_SENT))
            continue
        new = {RowStatus.INVALID: Status.invalid, RowStatus.SKIPPED: Status.skipped,
               RowStatus.RETAINED: Status.retained}[status]
        if prev is not None and prev.status == new:
            continue  # still the same verdict; nothing new to log
        error = None
        if checked.errors:
            error = ErrorInfo(kind=checked.errors[0].code if status is RowStatus.INVALID else "row",
                              message="；".join(e.message for e in checked.errors))
        elif status is RowStatus.SKIPPED:
            error = ErrorInfo(kind="not_approved", message="审核状态不是“已审批”，本行未办理。")
        job.record(checked.row, new, member=member, error=error)

    name = job.batch_path.name
    heading = title or ("继续" if resumed else MODE_LABELS[job.mode])
    console.print(
        f"[bold]{heading}[/bold]：{name} → {job.out}　共 {len(job.batch.rows)} 行，"
        f"本次需办理 {len(todo)} 行" + (f"（{done_before} 行已完成，跳过）" if done_before else "")
    )

    exit_code: int | None = None
    if todo:
        from rpa.shared_browser import SharedBrowser

        job.browser = SharedBrowser(job.settings)
        try:
            exit_code = _run_rows(job, todo, console)
        finally:
            job.browser.close()

    _write_outputs(job, finished=True)
    ok = _summary(job, console)
    if exit_code is None:
        exit_code = 0 if ok else 1
    return exit_code


def _run_rows(job: Job, todo: list[Item], console: Console) -> int | None:
    """Preflight and workers; an exit code when the run had to stop early, else None."""
    feed = RowFeed()
    preflight = Preflight(job, todo, feed)
    preflight.start()
    try:
        while preflight.is_alive() and not preflight.signed_in.is_set():
            preflight.join(0.2)
    except KeyboardInterrupt:
        job.stop.set()
        job.stop_reason = "已按 Ctrl-C 中断，尚未开始办理任何行。"
        return 1
    if not preflight.signed_in.is_set():  # no sign-in: no worker has started
        return _stopped_by(job, preflight.named_error())
    _run_workers(job, feed, len(todo), console)
    preflight.join()
    if job.fatal is not None:
        return _stopped_by(job, job.fatal)
    if preflight.error is not None:  # a transient one (a fatal one is job.fatal): unchecked rows wait
        return _stopped_by(job, preflight.named_error())
    return None


def _stopped_by(job: Job, error: BaseException | None) -> int:
    """Name why the run stopped early (job.stop_reason); the exit code that goes with it."""
    if isinstance(error, CaptchaRequired):
        job.stop_reason = "门户要求输入验证码，无法自动登录。请先运行 rpa login 登录，然后用 rpa retry 继续。"
        return 2
    if isinstance(error, TransientError):  # still busy after every retry: "not yet", not a usage error
        job.stop_reason = (f"{scrub(error.message, job.secrets)} 门户暂时故障，已停止；"
                           f"请稍后运行 rpa retry {job.out} 继续。")
        return 1
    if isinstance(error, RpaError):  # unreachable, wrong account …
        job.stop_reason = scrub(error.message, job.secrets) or ""
        return 2
    job.stop_reason = f"运行出错：{scrub(str(error), job.secrets)}"
    return 2


def _raw_member(checked: Any) -> str | None:
    raw = getattr(checked, "raw", None) or {}
    value = raw.get("身份证号")
    return mask_id(str(value).strip()) if value not in (None, "") else None


def _run_workers(job: Job, feed: RowFeed, total: int, console: Console) -> None:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    workers = [Worker(job, feed, i) for i in range(min(job.settings.concurrency, total))]
    counts: Counter = Counter()
    since_output = 0
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[counts]}"),
        TimeElapsedColumn(),
        TextColumn("剩余"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )
    verb = "填写" if job.mode == "preview" else "提交"
    hang_budget = _hang_budget_s(job.settings)

    def counts_text() -> str:
        ok = sum(n for s, n in counts.items() if s in FINAL_OK)
        bad = sum(n for s, n in counts.items() if s not in FINAL_OK)
        return f"[green]成功 {ok}[/green] [red]未成功 {bad}[/red]"

    with progress:
        task = progress.add_task(f"{verb}中", total=total, counts=counts_text())
        for w in workers:
            w.start()
        interrupted = False
        while True:
            try:
                alive = any(w.is_alive() for w in workers)
                for w in workers:
                    w.check_hung(hang_budget)
                try:
                    rec: RunRecord = job.events.get(timeout=0.2)
                except queue.Empty:
                    if not alive and job.events.empty():
                        break
                    continue
                counts[rec.status] += 1
                progress.update(task, advance=1, counts=counts_text())
                if rec.status not in FINAL_OK:
                    msg = rec.error.message if rec.error else ""
                    progress.console.print(
                        f"  第 {rec.row} 行 {rec.member or ''}：[red]{STATUS_LABELS[rec.status]}[/red] {msg}"
                    )
                since_output += 1
                if since_output >= OUTPUT_EVERY:
                    since_output = 0
                    _write_outputs(job, finished=False)
            except KeyboardInterrupt:
                if interrupted:
                    raise
                interrupted = True
                job.stop_reason = "已按 Ctrl-C 中断：正在办理的行完成后停止，未办理的行可用 rpa retry 继续。"
                job.stop.set()
                progress.console.print("[yellow]收到 Ctrl-C：等正在办理的行结束后停止……（再按一次立即退出）[/yellow]")
        for w in workers:
            w.join(5)


def _write_outputs(job: Job, *, finished: bool) -> None:
    """results.xlsx, report.html and register.xlsx from the batch and the log's last states."""
    from rpa.report import build_views, write_report
    from rpa.results import write_results

    with job._lock:
        last = dict(job.last)
    write_results(job.batch_path, job.batch, last, job.out / "results.xlsx")
    write_report(job.out, build_views(job.batch, last), mode=job.mode, batch_name=job.batch_path.name,
                 finished=finished, note=job.stop_reason)
    retained = [c for c in job.batch.rows if _status_value(c) == "retained" and c.data is not None]
    if retained:
        from rpa.register import write_register

        write_register(retained, job.out / "register.xlsx", job.settings.graduation_date)


def _status_value(checked: Any) -> str:
    return getattr(checked.status, "value", checked.status)


def _summary(job: Job, console: Console) -> bool:
    """Print the summary table; True when every row ended final-ok."""
    from rich.table import Table

    last = job.last
    counts = Counter(last[c.row].status if c.row in last else None for c in job.batch.rows)
    table = Table(title=f"{MODE_LABELS[job.mode]}结果")
    table.add_column("状态")
    table.add_column("行数", justify="right")
    for status in Status:
        if counts[status]:
            style = "green" if status in FINAL_OK else "red"
            table.add_row(f"[{style}]{STATUS_LABELS[status]}[/{style}]", str(counts[status]))
    if counts[None]:
        table.add_row("[yellow]未办理[/yellow]", str(counts[None]))
    table.add_row("[bold]合计[/bold]", f"[bold]{len(job.batch.rows)}[/bold]")
    console.print(table)
    if job.stop_reason:
        console.print(f"[yellow]{job.stop_reason}[/yellow]")
    console.print(f"报告：{job.out / 'report.html'}")
    console.print(f"结果表：{job.out / 'results.xlsx'}")
    all_ok = all(c.row in last and last[c.row].status in FINAL_OK for c in job.batch.rows)
    if not all_ok:
        console.print(f"查看需要处理的行：rpa status {job.out}")
        if counts[Status.invalid]:
            console.print("数据有误的行：改正名单后用新的输出目录重新运行（已提交的团员门户会拒绝重复申请）。")
        if any(counts[s] for s in (Status.failed, Status.duplicate, Status.in_doubt, Status.started,
                                   Status.filled, Status.submitting)) or counts[None]:
            console.print(f"重试未成功或未办理的行：rpa retry {job.out}（已提交的行不会重复提交）")
    return all_ok

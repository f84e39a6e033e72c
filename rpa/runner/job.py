"""What the parts of one run share: the batch, the log, the settings and the stop signal.

`Job.record()` is the only way a row changes state: it appends the record to run.jsonl
(fsynced) before it returns, and tells the progress display about final ones.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.runlog import ErrorInfo, LogContents, RunLog, RunRecord, Status, now_iso, scrub

if TYPE_CHECKING:
    from rpa.config import Settings
    from rpa.runner.guards import CircuitBreaker, RateLimiter

SCREENSHOTS = "screenshots"
TRACES = "traces"
MODES = ("preview", "submit")
MODE_LABELS = {"preview": "试运行", "submit": "正式提交"}


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
class Outcome:
    """How a row's handling ended well."""

    status: Status
    screenshot: str | None = None
    created_at: str | None = None
    form: dict[str, str] | None = None  # the form as read back after filling


@dataclass
class Job:
    """Everything the tasks of one run share."""

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
    # When each row was first about to be submitted: an application created before that (less a
    # clock-skew margin) is not ours (rpa.runner.reconcile).
    first_submitting: dict[int, dt.datetime] = field(default_factory=dict)
    unreadable: LogContents = field(default_factory=LogContents)  # rows whose log can't be read in full
    org_cache: Any = None  # the run's rpa.portal.orgtree.OrgCache: each level fetched once
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    fatal: BaseException | None = None
    stop_reason: str = ""
    on_final: Callable[[RunRecord], None] | None = None  # the progress display
    locked_outputs: dict[str, str] = field(default_factory=dict)  # output file → why it wasn't updated
    keys: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)  # row → (member key, digest)
    view: Any = None  # rpa.members.FolderView: the folder's records seen through this batch
    notes: list[str] = field(default_factory=list)  # what a corrected batch changed (told on the console)
    interrupts: int = 0  # Ctrl-C presses so far (rpa.runner.interrupts)
    on_interrupt: Callable[[], None] | None = None  # set by the engine while the rows run

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
        form: dict[str, str] | None = None,
        final: bool = False,
    ) -> RunRecord:
        """Append a state change to run.jsonl (fsynced) and remember it as the row's last state.

        `final` marks the record that ends this run's handling of the row (for the progress bar)."""
        if isinstance(error, BaseException):
            error = ErrorInfo.of(error, self.secrets)
        elif error is not None:
            error = ErrorInfo(kind=error.kind, message=scrub(error.message, self.secrets) or "")
        if attempt is None:
            attempt = self.attempts.get(row, 0)
        self.attempts[row] = max(self.attempts.get(row, 0), attempt)
        key, digest = self.keys.get(row, (None, None))
        rec = RunRecord(
            ts=now_iso(), row=row, status=status, attempt=attempt, error=error,
            screenshot=screenshot, member=member, created_at=created_at, trace=trace, form=form,
            key=key, digest=digest,
        )
        self.log.append(rec)
        self.last[row] = rec
        if status == Status.submitting:
            self.first_submitting.setdefault(row, dt.datetime.fromisoformat(rec.ts))
        if final and self.on_final is not None:
            self.on_final(rec)
        return rec

    def next_attempt(self, row: int) -> int:
        self.attempts[row] = self.attempts.get(row, 0) + 1
        return self.attempts[row]

    def fail_fatally(self, exc: BaseException) -> None:
        """Stop the run for a reason no row can get past (captcha, wrong account …)."""
        if self.fatal is None:
            self.fatal = exc
        self.stop.set()

    def screenshot_path(self, row: int) -> Path:
        return self.out / SCREENSHOTS / f"row-{row}.png"

    def existing_shot(self, row: int) -> str | None:
        """The row's screenshot from an earlier try, if there is one (relative to DIR)."""
        path = self.screenshot_path(row)
        return f"{SCREENSHOTS}/{path.name}" if path.exists() else None

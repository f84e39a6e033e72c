"""The run engine: `rpa preview`, `rpa submit` (and resume), `rpa retry`.

    load the batch ─ lock DIR, check it (same batch?) ─ open run.jsonl        (folder)
      │  rows that never reach the browser: invalid / skipped / retained → logged at once
      ▼
    one event loop, one Playwright driver, one browser, one signed-in session (engine)
      ├─ preflight task: sign in; then row by row reconcile an in-doubt row with the portal's
      │    history, check the target path against the portal's tree, pass the row on (preflight)
      │    ▼ (RowFeed: the workers start once it has signed in, and take rows as they come) (feed)
      └─ worker tasks: each its own browser context and one 办理转出 page kept row to row (worker)
           started → [look in history if maybe sent] → fill → screenshot
           preview: previewed            submit: filled → submitting → submitted | in_doubt …
      ▼
    results.xlsx, report.html, register.xlsx (also every OUTPUT_EVERY rows) (outputs)
      ─ summary ─ exit code (summary)

The pause between submissions and the circuit breaker are in `guards`; what the parts share
(the log, the stop signal) in `job`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rpa.errors import ConfigError
from rpa.files import private_dir
from rpa.runlog import FINAL_OK, LOG_NAME, MAYBE_SENT, ErrorInfo, RunLog, RunMeta, Status, file_sha256
from rpa.runlog import first_submitting, last_attempts, last_states, mask_id, now_iso, settings_summary
from rpa.runner.folder import FolderLock, open_folder
from rpa.runner.job import MODE_LABELS, MODES, SCREENSHOTS, TRACES, Item, Job

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.config import Settings

__all__ = ["retry_run", "run_batch"]


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
    (`rpa submit` asks the secretary first, with `rpa.runner.plan.submit_plan`.)
    """
    from rich.console import Console

    from rpa.batch import load_batch
    from rpa.runner.guards import CircuitBreaker, RateLimiter

    console = console or Console(highlight=False)
    if mode not in MODES:
        raise ConfigError(f"未知的运行方式 {mode!r}，只能是 preview 或 submit。")
    batch_path = Path(batch).resolve()
    loaded = load_batch(batch_path)
    digest = file_sha256(batch_path)
    out = private_dir(Path(out))
    with FolderLock(out):
        for sub in (SCREENSHOTS, TRACES):
            private_dir(out / sub)
        meta, before = open_folder(out, batch_path, digest, mode)
        records = before.records
        meta.settings = settings_summary(settings)
        meta.runs.append({"started_at": now_iso(), "resumed": bool(records)})
        meta.save(out)

        log = RunLog(out / LOG_NAME)  # (cuts a torn last line: `before` has it as in doubt)
        job = Job(
            mode=mode, batch_path=batch_path, batch=loaded, out=out, settings=settings, log=log,
            last=last_states(records), attempts=last_attempts(records),
            limiter=RateLimiter(settings.min_interval_s),
            breaker=CircuitBreaker(settings.circuit_breaker, settings.breaker_pause_s),
            first_submitting=first_submitting(records), unreadable=before,
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
    from rich.markup import escape

    from rpa.runner.interrupts import ctrl_c_counted
    from rpa.runner.outputs import write_outputs
    from rpa.runner.summary import print_summary

    todo, done_before = _rows_to_do(job)
    heading = title or ("继续" if resumed else MODE_LABELS[job.mode])
    console.print(
        f"[bold]{heading}[/bold]：{escape(job.batch_path.name)} → {escape(str(job.out))}　"
        f"共 {len(job.batch.rows)} 行，本次需办理 {len(todo)} 行"
        + (f"（{done_before} 行已完成，跳过）" if done_before else "")
    )
    exit_code: int | None = None
    with ctrl_c_counted(job, console):
        if todo:
            from rpa.runner.engine import run_rows

            exit_code = run_rows(job, todo, console)
        write_outputs(job, dict(job.last), finished=True)
        ok = print_summary(job, console)
    return (0 if ok else 1) if exit_code is None else exit_code


def _rows_to_do(job: Job) -> tuple[list[Item], int]:
    """The rows for the browser, and how many were done before; rows that never reach the
    browser (invalid, skipped, retained) are logged here."""
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
            # Maybe sent: the last state says so, or the row's history can't be read in full.
            maybe_sent = (prev is not None and prev.status in MAYBE_SENT) or job.unreadable.in_doubt(checked.row)
            todo.append(Item(checked, maybe_sent=maybe_sent))
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
    return todo, done_before


def _raw_member(checked) -> str | None:
    raw = getattr(checked, "raw", None) or {}
    value = raw.get("身份证号")
    return mask_id(str(value).strip()) if value not in (None, "") else None

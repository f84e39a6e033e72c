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
from rpa.members import batch_keys, follow
from rpa.runlog import LOG_NAME, MAYBE_SENT, ErrorInfo, LogContents, RunLog, RunMeta, Status
from rpa.runlog import file_sha256, mask_id, now_iso, settings_summary
from rpa.runner.folder import FolderLock, another_batch, open_folder
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
        same = meta.batch_sha256 == digest
        view = follow(records, loaded, meta.member_salt, same_batch=same)
        if not same:
            if records and view.shared == 0:
                raise another_batch(out, meta, batch_path)
            # The batch was corrected: it goes on by member. Damaged lines can't be placed on
            # the new rows, so they put every row in doubt.
            before = LogContents(records, doubtful_all=bool(before.doubtful_rows or before.doubtful_all))
            meta.batch_sha256 = digest
        if not meta.batches or meta.batches[-1].get("sha256") != digest:
            meta.batches.append({"sha256": digest, "name": batch_path.name, "at": now_iso()})
        meta.batch_path = str(batch_path)
        meta.settings = settings_summary(settings)
        meta.runs.append({"started_at": now_iso(), "resumed": bool(records)})
        meta.save(out)

        log = RunLog(out / LOG_NAME)  # (cuts a torn last line: `before` has it as in doubt)
        job = Job(
            mode=mode, batch_path=batch_path, batch=loaded, out=out, settings=settings, log=log,
            last=view.last, attempts=view.attempts,
            limiter=RateLimiter(settings.min_interval_s),
            breaker=CircuitBreaker(settings.circuit_breaker, settings.breaker_pause_s),
            first_submitting=view.first_submitting, unreadable=before,
            keys=batch_keys(loaded, meta.member_salt) if meta.member_salt else {}, view=view,
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
    job.notes = _follow_notes(job)
    for note in job.notes:
        console.print(f"[yellow]{escape(note)}[/yellow]")
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
    edited = set(job.view.edited_done) if job.view is not None else set()
    for checked in job.batch.rows:
        prev = job.last.get(checked.row)
        if prev is not None and prev.status in DONE and not (prev.status == Status.previewed and checked.row in edited):
            done_before += 1  # (an edited submitted row is never sent again: told in the heading)
            continue
        member = mask_id(checked.data.id_number) if checked.data else _raw_member(checked)
        status = RowStatus(checked.status)
        if status is RowStatus.VALID and prev is not None and _refused_as_is(prev, job.keys.get(checked.row)):
            continue  # the portal refused this very row: unchanged, it would be refused again
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


# A row that went through the portal stays done, whatever a later batch says; a skipped or
# retained row is judged again by the batch (an approval added, a 毕业去向 corrected).
DONE = frozenset({Status.submitted, Status.previewed})


# Refusals that only a change of the row (or of the portal's form) can get past. A branch or
# member the portal lacks, a path it lacks, are checked again by the preflight (two calls, no
# form): the portal may have been corrected since.
REFUSED_AS_IS = frozenset({"rejected", "field_mismatch"})


def _refused_as_is(prev, key_digest) -> bool:
    """Whether the row's last try ended in a refusal of its values, and the values are the same."""
    kind = prev.error.kind if prev.error else ""
    digest = key_digest[1] if key_digest else None
    refused = prev.status in (Status.invalid, Status.failed) and kind in REFUSED_AS_IS
    return refused and prev.digest is not None and prev.digest == digest


def _follow_notes(job: Job) -> list[str]:
    """What a corrected batch changed for rows the folder already knew."""
    view, notes = job.view, []
    if view is None:
        return notes
    names = {c.row: c.data.name for c in job.batch.rows if c.data is not None}
    done_edits = [row for row in view.edited_done if job.last[row].status == Status.submitted]
    if done_edits:
        shown = "、".join(f"第 {row} 行（{names.get(row, '')}）" for row in done_edits)
        notes.append(f"{shown}之前已提交，名单中的内容后来被修改：不会重新提交。"
                     "如需按新内容办理，请先在门户中撤销原申请，再用新的输出目录办理这些行。")
    if view.removed:
        sent = sum(1 for r in view.removed if r.status == Status.submitted)
        shown = "、".join(f"{r.member or '?'}（原第 {r.row} 行）" for r in view.removed[:20])
        more = "等" if len(view.removed) > 20 else ""
        notes.append(f"名单中已没有 {len(view.removed)} 名之前办理过的团员：{shown}{more}"
                     + (f"；其中 {sent} 名已提交的申请仍在门户中。" if sent else "。"))
    return notes


def _raw_member(checked) -> str | None:
    raw = getattr(checked, "raw", None) or {}
    value = raw.get("身份证号")
    return mask_id(str(value).strip()) if value not in (None, "") else None

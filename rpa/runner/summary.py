"""What the secretary sees of a run on the console: the progress bar, the rows that did not go
through as they happen, the summary table, and why a run stopped early (with its exit code).

Every text that comes from outside (a batch cell, the portal, a path) is escaped: it is printed
as text, never read as console markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.markup import escape

from rpa.errors import CaptchaRequired, RpaError, TransientError
from rpa.nextsteps import output_files
from rpa.runlog import FINAL_OK, STATUS_LABELS, RunRecord, Status, scrub
from rpa.runner.job import MODE_LABELS

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.runner.job import Job


class Progress:
    """The progress bar of a run, fed by the job's final records (`job.on_final`)."""

    def __init__(self, job: Job, total: int, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn, TimeRemainingColumn
        from rich.progress import Progress as RichProgress

        self.job = job
        self.counts: Counter = Counter()
        self.after_each: Callable[[], None] | None = None
        self._bar = RichProgress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
            TextColumn("{task.fields[counts]}"), TimeElapsedColumn(), TextColumn("剩余"), TimeRemainingColumn(),
            console=console, transient=False,
        )
        verb = "填写" if job.mode == "preview" else "提交"
        self._task = self._bar.add_task(f"{verb}中", total=total, counts=self._counts_text())

    def __enter__(self) -> Progress:
        self._bar.__enter__()
        self.job.on_final = self.row_done
        return self

    def __exit__(self, *exc: object) -> None:
        self.job.on_final = None
        self._bar.__exit__(*exc)

    def _counts_text(self) -> str:
        ok = sum(n for s, n in self.counts.items() if s in FINAL_OK)
        bad = sum(n for s, n in self.counts.items() if s not in FINAL_OK)
        return f"[green]成功 {ok}[/green] [red]未成功 {bad}[/red]"

    def row_done(self, rec: RunRecord) -> None:
        self.counts[rec.status] += 1
        self._bar.update(self._task, advance=1, counts=self._counts_text())
        if rec.status not in FINAL_OK:
            msg = rec.error.message if rec.error else ""
            self._bar.console.print(
                f"  第 {rec.row} 行 {escape(rec.member or '')}：[red]{STATUS_LABELS[rec.status]}[/red] {escape(msg)}"
            )
        if self.after_each is not None:
            self.after_each()


def stopped_by(job: Job, error: BaseException | None) -> int:
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


def print_summary(job: Job, console: Console) -> bool:
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
    for text in (job.stop_reason, *job.notes):
        if text:
            console.print(f"[yellow]{escape(text)}[/yellow]")
    for label, path in output_files(job.out):
        console.print(f"{label}：{escape(str(path))}")
    for message in job.locked_outputs.values():
        console.print(f"[yellow]注意：{escape(message)}[/yellow]")
    all_ok = all(c.row in last and last[c.row].status in FINAL_OK for c in job.batch.rows)
    if not all_ok:
        out = escape(str(job.out))
        console.print(f"查看需要处理的行：rpa status {out}")
        if counts[Status.invalid]:
            console.print(f"数据有误的行：在名单中改正后，用同一个输出目录再次运行 rpa {job.mode} 名单 --out {out}"
                          "（按身份证号对应，已完成的行不会重复办理）。")
        if any(counts[s] for s in (Status.failed, Status.duplicate, Status.in_doubt, Status.started,
                                   Status.filled, Status.submitting)) or counts[None]:
            console.print(f"重试未成功或未办理的行：rpa retry {out}（已提交的行不会重复提交）")
    return all_ok

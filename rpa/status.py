"""`rpa status DIR`: per-status counts and the rows that need a person, from run.jsonl alone."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rpa.errors import ConfigError
from rpa.runlog import (
    FINAL_OK,
    LOG_NAME,
    MAYBE_SENT,
    STATUS_LABELS,
    RunMeta,
    Status,
    last_states,
    read_records,
)

MODE_LABELS = {"preview": "试运行", "submit": "正式提交"}


def show_status(out: Path, console=None) -> int:
    """Print the counts and the rows needing attention; always exit 0 for a readable DIR."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console(highlight=False)
    out = Path(out)
    log_path = out / LOG_NAME
    if not log_path.exists():
        raise ConfigError(f"{str(out)!r} 不是运行输出目录（其中没有 {LOG_NAME}），请检查路径。")
    meta = RunMeta.load(out)
    last = last_states(read_records(log_path))
    counts = Counter(rec.status for rec in last.values())
    pending = _rows_not_reached(meta, last)

    if meta:
        console.print(
            f"名单：{Path(meta.batch_path).name}　方式：{MODE_LABELS.get(meta.mode, meta.mode)}　"
            f"开始于：{meta.started_at}　运行次数：{max(1, len(meta.runs))}"
        )
    table = Table(title="各状态行数", show_lines=False)
    table.add_column("状态")
    table.add_column("行数", justify="right")
    for status in Status:
        if counts[status]:
            style = "green" if status in FINAL_OK else "yellow" if status in MAYBE_SENT else "red"
            table.add_row(f"[{style}]{STATUS_LABELS[status]}[/{style}]", str(counts[status]))
    if pending:
        table.add_row("[yellow]未办理[/yellow]", str(len(pending)))
    table.add_row("[bold]合计[/bold]", f"[bold]{len(last) + len(pending)}[/bold]")
    console.print(table)

    need = [rec for _, rec in sorted(last.items()) if rec.status not in FINAL_OK]
    if pending:
        shown = "、".join(str(n) for n in pending[:30]) + ("……" if len(pending) > 30 else "")
        console.print(f"[yellow]尚未办理的行（{len(pending)}）：{shown}[/yellow]")
    if not need and not pending:
        console.print("[green]所有行都已完成，无需处理。[/green]")
        return 0
    if not need:
        console.print(f"下一步：运行 [bold]rpa retry {out}[/bold] 办理其余的行。")
        return 0
    rows = Table(title=f"需要处理的行（{len(need)}）")
    rows.add_column("行号", justify="right")
    rows.add_column("身份证号")
    rows.add_column("状态")
    rows.add_column("原因")
    for rec in need:
        rows.add_row(
            str(rec.row),
            rec.member or "",
            STATUS_LABELS[rec.status],
            rec.error.message if rec.error else "",
        )
    console.print(rows)
    console.print(
        f"下一步：改正名单中“数据有误”的行；其余行运行 [bold]rpa retry {out}[/bold]"
        "（已提交的行不会重复提交；提示需要验证码时先运行 [bold]rpa login[/bold]）。"
    )
    return 0


def _rows_not_reached(meta: RunMeta | None, last: dict) -> list[int]:
    """Rows of the batch with nothing logged yet (a run stopped early); [] if the batch is gone."""
    if meta is None:
        return []
    try:
        from rpa.batch import load_batch
        from rpa.runlog import file_sha256

        path = Path(meta.batch_path)
        if file_sha256(path) != meta.batch_sha256:
            return []
        return [c.row for c in load_batch(path).rows if c.row not in last]
    except Exception:  # noqa: BLE001 - status reads what it can; the log stays the truth
        return []

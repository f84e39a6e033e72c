"""`rpa status DIR`: how far a run got, which rows need a person and why, and what to do next.

Reads run.json, run.jsonl and the batch named in run.json; never takes the folder's lock and never
writes, so it can be run while a run is going. When the batch is gone, changed or unreadable, it
says so once and shows what the log has (no names, no rows not reached).

Every value from the batch or the log is printed as text (`rich.text.Text`), never as markup.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.errors import ConfigError
from rpa.nextsteps import PENDING, advice, needs_person, output_files
from rpa.rowview import PENDING_LABEL, RowView, build_views, views_from_log
from rpa.runlog import FINAL_OK, LOG_NAME, MAYBE_SENT, STATUS_LABELS, RunMeta, RunRecord, Status
from rpa.runlog import file_sha256, last_states, read_records

if TYPE_CHECKING:
    from rich.console import Console

MODE_LABELS = {"preview": "试运行", "submit": "正式提交"}
# Rows not reached are listed one by one up to this many; beyond it, as ranges of row numbers.
PENDING_LISTED = 20


def show_status(out: Path, console: Console | None = None) -> int:
    """Print the counts, every row not done with its reason, and the next steps; exit 0."""
    from rich.console import Console

    console = console or Console(highlight=False)
    out = Path(out)
    if not (out / LOG_NAME).exists():
        raise ConfigError(f"{str(out)!r} 不是运行输出目录（其中没有 {LOG_NAME}），请检查路径。")
    meta = RunMeta.load(out)
    records = read_records(out / LOG_NAME)
    last = last_states(records)
    views, unavailable = _views(meta, last, records)
    mode = meta.mode if meta else ""
    stop = _last_stop(meta)

    _print_heading(console, meta, unavailable, stop)
    _print_counts(console, views)
    need = [v for v in views if needs_person(v)]
    if need:
        _print_rows(console, need)
    else:
        console.print("[green]所有行都已完成，无需处理。[/green]")
    steps = advice(views, mode=mode, out=out, batch_name=Path(meta.batch_path).name if meta else "",
                   stop_kind=stop.get("kind", ""))
    if steps:
        console.print("[bold]下一步：[/bold]")
        for line in steps:
            console.print(_text("  · ", line), soft_wrap=True)
    files = output_files(out)
    if files:
        console.print("[bold]文件：[/bold]")
        for label, path in files:
            console.print(_text(f"  {label}：", str(path.resolve())), soft_wrap=True)
    return 0


def _views(meta: RunMeta | None, last: dict[int, RunRecord], records: list[RunRecord]) -> tuple[list[RowView], str]:
    """The rows joined with the batch, or the log's rows alone and why the batch can't be used."""
    alone = "以下只显示运行记录中的内容（没有姓名，也不含尚未办理的行）。"
    if meta is None:
        return views_from_log(last), f"输出目录中没有 run.json，不知道本次运行用的是哪份名单：{alone}"
    path = Path(meta.batch_path)
    try:
        if not path.is_file():
            return views_from_log(last), f"找不到本次运行所用的名单 {str(path)!r}（文件被移动或删除）：{alone}"
        if file_sha256(path) != meta.batch_sha256:
            return views_from_log(last), f"名单 {str(path)!r} 在运行后已被修改，行号可能已对不上：{alone}"
        from rpa.batch import load_batch
        from rpa.members import follow

        batch = load_batch(path)
        view = follow(records, batch, meta.member_salt, same_batch=True)  # (a corrected batch: by member)
        return build_views(batch, view.last, forms=view.forms), ""
    except Exception as exc:  # noqa: BLE001 - status reads what it can; the log stays the truth
        why = getattr(exc, "message", "") or type(exc).__name__
        return views_from_log(last), f"无法读取名单 {str(path)!r}（{why}）：{alone}"


def _last_stop(meta: RunMeta | None) -> dict[str, Any]:
    """Why the last run stopped early, if the run engine noted it in run.json (`runs[-1].stop`)."""
    stop = meta.runs[-1].get("stop") if meta and meta.runs else None
    return stop if isinstance(stop, dict) else {}


def _print_heading(console: Console, meta: RunMeta | None, unavailable: str, stop: dict[str, Any]) -> None:
    if meta:
        console.print(_text(
            "名单：", Path(meta.batch_path).name,
            f"　方式：{MODE_LABELS.get(meta.mode, meta.mode)}　开始于：{meta.started_at}　运行次数：{max(1, len(meta.runs))}",
        ), soft_wrap=True)
    if unavailable:
        console.print(_text("", unavailable, style="yellow"), soft_wrap=True)
    if stop.get("message"):
        console.print(_text("上次运行提前停止：", str(stop["message"]), style="yellow"), soft_wrap=True)


def _print_counts(console: Console, views: list[RowView]) -> None:
    from rich.table import Table

    counts = Counter(v.status for v in views)
    table = Table(title="各状态行数")
    table.add_column("状态")
    table.add_column("行数", justify="right")
    for status in Status:
        if counts[status.value]:
            style = "green" if status in FINAL_OK else "yellow" if status in MAYBE_SENT else "red"
            table.add_row(f"[{style}]{STATUS_LABELS[status]}[/{style}]", str(counts[status.value]))
    if counts[PENDING]:
        table.add_row(f"[yellow]{PENDING_LABEL}[/yellow]", str(counts[PENDING]))
    table.add_row("[bold]合计[/bold]", f"[bold]{len(views)}[/bold]")
    console.print(table)


def _print_rows(console: Console, need: list[RowView]) -> None:
    """Every row needing a person, with its name and reason; many rows not reached, as ranges."""
    from rich.table import Table
    from rich.text import Text

    pending = [v for v in need if v.status == PENDING]
    listed = [v for v in need if v.status != PENDING or len(pending) <= PENDING_LISTED]
    table = Table(title=f"需要处理的行（{len(need)}）")
    table.add_column("行号", justify="right")
    table.add_column("姓名", overflow="fold")
    table.add_column("身份证号", no_wrap=True)
    table.add_column("状态")
    table.add_column("原因", overflow="fold")  # never cut: the reason is what the secretary acts on
    for v in listed:
        table.add_row(str(v.row), Text(v.name or "—"), Text(v.member or "—"), Text(v.status_label),
                      Text("；".join(v.errors) if v.errors else v.reason))
    if len(pending) > PENDING_LISTED:
        table.add_row(Text(_ranges([v.row for v in pending])), Text(f"（共 {len(pending)} 行）"), "",
                      Text(PENDING_LABEL), Text(pending[0].reason))
    console.print(table)


def _ranges(rows: list[int]) -> str:
    """[3, 4, 5, 9] → "3–5、9"."""
    spans: list[list[int]] = []
    for n in sorted(rows):
        if spans and n == spans[-1][1] + 1:
            spans[-1][1] = n
        else:
            spans.append([n, n])
    return "、".join(str(a) if a == b else f"{a}–{b}" for a, b in spans)


def _text(prefix: str, value: str, rest: str = "", *, style: str = ""):
    """A console line whose `value` (from outside) is text, never markup."""
    from rich.text import Text

    return Text.assemble(prefix, value, rest, style=style)

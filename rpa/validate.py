"""`rpa validate BATCH [--out DIR] [--online]`: check every row before any browser opens.

Console: a count per status, then each problem (row, column, message). With `--out`:
`DIR/checked.xlsx` (the batch as read, plus a 校验结果 column; each bad cell filled red, the
first MAX_CELL_NOTES of them with the message as a note) and `DIR/validation.json`
(`[{row, status, errors: [{column, code, message}]}]`).
Exit 0 when every approved row is valid (or retained), 1 when some row is invalid; an unreadable
file raises BatchFileError, which the CLI turns into exit 2.

Full ID numbers never reach the console or validation.json; checked.xlsx keeps the batch as is.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from rpa.batch import Batch, CheckedRow, Col, RowError, RowStatus, load_batch, mask_id
from rpa.errors import ConfigError, OutputLocked
from rpa.files import atomic_output, private_dir, write_private_text

CHECKED_FILE = "checked.xlsx"
VALIDATION_FILE = "validation.json"
RESULT_HEADER = "校验结果"
# Beyond this many problems the console points to the files instead (a 10,000-row sheet with a
# wrong column would otherwise scroll for minutes).
CONSOLE_MAX_PROBLEMS = 50
NOT_ONLINE = ("[yellow]以上只核对了名单本身。转入组织路径、转出团支部、团员是否在该支部中，都还没有在门户中核对；"
              "如需在正式提交前核对，请运行 rpa validate {name} --online（会登录门户，只读取、不提交）。[/yellow]")
# checked.xlsx gives a bad cell a note (comment) with its message, for the first this many bad
# cells; the rest are red only, their messages being in the row's 校验结果 cell anyway. A note
# costs XlsxWriter ~0.13 ms: 2,500 of them were a third of a 10,000-row validation.
MAX_CELL_NOTES = 500

STATUS_LABELS = {
    RowStatus.VALID: "可办理",
    RowStatus.INVALID: "有误",
    RowStatus.SKIPPED: "跳过（未审批）",
    RowStatus.RETAINED: "保留在校（登记册）",
}
_ID_LIKE_RE = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")


def validate_command(batch_path: Path, out: Path | None, *, online: bool = False, console=None,
                     settings=None) -> int:
    """The body of `rpa validate`; returns the exit code (0 / 1)."""
    batch = load_batch(batch_path)
    if online:
        check_online(batch, settings)
    locked = None
    if out is not None:
        try:
            write_outputs(batch, Path(out))
        except OutputLocked as exc:  # checked.xlsx open in Excel: saved beside it, still a result
            locked = exc
    if console is not None:
        print_summary(batch, console, out=out, online=online)
        if locked is not None:
            from rich.markup import escape

            console.print(f"[yellow]注意：{escape(locked.message)}[/yellow]")
    return exit_code(batch)


def exit_code(batch: Batch) -> int:
    """0 when every approved row is valid or retained, else 1."""
    return 1 if any(r.status is RowStatus.INVALID for r in batch.rows) else 0


def check_online(batch: Batch, settings=None) -> None:
    """Check every valid row in the portal: its branch, its member in it, its target path; a
    problem makes the row invalid, reported under its column like any other."""
    from rpa.portal.online import check_rows_online  # only with --online: needs the browser side

    if settings is None:
        from rpa.config import load_settings

        settings = load_settings()
    valid = [r for r in batch.rows if r.status is RowStatus.VALID and r.data is not None]
    problems = check_rows_online(settings, [r.data for r in valid])
    for r in valid:
        for column, code, message in problems.get(r.row, []):
            r.errors.append(RowError(column, code, message))
        if r.row in problems:
            r.status = RowStatus.INVALID
            r.data = None


def safe_message(text: str) -> str:
    """A message with any ID-number-like run masked (belt and braces: rules never quote IDs)."""
    return _ID_LIKE_RE.sub(lambda m: mask_id(m.group(0)), text)


def validation_records(batch: Batch) -> list[dict[str, Any]]:
    """validation.json's content: one record per data row, in sheet order."""
    return [
        {
            "row": r.row,
            "status": r.status.value,
            "errors": [
                {"column": e.column, "code": e.code, "message": safe_message(e.message)} for e in r.errors
            ],
        }
        for r in batch.rows
    ]


def validation_json(batch: Batch) -> str:
    """validation.json as text: a JSON array, one row's record per line."""
    lines = ",\n".join(json.dumps(rec, ensure_ascii=False) for rec in validation_records(batch))
    return f"[\n{lines}\n]\n" if lines else "[]\n"


def write_outputs(batch: Batch, out: Path) -> None:
    """DIR/checked.xlsx and DIR/validation.json, each atomically and with mode 0600."""
    try:
        private_dir(out)
        write_private_text(out / VALIDATION_FILE, validation_json(batch))
        write_checked(batch, out / CHECKED_FILE)
    except OSError as exc:
        raise ConfigError(f"无法写入输出目录 {str(out)!r}：{exc.strerror or exc}。请检查路径和权限。") from None


def result_text(r: CheckedRow) -> str:
    """The 校验结果 cell of one row."""
    problems = "；".join(f"{e.column}：{e.message}" for e in r.errors)
    if r.status is RowStatus.VALID:
        return "通过"
    if r.status is RowStatus.RETAINED:
        return "保留在校：不在系统中转出，登记入保留团组织关系登记册"
    if r.status is RowStatus.SKIPPED:
        text = f"跳过：审核状态不是“已审批”（现在是“{_approval(r)}”）"
        return text + (f"。另有问题——{problems}" if problems else "")
    return "有误——" + problems


def _approval(r: CheckedRow) -> str:
    value = r.raw.get(Col.APPROVAL.value)
    return "" if value is None else str(value).strip()


def write_checked(batch: Batch, path: Path) -> None:
    """The batch as read with a 校验结果 column; bad cells red with the message as a comment."""
    from rpa.xlsx import GREEN, RED, write_batch_copy

    positions = {col.value: pos for col, pos in batch.columns.items()}
    notes = MAX_CELL_NOTES

    def marks(r: CheckedRow) -> dict[int, tuple[dict, str | None]]:
        nonlocal notes
        by_pos: dict[int, list[str]] = {}
        for e in r.errors:
            pos = positions.get(e.column)
            if pos is not None:
                by_pos.setdefault(pos, []).append(e.message)
        marked = {}
        for pos, messages in by_pos.items():
            marked[pos] = (RED, "\n".join(messages) if notes > 0 else None)
            notes -= 1
        return marked

    def result(r: CheckedRow) -> list[tuple[str, dict | None]]:
        style = RED if r.status is RowStatus.INVALID else GREEN if r.status is RowStatus.VALID else None
        return [(result_text(r), style)]

    with atomic_output(path) as tmp:
        write_batch_copy(tmp, batch, [(RESULT_HEADER, 60)], result, marks)


def print_summary(batch: Batch, console, *, out: Path | None = None, online: bool = False) -> None:
    """Counts per status, then each problem: row, column, message (IDs masked)."""
    from rich.markup import escape
    from rich.table import Table
    from rich.text import Text

    # Every value from the batch or the file system is printed as text, never as markup.
    counts = batch.counts()
    console.print(f"[bold]名单校验：{escape(batch.path.name)}[/bold]"
                  f"（工作表“{escape(batch.sheet_name)}”，表头在第 {batch.header_row} 行）")
    table = Table()
    table.add_column("状态")
    table.add_column("行数", justify="right")
    for status in (RowStatus.VALID, RowStatus.RETAINED, RowStatus.SKIPPED, RowStatus.INVALID):
        style = "red" if status is RowStatus.INVALID and counts[status] else None
        table.add_row(STATUS_LABELS[status], str(counts[status]), style=style)
    table.add_row("合计", str(len(batch.rows)), style="bold")
    console.print(table)

    problems: list[tuple[str, str, str]] = []
    for r in batch.rows:
        if r.status is RowStatus.SKIPPED:
            problems.append((str(r.row), Col.APPROVAL.value, safe_message(f"审核状态不是“已审批”（现在是“{_approval(r)}”），本行跳过。")))
        elif r.status is RowStatus.INVALID:
            problems.extend((str(r.row), e.column, safe_message(e.message)) for e in r.errors)
    if problems:
        shown = problems[:CONSOLE_MAX_PROBLEMS]
        detail = Table(title="需要处理的行")
        detail.add_column("行", justify="right", no_wrap=True)
        detail.add_column("列", no_wrap=True)
        detail.add_column("问题", overflow="fold")
        for row in shown:
            detail.add_row(*map(Text, row))
        console.print(detail)
        if len(problems) > len(shown):
            console.print(f"……另有 {len(problems) - len(shown)} 条，见 {VALIDATION_FILE} 和 {CHECKED_FILE}（--out 目录）。")

    invalid = counts[RowStatus.INVALID]
    if invalid:
        console.print(f"[red]有 {invalid} 行需要修改：请按上表改正名单后重新校验。[/red]")
    else:
        console.print("[green]所有已审批的行都通过了校验。[/green]")
    if not online and counts[RowStatus.VALID]:
        console.print(NOT_ONLINE.format(name=escape(batch.path.name)))
    if out is not None:
        console.print(Text(f"已写出 {Path(out) / CHECKED_FILE} 和 {Path(out) / VALIDATION_FILE}。"))

"""`results.xlsx`: the secretary's own batch, unchanged, plus the columns 状态, 申请时间, 说明.

The batch as read (title rows, header, every row by position) is written again with the three
columns added right of its widest row. Full ID numbers are allowed here (SPEC §5). Every cell
goes through `rpa.xlsx`'s text-safe helpers, so a hostile cell can't become a formula.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from rpa.files import atomic_output
from rpa.runlog import FINAL_NOT_OK, FINAL_OK, RunRecord, Status

RESULT_HEADERS = ("状态", "申请时间", "说明")



def explain(record: RunRecord | None) -> str:
    """The 说明 text of a row: what happened, and what to do when it is not done."""
    if record is None:
        return "尚未办理（运行在此行之前停止），请运行 rpa retry 继续。"
    status = record.status
    msg = record.error.message if record.error else ""
    if status == Status.submitted:
        return "已提交转出申请，等待转出组织审批。"
    if status == Status.previewed:
        return "试运行：表单已填写并截图，未提交。"
    if status == Status.retained:
        return "不提交转出，已列入保留团组织关系登记册（register.xlsx）。"
    if status == Status.skipped:
        return msg or "审核状态不是“已审批”，本行未办理。"
    if status == Status.invalid:
        return (msg or "本行数据有误。") + " 请改正名单后用新的输出目录重新运行。"
    if status == Status.duplicate:
        return "门户提示：已有业务正在办理，不能重复发起。请在门户中查看该团员已有的转接申请。"
    if status == Status.failed:
        return (msg or "办理失败。") + " 可运行 rpa retry 重试；多次失败请人工在门户中核对。"
    if status in (Status.in_doubt, Status.submitting):
        return "已点击提交但未收到门户答复，下次运行会先在门户历史中核对，绝不重复提交。" + (
            f"（{msg}）" if msg else ""
        )
    return "办理未完成，请运行 rpa retry 继续。"


def write_results(
    batch_path: Path,
    batch: Any,
    last: Mapping[int, RunRecord],
    out_path: Path,
) -> Path:
    """Write results.xlsx atomically (mode 0600) and return its path.

    Built from the batch as read (title rows, header, every row by position) like the batch
    reader's checked.xlsx, through `rpa.xlsx`'s text-safe cells.
    """
    from rpa.xlsx import GREEN, RED, YELLOW, write_batch_copy

    fills = {"ok": GREEN, "bad": RED, "pending": YELLOW}

    def columns(checked) -> list[tuple[Any, dict | None]]:
        record = last.get(checked.row)
        if record is None:
            label, tone = "未办理", "pending"
        else:
            label = record.status.label
            tone = "ok" if record.status in FINAL_OK else "bad" if record.status in FINAL_NOT_OK else "pending"
        return [(label, fills[tone]), (record.created_at if record else None, None), (explain(record), None)]

    with atomic_output(out_path) as tmp:
        write_batch_copy(tmp, batch, list(zip(RESULT_HEADERS, (18, 22, 60))), columns)
    return out_path

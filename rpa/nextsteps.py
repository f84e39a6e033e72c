"""What the secretary should do next, and where a run's files are: shared by report.html and
`rpa status`, so both give the same advice.

    row_step(status, kind)             one row: what its state means, what to do about it
    retry_helps(status, kind)          would `rpa retry` help this row?
    advice(rows, mode=…, out=…)        the whole run: only the steps that apply, [] when none do
    output_files(out)                  the files a run left in DIR, with their Chinese names

Every line is plain text (no console markup, no HTML): the caller escapes it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Protocol

from rpa.errors import BusinessError, DuplicateApplication, SessionExpired
from rpa.runlog import FINAL_OK, MAYBE_SENT, Status

PENDING = "pending"  # no record yet (the row was not reached)
ROWS_SHOWN = 10  # row numbers listed in one advice line before "等"


def _kinds(cls: type) -> frozenset[str]:
    """The `kind` of an error class and of every subclass."""
    return frozenset({cls.kind}).union(*(_kinds(sub) for sub in cls.__subclasses__()))


# A failed row with one of these will fail the same way again: a person must look.
BUSINESS_KINDS = _kinds(BusinessError) - {DuplicateApplication.kind}
# The portal wanted a captcha or a new sign-in: `rpa login` first.
SIGN_IN_KINDS = _kinds(SessionExpired)
_OK = frozenset(s.value for s in FINAL_OK)
_MAYBE_SENT = frozenset(s.value for s in MAYBE_SENT)


class RowState(Protocol):
    """What advice needs of a row (a `RowView` has it)."""

    row: int
    status: str  # a Status value, or "pending"
    error_kind: str


def row_step(status: str, kind: str = "", message: str = "", *, finished: bool = True) -> str:
    """What a row's state means for the secretary, in one sentence."""
    if status == Status.submitted.value:
        return "已提交转出申请，等待转出组织审批。"
    if status == Status.previewed.value:
        return "试运行：表单已填写并截图，未提交。"
    if status == Status.retained.value:
        return "不提交转出，已列入保留团组织关系登记册（register.xlsx）。"
    if status == Status.skipped.value:
        return message or "审核状态不是“已审批”，本行未办理。"
    if status == Status.invalid.value:
        return "请在名单中改正后，用同一个输出目录再次运行（已完成的行不会重复办理）；不改正时原样重试会以同样的原因失败。"
    if status == Status.duplicate.value:
        return "该团员在门户中已有申请在办理（见原因）：请在门户“组织关系审批”中核实；如需改办，先撤销那份申请再运行 rpa retry。"
    if kind in SIGN_IN_KINDS:
        return "请先运行 rpa login 登录，再运行 rpa retry 继续。"
    if status in _MAYBE_SENT:
        return "运行 rpa retry 时会先在门户历史中核对，绝不重复提交。"
    if status == Status.failed.value and kind in BUSINESS_KINDS:
        return "请核对名单或门户中的数据；原样重试会以同样的原因失败。"
    if status == Status.failed.value:
        return "可运行 rpa retry 重试；多次失败请在门户中人工核对。"
    if not finished and status == PENDING:
        return "尚未轮到此行。"
    if not finished and status in (Status.started.value, Status.filled.value):
        return "正在办理此行（若运行已中断，请运行 rpa retry 继续）。"
    return "办理未完成，请运行 rpa retry 继续。"


def needs_person(row: RowState, *, finished: bool = True) -> bool:
    """Is this row waiting for the secretary (not just for its turn in a run still going)?"""
    if row.status in _OK:
        return False
    if not finished and row.status in (PENDING, Status.started.value, Status.filled.value):
        return False
    return True


def retry_helps(status: str, kind: str = "") -> bool:
    """Would `rpa retry` help a row in `status` (last error `kind`)? Not when it is done, and not
    when it is wrong in a way a retry repeats (数据有误, a business error, an open application)."""
    if status in _OK or status in (Status.invalid.value, Status.duplicate.value):
        return False
    return not (status == Status.failed.value and kind in BUSINESS_KINDS)


def advice(
    rows: Sequence[RowState],
    *,
    mode: str,
    out: Path | str,
    batch_name: str = "",
    finished: bool = True,
    stop_kind: str = "",
) -> list[str]:
    """The next steps that apply to this run, most urgent first; [] when nothing is left to do.

    `stop_kind` is the error kind the run as a whole stopped on, when known."""
    lines: list[str] = []
    if not finished:
        waiting = [r for r in rows if r.status in (PENDING, Status.started.value, Status.filled.value)]
        if waiting:
            lines.append(f"运行尚未结束或已中断：还有 {len(waiting)} 行未办理完。运行结束后再看本报告；"
                         f"若运行已中断，运行 rpa retry {out} 继续。")
    elif stop_kind in SIGN_IN_KINDS or any(r.error_kind in SIGN_IN_KINDS and r.status not in _OK for r in rows):
        lines.append(f"门户要求输入验证码或登录已超时：请先运行 rpa login 登录，再运行 rpa retry {out} 继续。")
    if finished:
        again = [r for r in rows if retry_helps(r.status, r.error_kind)]
        if again:
            kept = "已预览的行不会重复填写" if mode == "preview" else "已提交的行不会重复提交"
            if any(r.status in _MAYBE_SENT for r in again):
                kept += "；待核实的行会先在门户历史中核对"
            lines.append(f"运行 rpa retry {out} 办理其余 {len(again)} 行（{_rows(again)}）。{kept}。")
    elif any(r.status in _MAYBE_SENT for r in rows):
        maybe = [r for r in rows if r.status in _MAYBE_SENT]
        lines.append(f"{len(maybe)} 行已点击提交但未收到答复（{_rows(maybe)}）：下次运行会先在门户历史中核对，绝不重复提交。")
    invalid = [r for r in rows if r.status == Status.invalid.value]
    if invalid:
        verb = "rpa preview" if mode == "preview" else "rpa submit"
        fix = (f"请按原因在名单中改正这些行，再用同一个输出目录运行 {verb} 名单 --out {out}"
               "（工具按身份证号对应，已完成的行不会重复办理）")
        lines.append(f"{len(invalid)} 行数据有误（{_rows(invalid)}）：{fix}；原样重试会以同样的原因失败。")
    refused = [r for r in rows if r.status == Status.failed.value and r.error_kind in BUSINESS_KINDS]
    if refused:
        lines.append(f"{len(refused)} 行门户不接受（{_rows(refused)}，原因见各行）：请核对名单中的团支部、转入组织等"
                     "信息或门户中的数据；原样重试会以同样的原因失败。")
    duplicate = [r for r in rows if r.status == Status.duplicate.value]
    if duplicate:
        lines.append(f"{len(duplicate)} 行门户提示已有业务在办理（{_rows(duplicate)}）：请在门户“组织关系审批”"
                     f"中核实这些团员已有的申请；如需改办，先在门户中撤销，再运行 rpa retry {out}。")
    if mode == "preview" and finished and rows and all(r.status in _OK for r in rows):
        batch = batch_name or "名单文件"
        lines.append(f"试运行全部完成：核对表单回读和截图无误后，运行 rpa submit {batch} --out 新的输出目录 正式提交。")
    return lines


def _rows(rows: Iterable[RowState]) -> str:
    numbers = [str(r.row) for r in rows]
    shown = "、".join(numbers[:ROWS_SHOWN])
    return f"第 {shown}{' 等' if len(numbers) > ROWS_SHOWN else ' '}行"


OUTPUT_NAMES = (
    ("报告", "report.html"),
    ("结果表", "results.xlsx"),
    ("保留团组织关系登记册", "register.xlsx"),
    ("截图", "screenshots"),
    ("运行记录", "run.jsonl"),
)


def output_files(out: Path) -> list[tuple[str, Path]]:
    """The outputs that exist in `out`, with their Chinese names (an empty folder is left out)."""
    found = []
    for label, name in OUTPUT_NAMES:
        path = Path(out) / name
        if path.is_file() or (path.is_dir() and any(path.iterdir())):
            found.append((label, path))
    return found

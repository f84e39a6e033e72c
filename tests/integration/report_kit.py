"""A run folder as the run engine leaves it, written by hand for the report and status tests (no
tests in this file): a real batch (`rpa.demo.write_batch`), run.json, and run.jsonl with the
records a run writes — so a test can set up any mix of row states without a portal.
"""

from __future__ import annotations

from pathlib import Path

from batchmaker import ABROAD, ARMY, SANXIA, STREET, make_id, masked
from rpa.demo import plan_rows, write_batch
from rpa.runlog import LOG_NAME, ErrorInfo, RunLog, RunMeta, RunRecord, Status, file_sha256, now_iso

BRANCH = "计算机与信息学院2021级计算机科学与技术1班团支部"
NAMES = ["张伟", "<script>alert(1)</script>", "王[/]", "李娜", "刘洋", "陈静", "[bold]杨帆", "赵磊"]
MEMBERS = [{"name": name, "id_number": make_id(seq=f"{i + 101:03d}"), "phone": f"1390000{i:04d}", "branch": BRANCH}
           for i, name in enumerate(NAMES)]
EMPLOYER = {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否",
            "转入组织": "中央企业团工委/国家电网有限公司团委/国网山东省电力公司团委",
            "转入单位名称": "国网山东省电力公司", "转入单位地址": "山东省济南市市中区经二路150号"}
# One row of each kind; the batch's rows are sheet rows 3.. (a title row, then the header).
PLAN = [
    SANXIA,                                  # 3
    EMPLOYER,                                # 4
    ARMY,                                    # 5
    ABROAD,                                  # 6: retained
    {**ARMY, "审核状态": "待审批"},          # 7: skipped
    {**ARMY, "手机号": "1380000"},           # 8: invalid (phone too short)
    STREET,                                  # 9
    ARMY,                                    # 10
]
ROWS = list(range(3, 3 + len(PLAN)))
# What the portal's form showed for row 3 after filling: 转出团支部管理员 is a field only the
# portal fills, so seeing it proves the report shows the form, not the batch.
FORM_ROW_3 = {
    "转出人姓名": NAMES[0], "转出人身份证号码": masked(MEMBERS[0]["id_number"]), "转出人手机号": MEMBERS[0]["phone"],
    "转出团支部": BRANCH, "转出团支部管理员": "史娜", "转入组织是否属于北京/广东/福建": "否", "转出原因": "升学",
    "升学类型": "普通高校", "申请转入组织": "团湖北省委 / 三峡大学团委", "备注": "",
}


def write_batch_file(folder: Path) -> Path:
    return write_batch(folder / "名单.xlsx", plan_rows(MEMBERS, PLAN))


def record(row: int, status: Status, *, kind: str = "", message: str = "", **extra) -> RunRecord:
    """A run.jsonl record of row `row` (the member masked as the run engine writes it)."""
    error = ErrorInfo(kind=kind, message=message) if kind else None
    return RunRecord(ts=now_iso(), row=row, status=status, attempt=extra.pop("attempt", 1), error=error,
                     member=masked(MEMBERS[row - 3]["id_number"]), **extra)


def write_run(folder: Path, records: list[RunRecord], *, mode: str = "preview", batch: Path | None = None) -> Path:
    """An output folder `folder/out` holding run.json and run.jsonl for the batch."""
    batch = batch or write_batch_file(folder)
    out = folder / "out"
    (out / "screenshots").mkdir(parents=True, exist_ok=True)
    RunMeta(batch_path=str(batch), batch_sha256=file_sha256(batch), mode=mode, started_at=now_iso(),
            runs=[{"started_at": now_iso(), "resumed": False}]).save(out)
    with RunLog(out / LOG_NAME) as log:
        for rec in records:
            log.append(rec)
    return out


def mixed_run(mode: str) -> list[RunRecord]:
    """Every kind of row: done (3 with a read-back, 4 without), failed, retained, skipped, invalid,
    not reached (9), and a last row that failed for good (preview) or is in doubt (submit)."""
    done = Status.previewed if mode == "preview" else Status.submitted
    shot = {"screenshot": "screenshots/row-{}.png"}
    recs = [
        record(6, Status.retained, attempt=0),
        record(7, Status.skipped, kind="not_approved", message="审核状态不是“已审批”，本行未办理。", attempt=0),
        record(8, Status.invalid, kind="phone_format", message="“手机号”应为 11 位手机号（1 开头，如 13812345678）：请核对后重新填写。",
               attempt=0),
        record(3, Status.started),
    ]
    if mode == "submit":
        recs.append(record(3, Status.filled, form=FORM_ROW_3, screenshot=shot["screenshot"].format(3)))
        recs.append(record(3, Status.submitting))
        recs.append(record(3, done, screenshot=shot["screenshot"].format(3), created_at="2025-07-01 10:00:00"))
    else:
        recs.append(record(3, done, form=FORM_ROW_3, screenshot=shot["screenshot"].format(3)))
    recs += [
        record(4, Status.started), record(4, done, screenshot=shot["screenshot"].format(4)),
        record(5, Status.started),
        record(5, Status.failed, kind="busy", message="门户繁忙（系统繁忙，请稍后再试），已重试 4 次。",
               screenshot=shot["screenshot"].format(5)),
        record(10, Status.started),
    ]
    if mode == "submit":
        recs.append(record(10, Status.in_doubt, kind="answer_lost", message="提交后未收到门户答复。",
                           screenshot=shot["screenshot"].format(10)))
    else:
        recs.append(record(10, Status.failed, kind="org_not_found", message="在“团山东省委”下找不到“团德州市委”。",
                           screenshot=shot["screenshot"].format(10)))
    return recs

"""report.html and results.xlsx from a real batch file and a run log's last states."""

from __future__ import annotations

import stat

from openpyxl import load_workbook

from rpa.batch import load_batch
from rpa.demo import plan_rows, write_batch
from rpa.report import build_views, write_report
from rpa.results import RESULT_HEADERS, write_results
from rpa.runlog import ErrorInfo, RunRecord, Status, mask_id, now_iso

MEMBERS = [
    {"name": "<script>alert(1)</script>", "id_number": "370112200307135585", "phone": "17265571066",
     "branch": "计算机与信息学院2021级计算机科学与技术1班团支部"},
    {"name": "史娜", "id_number": "37030320020828589X", "phone": "13335937536",
     "branch": "计算机与信息学院2021级计算机科学与技术1班团支部"},
    {"name": "@SUM(A1)", "id_number": "370502200006069368", "phone": "15176825640",
     "branch": "计算机与信息学院2021级计算机科学与技术1班团支部"},
]
PLAN = [
    {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否"},
    {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委",
     "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号"},
    {"毕业去向": "未落实（保留在校）"},
]


def _batch(tmp_path):
    path = write_batch(tmp_path / "batch.xlsx", plan_rows(MEMBERS, PLAN))
    return path, load_batch(path)


def _last(batch):
    rows = [c.row for c in batch.rows]
    return {
        rows[0]: RunRecord(ts=now_iso(), row=rows[0], status=Status.submitted, attempt=1,
                           member=mask_id(MEMBERS[0]["id_number"]), screenshot=f"screenshots/row-{rows[0]}.png",
                           created_at="2025-07-01 10:00:00"),
        rows[1]: RunRecord(ts=now_iso(), row=rows[1], status=Status.failed, attempt=4,
                           member=mask_id(MEMBERS[1]["id_number"]),
                           error=ErrorInfo(kind="busy", message="系统繁忙，请稍后再试")),
        rows[2]: RunRecord(ts=now_iso(), row=rows[2], status=Status.retained, attempt=0,
                           member=mask_id(MEMBERS[2]["id_number"])),
    }


def test_the_report_shows_a_script_name_as_text_and_no_full_id_number(tmp_path):
    path, batch = _batch(tmp_path)
    report = write_report(tmp_path, build_views(batch, _last(batch)), mode="submit", batch_name=path.name)
    html = report.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for m in MEMBERS:
        assert m["id_number"] not in html
    assert "3701**********5585" in html
    assert "已提交" in html and "失败" in html and "系统繁忙" in html
    assert 'src="screenshots/row-3.png"' in html
    assert stat.S_IMODE(report.stat().st_mode) == 0o600


def test_results_xlsx_is_the_batch_plus_status_time_and_explanation_columns(tmp_path):
    path, batch = _batch(tmp_path)
    out = write_results(path, batch, _last(batch), tmp_path / "results.xlsx")
    ws = load_workbook(out).active
    header = [c.value for c in ws[batch.header_row]]
    assert header[-3:] == list(RESULT_HEADERS)
    assert header[: len(batch.headers)] == batch.headers
    status_col = header.index("状态") + 1
    by_row = {c.row: ws.cell(row=c.row, column=status_col).value for c in batch.rows}
    assert list(by_row.values()) == ["已提交", "失败", "保留在校（已入登记册）"]
    # Full ID numbers are allowed (and expected) here; a formula-like name stays text.
    id_col = header.index("身份证号") + 1
    assert ws.cell(row=batch.rows[1].row, column=id_col).value == MEMBERS[1]["id_number"]
    name_cell = ws.cell(row=batch.rows[2].row, column=1)
    assert name_cell.data_type == "s" and name_cell.value == "@SUM(A1)" and name_cell.quotePrefix
    assert ws.cell(row=batch.rows[0].row, column=status_col + 1).value == "2025-07-01 10:00:00"
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_a_row_not_reached_yet_is_reported_as_not_done(tmp_path):
    path, batch = _batch(tmp_path)
    views = build_views(batch, {})
    assert {v.status_label for v in views} == {"未办理"}
    html = write_report(tmp_path, views, mode="preview", batch_name=path.name, finished=False).read_text()
    assert "运行未结束或已中断" in html

"""`rpa validate`: validation.json row by row, checked.xlsx, the console, exit codes."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from rich.console import Console

from rpa.batch import load_batch
from rpa.validate import validate_command

from test_batch_kit import HEADERS, good_row, make_id, member

RPA = Path(sys.executable).with_name("rpa")
FLAG = "转入组织是否属于北京/广东/福建"


def messy_batch(path: Path) -> Path:
    """A title row, shuffled columns, extra columns, a hidden first sheet and a second sheet."""
    wb = Workbook()
    old = wb.active
    old.title = "去年名单"
    old.append(HEADERS)
    old.append([good_row().get(h) for h in HEADERS])
    old.sheet_state = "hidden"
    ws = wb.create_sheet("2021届")
    wb.create_sheet("统计").append(["合计", 8])
    headers = ["序号", "审核状态", "毕业去向", " 姓名 ", "转入组织", "身份证号", "学院", "手机号", "常用联系人联系方式",
               "转出团支部", "转入组织是否属于北京／广东／福建", "转入省份", "境外学习地点", "境外学习期限", "境内联系人",
               "境内联系人电话", "备注", "转入单位名称", "转入单位地址"]
    ws.append(["德州学院2021届毕业生团组织关系转接名单"])
    ws.append(headers)
    dup = member(3)
    rows = [
        good_row(身份证号=member(1)),                                                     # 3 valid
        good_row(身份证号=member(2), 手机号="138123"),                                     # 4 invalid phone
        good_row(身份证号=dup, 毕业去向="参军入伍", 转入组织=None),                          # 5 valid
        good_row(身份证号=dup),                                                           # 6 duplicate of 5
        good_row(身份证号=member(4), 审核状态="待审批"),                                     # 7 skipped
        good_row(身份证号=member(5), 毕业去向="出国(境)留学", 境外学习地点="日本东京", 境外学习期限="两年",
                 境内联系人="李母", 境内联系人电话="13700000000"),                          # 8 retained
        good_row(身份证号=member(6), 毕业去向="升学",
                 转入组织="团山东省委/团德州市委/新湖街道团工委/新湖街道青年之家"),               # 9 invalid target
        good_row(身份证号=371402200001011234, 备注="=HYPERLINK(\"http://evil\")"),          # 10 numeric ID
    ]
    for n, r in enumerate(rows, start=1):
        r = {**r, "序号": n, "学院": "计算机学院", " 姓名 ": r["姓名"], "转入组织是否属于北京／广东／福建": r[FLAG]}
        ws.append([r.get(h) for h in headers])
    # the hostile remark must be a *text* cell in the input too
    ws.cell(row=10, column=headers.index("备注") + 1).data_type = "s"
    wb.save(path)
    return path


EXPECTED = [
    (3, "valid", []),
    (4, "invalid", [("手机号", "phone_format")]),
    (5, "valid", []),
    (6, "invalid", [("身份证号", "duplicate_member")]),
    (7, "skipped", []),
    (8, "retained", []),
    (9, "invalid", [("转入组织", "target_grassroots_for_study")]),
    (10, "invalid", [("身份证号", "id_numeric")]),
]


def run(batch: Path, out: Path | None) -> tuple[int, str]:
    buf = io.StringIO()
    code = validate_command(batch, out, console=Console(file=buf, width=200, color_system=None))
    return code, buf.getvalue()


def test_a_messy_batch_is_checked_row_by_row(tmp_path):
    code, _ = run(messy_batch(tmp_path / "messy.xlsx"), tmp_path / "out")
    records = json.loads((tmp_path / "out" / "validation.json").read_text(encoding="utf-8"))
    got = [(r["row"], r["status"], [(e["column"], e["code"]) for e in r["errors"]]) for r in records]
    assert got == EXPECTED
    assert code == 1
    assert all(e["message"] for r in records for e in r["errors"])


def test_checked_xlsx_marks_each_bad_cell_red_with_a_comment(tmp_path):
    run(messy_batch(tmp_path / "messy.xlsx"), tmp_path / "out")
    ws = load_workbook(tmp_path / "out" / "checked.xlsx").active
    header = [c.value for c in ws[2]]
    assert ws.title == "2021届" and ws["A1"].value == "德州学院2021届毕业生团组织关系转接名单"
    assert header[-1] == "校验结果" and header[6] == "学院"
    phone = ws.cell(row=4, column=header.index("手机号") + 1)
    assert phone.value == "138123" and phone.fill.fill_type == "solid" and "11 位手机号" in phone.comment.text
    assert ws.cell(row=3, column=header.index("手机号") + 1).comment is None
    results = {r: ws.cell(row=r, column=len(header)).value for r in range(3, 11)}
    assert results[3] == "通过" and results[4].startswith("有误") and results[7].startswith("跳过")
    assert results[8].startswith("保留在校")


def test_a_formula_like_string_is_written_back_as_text(tmp_path):
    run(messy_batch(tmp_path / "messy.xlsx"), tmp_path / "out")
    ws = load_workbook(tmp_path / "out" / "checked.xlsx").active
    remark = ws.cell(row=10, column=17)
    assert remark.value == '=HYPERLINK("http://evil")' and remark.data_type == "s"


def test_output_files_are_private(tmp_path):
    run(messy_batch(tmp_path / "messy.xlsx"), tmp_path / "out")
    for name in ("checked.xlsx", "validation.json"):
        assert stat.S_IMODE(os.stat(tmp_path / "out" / name).st_mode) == 0o600
    assert not [p for p in (tmp_path / "out").iterdir() if p.name.endswith(".part")]


def test_the_console_lists_counts_and_each_problem_without_full_ids(tmp_path):
    bad = make_id()[:17] + ("0" if make_id()[17] != "0" else "1")
    batch = Path(tmp_path / "b.xlsx")
    from test_batch_kit import write_batch

    write_batch(batch, [good_row(身份证号=bad), good_row(身份证号=member(9), 审核状态="未审批")])
    code, text = run(batch, None)
    assert code == 1
    assert "有误" in text and "跳过" in text and "校验码" in text and "未审批" in text
    assert bad not in text and bad[:10] not in text


def test_all_valid_exits_0_and_writes_nothing_without_out(tmp_path):
    from test_batch_kit import write_batch

    batch = write_batch(tmp_path / "b.xlsx", [good_row(), good_row(身份证号=member(1), 审核状态="待审批")])
    code, text = run(batch, None)
    assert code == 0 and "通过了校验" in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b.xlsx"]


def test_validation_json_never_holds_a_full_id(tmp_path):
    run(messy_batch(tmp_path / "messy.xlsx"), tmp_path / "out")
    text = (tmp_path / "out" / "validation.json").read_text(encoding="utf-8")
    for n in range(1, 7):
        assert member(n) not in text


def test_offline_validate_never_imports_the_portal_side(tmp_path):
    from test_batch_kit import write_batch

    batch = write_batch(tmp_path / "b.xlsx", [good_row()])
    code = (
        "import sys; from pathlib import Path; from rpa.validate import validate_command;"
        f"validate_command(Path({str(batch)!r}), None);"
        "bad = [m for m in sys.modules if m.startswith(('rpa.portal.orgtree', 'playwright'))];"
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the real command, in a subprocess ------------------------------------------------------

def rpa(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run([str(RPA), *args], capture_output=True, text=True, env=env, timeout=60)


def test_cli_exits_0_when_every_approved_row_is_valid(tmp_path):
    from test_batch_kit import write_batch

    batch = write_batch(tmp_path / "b.xlsx", [good_row()])
    result = rpa("validate", str(batch), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "可办理" in result.stdout and "Traceback" not in result.stderr
    assert (tmp_path / "out" / "checked.xlsx").exists()


def test_cli_exits_1_with_the_chinese_message_when_a_row_is_invalid(tmp_path):
    result = rpa("validate", str(messy_batch(tmp_path / "messy.xlsx")))
    assert result.returncode == 1
    assert "11 位手机号" in result.stdout and "第 5 行是同一名团员" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("content, message", [
    (b"name,id\n", "不是 Excel 工作簿"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, ".xls"),
])
def test_cli_exits_2_on_an_unreadable_file(tmp_path, content, message):
    batch = tmp_path / "b.xlsx"
    batch.write_bytes(content)
    result = rpa("validate", str(batch), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert message in result.stdout + result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_cli_exits_2_on_missing_headers_naming_them(tmp_path):
    from test_batch_kit import write_batch

    batch = write_batch(tmp_path / "b.xlsx", [good_row()], headers=[h for h in HEADERS if h != "转出团支部"])
    result = rpa("validate", str(batch))
    assert result.returncode == 2 and "转出团支部" in result.stdout and "Traceback" not in result.stderr


def test_dates_in_the_batch_are_written_back_as_dates(tmp_path):
    from test_batch_kit import write_batch

    batch = write_batch(tmp_path / "b.xlsx", [good_row(姓名=dt.datetime(2021, 6, 1))])
    code, _ = run(batch, tmp_path / "out")
    ws = load_workbook(tmp_path / "out" / "checked.xlsx").active
    assert code == 1 and ws["A2"].value == dt.datetime(2021, 6, 1) and ws["A2"].comment is not None
    assert load_batch(batch).rows[0].errors[0].code == "date_in_text"


# --- console output is text, never markup ---------------------------------------------------

MARKUP = ["王[/]", "[bold red]X[", "[link=file:///etc/passwd]x[/link]"]


def test_markup_in_cells_and_file_names_is_printed_literally(tmp_path):
    from test_batch_kit import write_batch

    folder = tmp_path / "[bold]out"
    folder.mkdir()
    rows = [
        good_row(姓名=MARKUP[0], 转出团支部=MARKUP[1], 备注=MARKUP[2]),
        good_row(身份证号=member(1), 姓名=MARKUP[0], 毕业去向=MARKUP[1]),      # destination_unknown quotes it
        good_row(身份证号=member(2), 审核状态=MARKUP[2]),                     # skipped: quotes the approval
    ]
    batch = write_batch(folder / "王[b]名单[bold red]X[.xlsx", rows)
    result = rpa("validate", str(batch), "--out", str(folder / "[link=x]out"))
    shown = result.stdout + result.stderr
    assert result.returncode == 1, shown
    assert "Traceback" not in shown and "MarkupError" not in shown
    import re

    flat = re.sub(r"[\s│┃]+", "", shown)  # without rich's line breaks and box drawing
    for text in ("王[b]名单[bold red]X[.xlsx", f"毕业去向“{MARKUP[1]}”", f"现在是“{MARKUP[2]}”", "[link=x]out"):
        assert re.sub(r"\s+", "", text) in flat, text

    ok = write_batch(folder / "[red]全部通过.xlsx", [rows[0]])
    result = rpa("validate", str(ok))
    assert result.returncode == 0 and "[red]全部通过.xlsx" in result.stdout, result.stdout + result.stderr


def test_xls_and_ods_of_the_same_rows_give_the_same_validation_json(tmp_path):
    # data/same-rows.ods and .xls were made once from same-rows.xlsx by LibreOffice
    # (soffice --headless --convert-to ods|xls), as a secretary's other office suites save them.
    data = Path(__file__).parent / "data"
    outputs = {}
    for suffix in ("xlsx", "ods", "xls"):
        code, _ = run(data / f"same-rows.{suffix}", tmp_path / suffix)
        outputs[suffix] = (code, (tmp_path / suffix / "validation.json").read_text(encoding="utf-8"))
    assert outputs["ods"] == outputs["xlsx"] == outputs["xls"]
    assert outputs["xlsx"][0] == 1 and '"invalid"' in outputs["xlsx"][1] and '"skipped"' in outputs["xlsx"][1]

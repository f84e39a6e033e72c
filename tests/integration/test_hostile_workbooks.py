"""Malformed workbooks and hostile cells, as a secretary (or a careless export) produces them.

For each file, `rpa validate --out DIR` (a real process) either refuses the whole file with a
plain Chinese message and exit 2 — writing nothing — or names the bad rows (exit 1) in
validation.json and checked.xlsx; hostile but legal cells are accepted and come back as text.
Never a traceback. A few `rpa preview`/`rpa submit` runs check that nothing is stored in the
portal for a bad row or an unreadable file.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from batchmaker import (
    ABROAD,
    ARMY,
    SANXIA,
    applications_per_member,
    console_of,
    last_status,
    make_id,
    portal_env,
    rpa,
    why,
)
from rpa.demo import HEADERS, pick_members, plan_rows, write_batch

BRANCH = "德州学院计算机与信息学院2021级软件工程1班团支部"
UNIT = {"转入单位名称": "中华人民共和国教育部", "转入单位地址": "北京市西城区西单大木仓胡同37号"}
SCRIPT_NAME = "<script>alert(1)</script>"
EMOJI_NAME = "🎓" * 25 + "😀" * 25  # 50 characters, none of them in the BMP


def member_row(n: int, **over) -> dict:
    """A valid approved 参军入伍 row for the n-th made-up member (validate is offline)."""
    row = {"姓名": f"测试团员{n}", "身份证号": make_id(seq=f"{n:03d}"), "手机号": f"1391234{n:04d}",
           "常用联系人联系方式": "13800000000（家长）", "转出团支部": BRANCH, "审核状态": "已审批", **ARMY}
    row.update(over)
    return row


def save(path: Path, rows: list[dict], *, tweak=None, title: str | None = "2025届毕业生团组织关系转接名单") -> Path:
    """A batch as `rpa.demo.write_batch` writes it, then `tweak(workbook, sheet)` before saving."""
    write_batch(path, rows, title=title)
    if tweak is not None:
        wb = load_workbook(path)
        tweak(wb, wb.active)
        wb.save(path)
    return path


def as_text(ws, row: int, header: str, value: str) -> None:
    """Write `value` as a plain string even when it starts with '=' (openpyxl would make a formula)."""
    cell = ws.cell(row=row, column=HEADERS.index(header) + 1)
    cell.value = value
    cell.data_type = "s"


# ─── files that cannot be read at all: exit 2, one plain message, nothing written ─────────────


def text_renamed(path):
    path.write_text("姓名,身份证号,手机号\n张三,370112200307130012,13812345678\n", encoding="utf-8")


def broken_xls(path):
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 4000)


def encrypted_xlsx(path):
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "EncryptedPackage".encode("utf-16-le")
                     + b"\x00" * 512)


def zip_not_xlsx(path):
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("readme.txt", "这不是 Excel 文件")


def empty_file(path):
    path.write_bytes(b"")


def truncated(path):
    save(path, [member_row(1)])
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def rewrite_part(path: Path, part: str, change) -> None:
    """Rewrite one member of the workbook's zip with `change(bytes) -> bytes`."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data) if info.filename == part else data)


def broken_sheet_xml(path):
    save(path, [member_row(1)])
    rewrite_part(path, "xl/worksheets/sheet1.xml", lambda xml: xml[: len(xml) // 2] + b"<<<not xml")


def empty_sheet(path):
    Workbook().save(path)


def headers_missing(path):
    def drop(wb, ws):
        ws.cell(row=2, column=HEADERS.index("身份证号") + 1).value = "证件"
        ws.cell(row=2, column=HEADERS.index("审核状态") + 1).value = None
    save(path, [member_row(1)], tweak=drop)


def header_in_row_6(path):
    save(path, [member_row(1)], tweak=lambda wb, ws: ws.insert_rows(1, amount=4))


def merged_header(path):
    def merge(wb, ws):
        ws.cell(row=2, column=2).value = None
        ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=2)  # 姓名 spans 身份证号
    save(path, [member_row(1)], tweak=merge)


def every_sheet_hidden(path):
    # openpyxl refuses to write this; Excel can produce it (e.g. a macro hid every sheet).
    save(path, [member_row(1)])
    rewrite_part(path, "xl/workbook.xml",
                 lambda xml: xml.replace(b'sheetId="1" state="visible"', b'sheetId="1" state="hidden"'))


def header_twice(path):
    def twice(wb, ws):
        ws.cell(row=2, column=len(HEADERS) + 1).value = "手机号"
    save(path, [member_row(1)], tweak=twice)


def a_folder(path):
    path.mkdir()


def no_such_file(path):
    pass


UNREADABLE = {
    "text_renamed_to_xlsx": (text_renamed, "不是 Excel 工作簿"),
    "broken_xls_file": (broken_xls, "97-2003"),
    "password_protected_workbook": (encrypted_xlsx, "密码"),
    "zip_that_is_not_a_workbook": (zip_not_xlsx, "已损坏或不是有效的 .xlsx"),
    "empty_file": (empty_file, "空文件"),
    "truncated_workbook": (truncated, "已损坏"),
    "sheet_xml_broken": (broken_sheet_xml, "已损坏"),
    "empty_sheet": (empty_sheet, "是空的"),
    "required_headers_missing": (headers_missing, "缺少：身份证号、审核状态"),
    "header_in_row_6": (header_in_row_6, "表头在第 6 行"),
    "merged_header_cells": (merged_header, "合并单元格"),
    "every_sheet_hidden": (every_sheet_hidden, "没有可见的工作表"),
    "same_header_twice": (header_twice, "出现了 2 次"),
    "a_folder_named_xlsx": (a_folder, "是一个文件夹"),
    "no_such_file": (no_such_file, "找不到名单文件"),
}


def flat(text: str) -> str:
    """Console text without the line breaks and box drawing rich adds."""
    return re.sub(r"[\s│┃]+", "", text)


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_an_unreadable_file_is_refused_with_a_plain_message_and_nothing_written(case, tmp_path, portal, account,
                                                                                mock_server):
    build, message = UNREADABLE[case]
    batch = tmp_path / "名单.xlsx"
    build(batch)
    env = portal_env(mock_server.url, account, tmp_path)

    checked = rpa("validate", batch, "--out", "checked", env=env, cwd=tmp_path)
    previewed = rpa("preview", batch, "--out", "preview", env=env, cwd=tmp_path)

    for proc in (checked, previewed):
        shown = proc.stdout + proc.stderr
        assert proc.returncode == 2, console_of(proc)
        assert "Traceback" not in shown and "Error:" not in shown, console_of(proc)
        assert "错误" in shown and flat(message) in flat(shown), console_of(proc)
    # Nothing half-written: the output folders hold no file at all.
    for out in ("checked", "preview"):
        assert not (tmp_path / out).exists() or not any((tmp_path / out).rglob("*")), out
    assert portal.applications() == []


# ─── bombs: a small file that unpacks to gigabytes, or makes calamine's grid huge ───────────

GIB = 1 << 30


def stream_member(path: Path, part: str, head: bytes, chunk: bytes, count: int, tail: bytes) -> None:
    """Replace `part` of the workbook with head + chunk * count + tail, deflated as it streams."""
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info, src.read(info))
        with dst.open(part, "w") as out:
            out.write(head)
            for _ in range(count):
                out.write(chunk)
            out.write(tail)


def sheet_around(path: Path, body: bytes, count: int, tail: bytes = b"") -> None:
    """Sheet 1 = a header row, then `body` repeated `count` times, then `tail`."""
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    head, _, rest = xml.partition(b"</row>")
    stream_member(path, "xl/worksheets/sheet1.xml", head + b"</row>", body, count,
                  tail + b"</sheetData>" + rest.partition(b"</sheetData>")[2])


def one_gb_cell_proper(path):
    save(path, [member_row(1)], title=None)
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    head, _, rest = xml.partition(b"</row>")
    stream_member(path, "xl/worksheets/sheet1.xml", head + b'</row><row r="2"><c r="A2" t="inlineStr"><is><t>',
                  b"A" * (1 << 20), 1024,
                  b"</t></is></c></row></sheetData>" + rest.partition(b"</sheetData>")[2])


def one_gb_styles(path):
    save(path, [member_row(1)])
    styles = zipfile.ZipFile(path).read("xl/styles.xml")
    head, _, tail = styles.partition(b"</styleSheet>")
    stream_member(path, "xl/styles.xml", head + b"<!--", b" " * (1 << 20), 1024, b"-->" + b"</styleSheet>" + tail)


def one_gb_blank_rows(path):
    save(path, [member_row(1)], title=None)
    sheet_around(path, b"<row/>" * 174_763, 1024)  # 1 GiB of blank rows (no number: they pack ~1000:1)


def lying_zip_header(path):
    """The blank-rows bomb, its sheet's sizes in both zip headers rewritten to claim 1,000 bytes."""
    one_gb_blank_rows(path)
    data = bytearray(path.read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    info = zipfile.ZipFile(path).getinfo(name.decode())
    data[info.header_offset + 22:info.header_offset + 26] = (1000).to_bytes(4, "little")
    at = data.find(name, data.find(b"PK\x01\x02"))
    entry = data.rfind(b"PK\x01\x02", 0, at)
    data[entry + 24:entry + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    assert zipfile.ZipFile(path).getinfo(name.decode()).file_size == 1000


def negative_shared_string_index(path):
    save(path, [member_row(1), member_row(2)])
    rewrite_part(path, "xl/worksheets/sheet1.xml",
                 lambda xml: re.sub(rb'<c r="A4"[^>]*>.*?</c>', b'<c r="A4" t="s"><v>-1</v></c>', xml, count=1, flags=re.S))


def a_16384_column_batch(path):
    def wide(wb, ws):
        ws.cell(row=2, column=16384).value = "多余"
    save(path, [member_row(1)], tweak=wide)


BOMBS = {
    "a_1_gb_cell": (one_gb_cell_proper, "解压后"),
    "a_1_gb_styles_xml": (one_gb_styles, "styles.xml"),
    "1_gb_of_blank_rows": (one_gb_blank_rows, "解压后"),
    "a_zip_header_that_lies_about_the_size": (lying_zip_header, "解压后超过"),
    "a_negative_shared_string_index": (negative_shared_string_index, "负数编号"),
    "a_16384_column_batch": (a_16384_column_batch, "XFD"),
}


@pytest.mark.parametrize("case", list(BOMBS))
def test_a_bomb_is_refused_with_a_plain_message_and_nothing_written(case, tmp_path):
    build, message = BOMBS[case]
    batch = tmp_path / "名单.xlsx"
    build(batch)
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("RPA_")} | {"COLUMNS": "400"}

    proc = rpa("validate", batch, "--out", "checked", env=env, cwd=tmp_path)

    shown = proc.stdout + proc.stderr
    assert proc.returncode == 2, console_of(proc)
    assert "Traceback" not in shown and "错误" in shown and flat(message) in flat(shown), console_of(proc)
    assert not (tmp_path / "checked").exists() or not any((tmp_path / "checked").rglob("*"))


# ─── readable files with bad or hostile rows: row-level verdicts ────────────────────────────


def formula_without_value(path):
    rows = [member_row(1), member_row(2)]
    save(path, rows, tweak=lambda wb, ws: setattr(ws.cell(row=4, column=3), "value", "=C3"))  # 手机号 of row 4


def date_in_text_column(path):
    rows = [member_row(1), member_row(2)]
    save(path, rows, tweak=lambda wb, ws: setattr(ws.cell(row=4, column=3), "value", dt.datetime(2025, 7, 1)))


def numeric_id(path):
    rows = [member_row(1), member_row(2, 身份证号=None)]
    save(path, rows, tweak=lambda wb, ws: setattr(ws.cell(row=4, column=2), "value", 370112200307130000))


def bad_check_digit(path):
    good = make_id(seq="002")
    wrong = good[:17] + ("0" if good[17] != "0" else "1")
    save(path, [member_row(1), member_row(2, 身份证号=wrong)])


def impossible_birth_date(path):
    save(path, [member_row(1), member_row(2, 身份证号=make_id(birth="20030230", seq="002"))])


def id_too_short(path):
    save(path, [member_row(1), member_row(2, 身份证号=make_id(seq="002")[:17])])


def whitespace_only_cells(path):
    save(path, [member_row(1), member_row(2, 姓名="   ", 常用联系人联系方式="\t ")])


def remark_101(path):
    save(path, [member_row(1, 备注="备" * 100), member_row(2, 备注="注" * 101)])


def contact_51(path):
    save(path, [member_row(1, 常用联系人联系方式="1" * 50), member_row(2, 常用联系人联系方式="1" * 51)])


def duplicate_member(path):
    save(path, [member_row(1), member_row(2, 身份证号=make_id(seq="001"), 姓名="重复的人")])


def unknown_destination(path):
    save(path, [member_row(1), member_row(2, 毕业去向="回家种地")])


def bad_phone(path):
    save(path, [member_row(1), member_row(2, 手机号="1380013800")])


def study_into_floating_branch(path):
    save(path, [member_row(1), member_row(
        2, 毕业去向="升学", 转入组织="团山东省委/团德州市委/团德城区委/团新湖街道工委/新湖街道流动团员团支部", **UNIT)])


def unknown_province(path):
    save(path, [member_row(1), member_row(2, 毕业去向="升学", **{"转入组织是否属于北京/广东/福建": "是",
                                                             "转入省份": "上海", "转入组织": "复旦大学团委", **UNIT})])


def army_with_target(path):
    save(path, [member_row(1), member_row(2, 转入组织="团湖北省委/三峡大学团委")])


def abroad_without_contact(path):
    save(path, [member_row(1), member_row(2, **{**ABROAD, "境内联系人": None})])


def stray_approval_only(path):
    rows = [member_row(1), {"审核状态": "已审批"}]
    save(path, rows)


INVALID_ROWS = {
    # case: (builder, the bad row's column, its code)
    "formula_without_cached_value": (formula_without_value, "手机号", "formula_no_value"),
    "date_in_a_text_column": (date_in_text_column, "手机号", "date_in_text"),
    "id_as_a_number_cell": (numeric_id, "身份证号", "id_numeric"),
    "id_with_a_bad_check_digit": (bad_check_digit, "身份证号", "id_check_digit"),
    "id_with_an_impossible_birth_date": (impossible_birth_date, "身份证号", "id_birth_date"),
    "id_of_17_characters": (id_too_short, "身份证号", "id_format"),
    "whitespace_only_cells": (whitespace_only_cells, "姓名", "required"),
    "remark_of_101_characters": (remark_101, "备注", "remark_too_long"),
    "contact_of_51_characters": (contact_51, "常用联系人联系方式", "contact_too_long"),
    "same_member_twice": (duplicate_member, "身份证号", "duplicate_member"),
    "unknown_destination": (unknown_destination, "毕业去向", "destination_unknown"),
    "phone_of_10_digits": (bad_phone, "手机号", "phone_format"),
    "study_into_a_floating_branch": (study_into_floating_branch, "转入组织", "target_grassroots_for_study"),
    "province_outside_bj_gd_fj": (unknown_province, "转入省份", "province_invalid"),
    "army_with_a_target": (army_with_target, "转入组织", "special_with_target"),
    "abroad_without_domestic_contact": (abroad_without_contact, "境内联系人", "abroad_field_missing"),
    "a_stray_approved_cell": (stray_approval_only, "姓名", "required"),
}


def validation(out: Path) -> dict[int, dict]:
    return {r["row"]: r for r in json.loads((out / "validation.json").read_text(encoding="utf-8"))}


def assert_outputs_whole(out: Path) -> None:
    """validation.json parses, checked.xlsx opens, no temporary file left behind."""
    assert not [p for p in out.iterdir() if p.name.endswith(".part")]
    load_workbook(out / "checked.xlsx")
    validation(out)


@pytest.mark.parametrize("case", list(INVALID_ROWS))
def test_a_bad_row_is_named_with_its_column_and_the_good_row_still_passes(case, tmp_path, portal, account,
                                                                           mock_server):
    build, column, code = INVALID_ROWS[case]
    batch = tmp_path / "名单.xlsx"
    build(batch)

    proc = rpa("validate", batch, "--out", "checked", env=portal_env(mock_server.url, account, tmp_path),
               cwd=tmp_path)

    shown = proc.stdout + proc.stderr
    assert proc.returncode == 1, console_of(proc)
    assert "Traceback" not in shown
    out = tmp_path / "checked"
    assert_outputs_whole(out)
    verdict = validation(out)
    assert verdict[3]["status"] == "valid", verdict[3]
    assert verdict[4]["status"] == "invalid", verdict
    assert (column, code) in {(e["column"], e["code"]) for e in verdict[4]["errors"]}, verdict[4]
    message = next(e["message"] for e in verdict[4]["errors"] if e["code"] == code)
    assert re.search(r"[\u4e00-\u9fff]", message), message  # says it in Chinese
    assert flat(message)[:12] in flat(shown)  # the secretary sees the message on the console


# ─── hostile but legal cells: accepted, and written back as text, never as markup or formula ──


def script_name(path):
    save(path, [member_row(1, 姓名=SCRIPT_NAME), member_row(2)])


def emoji_name(path):
    save(path, [member_row(1, 姓名=EMOJI_NAME), member_row(2)])


def formula_like_text(path):
    def text(wb, ws):
        as_text(ws, 3, "姓名", "=HYPERLINK(\"http://evil.example/\",\"点我\")")
        as_text(ws, 3, "备注", "+cmd|' /C calc'!A0")
        as_text(ws, 4, "备注", "-2+3")
        as_text(ws, 4, "姓名", "@SUM(1+1)")
    save(path, [member_row(1), member_row(2)], tweak=text)


def full_width_brackets_and_spaces(path):
    def headers(wb, ws):
        ws.cell(row=2, column=HEADERS.index("姓名") + 1).value = " 姓名 "
        ws.cell(row=2, column=HEADERS.index("常用联系人联系方式") + 1).value = "常用联系人联系方式　"
    save(path, [member_row(1, 毕业去向="就业(有团组织)", 转入组织="中央和国家机关团工委/教育部团委", **UNIT),
                member_row(2, 毕业去向="就业（有团组织）", 转入组织="中央和国家机关团工委／教育部团委", **UNIT)],
         tweak=headers)


def hidden_first_sheet(path):
    save(path, [member_row(1), member_row(2)])
    wb = load_workbook(path)
    junk = wb.create_sheet("旧名单", 0)
    junk.append(["这张表被隐藏了"])
    junk.sheet_state = "hidden"
    wb.active = 1
    wb.save(path)


def blank_row_in_the_middle(path):
    save(path, [member_row(1), {}, member_row(2)])


def lowercase_x_and_extra_column(path):
    low = next(make_id(seq=f"{n:03d}") for n in range(2, 999) if make_id(seq=f"{n:03d}").endswith("X"))

    def extra(wb, ws):
        ws.cell(row=2, column=len(HEADERS) + 1).value = "辅导员"
        ws.cell(row=3, column=len(HEADERS) + 1).value = "李老师"
    save(path, [member_row(1), member_row(2, 身份证号=low.lower())], tweak=extra)


def not_yet_approved_with_errors(path):
    save(path, [member_row(1), member_row(2, 审核状态="待审批", 手机号="123")])


ACCEPTED = {
    # case: (builder, {row: status})
    "a_script_tag_as_a_name": (script_name, {3: "valid", 4: "valid"}),
    "a_50_character_emoji_name": (emoji_name, {3: "valid", 4: "valid"}),
    "cells_starting_with_equals_plus_minus_at": (formula_like_text, {3: "valid", 4: "valid"}),
    "full_width_brackets_and_padded_headers": (full_width_brackets_and_spaces, {3: "valid", 4: "valid"}),
    "a_hidden_first_sheet": (hidden_first_sheet, {3: "valid", 4: "valid"}),
    "a_blank_row_in_the_middle": (blank_row_in_the_middle, {3: "valid", 5: "valid"}),
    "a_lowercase_x_and_an_unknown_column": (lowercase_x_and_extra_column, {3: "valid", 4: "valid"}),
    "an_unapproved_row_with_errors_is_skipped": (not_yet_approved_with_errors, {3: "valid", 4: "skipped"}),
}


@pytest.mark.parametrize("case", list(ACCEPTED))
def test_a_hostile_but_legal_cell_is_accepted_and_written_back_as_text(case, tmp_path, portal, account, mock_server):
    build, statuses = ACCEPTED[case]
    batch = tmp_path / "名单.xlsx"
    build(batch)

    proc = rpa("validate", batch, "--out", "checked", env=portal_env(mock_server.url, account, tmp_path),
               cwd=tmp_path)

    assert proc.returncode == 0, console_of(proc)
    assert "Traceback" not in proc.stdout + proc.stderr
    out = tmp_path / "checked"
    assert_outputs_whole(out)
    assert {n: r["status"] for n, r in validation(out).items()} == statuses
    # checked.xlsx holds the cells as the secretary typed them, as text: no formula appears.
    with zipfile.ZipFile(out / "checked.xlsx") as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    names = {c.value for row in load_workbook(out / "checked.xlsx").active.iter_rows() for c in row}
    if case == "a_script_tag_as_a_name":
        assert SCRIPT_NAME in names
    if case == "a_50_character_emoji_name":
        assert EMOJI_NAME in names
    if case == "cells_starting_with_equals_plus_minus_at":
        assert {"=HYPERLINK(\"http://evil.example/\",\"点我\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)"} <= names


# ─── the browser side: bad rows never reach the portal ──────────────────────────────────────


def test_submit_of_a_mixed_batch_stores_only_its_valid_rows(tmp_path, portal, account, mock_server):
    members = pick_members(portal.members(), 6)
    hostile = {"name": SCRIPT_NAME, "id_number": make_id(seq="777"), "phone": "13912340777",
               "branch": members[0]["branch"]}
    portal.add_members([hostile])
    rows = plan_rows([hostile, *members], [ARMY, SANXIA, ARMY, ARMY, ARMY, ARMY, ARMY])
    rows[2]["手机号"] = "1380000"  # row 5: bad phone
    rows[3]["转入组织"] = "团湖北省委/三峡大学团委"  # row 6: 参军入伍 with a target
    rows[4]["身份证号"] = rows[1]["身份证号"]  # row 7: the member of row 4 again
    rows[5]["备注"] = "长" * 101  # row 8: remark too long
    batch = save(tmp_path / "名单.xlsx", rows,
                 tweak=lambda wb, ws: setattr(ws.cell(row=9, column=2), "value", 370112200307130000))
    env = portal_env(mock_server.url, account, tmp_path, RPA_CONCURRENCY="2")

    proc = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    out = tmp_path / "out"
    assert proc.returncode == 1, console_of(proc)
    assert "Traceback" not in proc.stdout + proc.stderr
    assert last_status(out) == {3: "submitted", 4: "submitted", 5: "invalid", 6: "invalid", 7: "invalid",
                                8: "invalid", 9: "invalid"}, why(out)
    assert dict(applications_per_member(portal)) == {hostile["id_number"]: 1, rows[1]["身份证号"]: 1}
    assert [a["name"] for a in portal.applications() if a["id_number"] == hostile["id_number"]] == [SCRIPT_NAME]


def test_submit_of_an_unreadable_file_stops_before_the_browser_and_writes_nothing(tmp_path, portal, account,
                                                                                  mock_server):
    batch = tmp_path / "名单.xlsx"
    truncated(batch)

    proc = rpa("submit", "--yes", batch, "--out", "out", env=portal_env(mock_server.url, account, tmp_path), cwd=tmp_path)

    assert proc.returncode == 2, console_of(proc)
    assert "已损坏" in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    assert not (tmp_path / "out").exists()
    assert portal.applications() == []

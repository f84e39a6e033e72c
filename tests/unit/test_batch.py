"""The batch reader: where the header is, how columns match, and every kind of bad file."""

from __future__ import annotations

import re
import zipfile

import pytest
from openpyxl import Workbook

from rpa.batch import MAX_DATA_ROWS, BatchFileError, Col, RowStatus, load_batch, mask_id
from rpa.vocabulary import Destination

from test_batch_kit import (
    HEADERS, codes, give_cached_values, good_row, make_id, member, rewrite_sheet_xml, to_shared_strings,
    write_batch,
)


def test_the_header_is_found_below_two_title_rows(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row(), good_row(身份证号=member(2))],
                       title_rows=[["德州学院2021届毕业生团组织关系转接名单"], [None, "填表日期：2021-06-01"]])
    batch = load_batch(path)
    assert batch.header_row == 3
    assert [r.row for r in batch.rows] == [4, 5]
    assert batch.headers == HEADERS
    assert len(batch.preamble) == 2


def test_text_stored_as_shared_strings_like_excel_does_reads_the_same(tmp_path):
    rows = [good_row(备注="A & B <c>"), good_row(身份证号=member(2), 手机号="123")]
    plain = load_batch(write_batch(tmp_path / "a.xlsx", rows, title_rows=[["德州学院毕业生名单"]]))
    shared = load_batch(to_shared_strings(write_batch(tmp_path / "b.xlsx", rows, title_rows=[["德州学院毕业生名单"]])))
    assert shared.preamble == plain.preamble and shared.headers == plain.headers
    assert [(r.row, r.status, r.errors, r.values) for r in shared.rows] == \
        [(r.row, r.status, r.errors, r.values) for r in plain.rows]
    assert shared.rows[0].data.remark == "A & B <c>"


def test_a_header_in_row_6_is_refused_with_the_row_number(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row()], title_rows=[["标题"]] * 5)
    with pytest.raises(BatchFileError, match="第 6 行") as info:
        load_batch(path)
    assert "前 5 行" in info.value.message


def test_missing_headers_are_named(tmp_path):
    headers = [h for h in HEADERS if h not in ("手机号", "审核状态")]
    path = write_batch(tmp_path / "b.xlsx", [good_row()], headers=headers)
    with pytest.raises(BatchFileError) as info:
        load_batch(path)
    assert "手机号" in info.value.message and "审核状态" in info.value.message
    assert "姓名" not in info.value.message.split("缺少")[1]


def test_headers_match_after_trimming_spaces_and_folding_slashes(tmp_path):
    headers = [" 姓 名 ", "身份证号码", "手机号\n", "常用联系人的联系方式", "转出团支部", "毕业去向",
               "转入组织是否属于北京／广东／福建", "转入组织", "审核状态", "转入单位名称 ", "转入单位地址"]
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    row = good_row()
    ws.append([row["姓名"], row["身份证号"], row["手机号"], row["常用联系人联系方式"], row["转出团支部"],
               row["毕业去向"], "否", row["转入组织"], "已审批", row["转入单位名称"], row["转入单位地址"]])
    wb.save(tmp_path / "b.xlsx")
    (checked,) = load_batch(tmp_path / "b.xlsx").rows
    assert checked.status is RowStatus.VALID, checked.errors


def test_columns_may_come_in_any_order_and_unknown_ones_are_kept(tmp_path):
    headers = ["学号", *reversed(HEADERS), "班级"]
    path = write_batch(tmp_path / "b.xlsx", [good_row(学号="2017001", 班级="计科1班")], headers=headers)
    batch = load_batch(path)
    (checked,) = batch.rows
    assert checked.status is RowStatus.VALID
    assert checked.data.extra == {"学号": "2017001", "班级": "计科1班"}
    assert checked.raw["学号"] == "2017001" and checked.raw["姓名"] == "张三"
    assert set(batch.extra_columns) == {"学号", "班级"}
    assert checked.values[0] == "2017001"


def test_the_first_visible_sheet_is_read(tmp_path):
    wb = Workbook()
    hidden = wb.active
    hidden.title = "旧名单"
    hidden.append(["随便"])
    hidden.sheet_state = "hidden"
    ws = wb.create_sheet("名单")
    ws.append(HEADERS)
    ws.append([good_row().get(h) for h in HEADERS])
    wb.create_sheet("统计").append(["合计", 1])
    wb.save(tmp_path / "b.xlsx")
    batch = load_batch(tmp_path / "b.xlsx")
    assert batch.sheet_name == "名单" and len(batch.rows) == 1


def test_empty_rows_are_skipped_and_row_numbers_kept(tmp_path):
    rows = [good_row(), {}, {}, good_row(身份证号=member(7))]
    batch = load_batch(write_batch(tmp_path / "b.xlsx", rows))
    assert [r.row for r in batch.rows] == [2, 5]


def test_the_same_member_twice_is_an_error_on_the_second_row(tmp_path):
    same = make_id(seq="555")
    rows = [good_row(身份证号=same), good_row(身份证号=member(1)), good_row(身份证号=same.lower())]
    batch = load_batch(write_batch(tmp_path / "b.xlsx", rows))
    first, _, second = batch.rows
    assert first.status is RowStatus.VALID
    assert second.status is RowStatus.INVALID and codes(second) == {"duplicate_member"}
    assert "第 2 行" in second.errors[0].message and same not in second.errors[0].message


def test_a_skipped_row_does_not_make_a_later_one_a_duplicate(tmp_path):
    same = make_id(seq="556")
    batch = load_batch(write_batch(tmp_path / "b.xlsx", [good_row(身份证号=same, 审核状态="待审批"), good_row(身份证号=same)]))
    assert [r.status for r in batch.rows] == [RowStatus.SKIPPED, RowStatus.VALID]


def test_a_header_that_appears_twice_is_refused(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row()], headers=HEADERS + ["手机号"])
    with pytest.raises(BatchFileError, match="手机号.*2 次"):
        load_batch(path)


def test_a_formula_with_a_cached_value_reads_the_value(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row(手机号='="1381234"&"5678"')])
    give_cached_values(path, {"C2": "13812345678"})
    (checked,) = load_batch(path).rows
    assert checked.status is RowStatus.VALID and checked.data.phone == "13812345678"


def test_a_formula_without_a_cached_value_is_an_error_on_that_cell(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row(手机号='="1381234"&"5678"')])
    (checked,) = load_batch(path).rows
    assert checked.status is RowStatus.INVALID
    assert [(e.column, e.code) for e in checked.errors] == [("手机号", "formula_no_value")]


def test_a_text_cell_that_looks_like_a_formula_is_just_text(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row(备注="=HYPERLINK(\"http://x\")")])
    rewrite_sheet_xml(path, lambda xml: re.sub(r'<c r="(Q2)"([^>]*)><f>(.*?)</f><v\s*/>',
                                               r'<c r="\1" t="inlineStr"><is><t>=\3</t></is>', xml))
    (checked,) = load_batch(path).rows
    assert checked.status is RowStatus.VALID and checked.data.remark.startswith("=HYPERLINK")


def test_a_wrong_stored_dimension_does_not_cut_columns(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row()])
    rewrite_sheet_xml(path, lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1"', xml))
    (checked,) = load_batch(path).rows
    assert checked.status is RowStatus.VALID


def test_an_empty_sheet_is_refused(tmp_path):
    Workbook().save(tmp_path / "b.xlsx")
    with pytest.raises(BatchFileError, match="是空的"):
        load_batch(tmp_path / "b.xlsx")


def test_a_sheet_without_any_header_is_refused(tmp_path):
    wb = Workbook()
    wb.active.append(["a", "b"])
    wb.save(tmp_path / "b.xlsx")
    with pytest.raises(BatchFileError, match="找不到表头"):
        load_batch(tmp_path / "b.xlsx")


def test_merged_header_cells_are_explained(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row()])
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb.active.merge_cells("A1:B1")  # 身份证号 disappears under 姓名
    wb.save(path)
    with pytest.raises(BatchFileError) as info:
        load_batch(path)
    assert "身份证号" in info.value.message and "合并单元格" in info.value.message


def test_a_text_file_is_not_an_xlsx(tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_text("姓名,身份证号\n张三,1\n", encoding="utf-8")
    with pytest.raises(BatchFileError, match="不是 Excel 工作簿"):
        load_batch(path)


def test_a_broken_xls_file_is_refused_with_how_to_convert(tmp_path):
    path = tmp_path / "b.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2000 + "Workbook".encode("utf-16-le"))
    with pytest.raises(BatchFileError, match=r"\.xls.*另存为"):
        load_batch(path)


def test_a_password_protected_file_is_refused(tmp_path):
    path = tmp_path / "b.xlsx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500
                     + "EncryptionInfo".encode("utf-16-le") + b"\0" * 10 + "EncryptedPackage".encode("utf-16-le"))
    with pytest.raises(BatchFileError, match="密码"):
        load_batch(path)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "b.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(BatchFileError, match="已损坏"):
        load_batch(path)


def test_a_truncated_workbook_is_refused(tmp_path):
    path = write_batch(tmp_path / "b.xlsx", [good_row()])
    path.write_bytes(path.read_bytes()[:3000])
    with pytest.raises(BatchFileError):
        load_batch(path)


@pytest.mark.parametrize("name", ["missing.xlsx", "."])
def test_a_missing_file_or_a_folder_is_refused(tmp_path, name):
    with pytest.raises(BatchFileError):
        load_batch(tmp_path / name if name != "." else tmp_path)


def test_an_empty_file_is_refused(tmp_path):
    (tmp_path / "b.xlsx").write_bytes(b"")
    with pytest.raises(BatchFileError, match="空文件"):
        load_batch(tmp_path / "b.xlsx")


def test_50000_rows_are_refused_with_a_request_to_split(tmp_path):
    path = write_batch(tmp_path / "big.xlsx", [good_row()])
    values = [good_row().get(h) for h in HEADERS]
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' if v else "<c/>" for v in values)
    rows = "".join(f'<row r="{n}">{cells}</row>' for n in range(2, 50_002))
    rewrite_sheet_xml(path, lambda xml: re.sub(r'(<row r="1">.*?</row>).*</sheetData>', lambda m: m.group(1) + rows + "</sheetData>", xml, flags=re.S))
    with pytest.raises(BatchFileError, match=f"超过 {MAX_DATA_ROWS} 行.*拆分"):
        load_batch(path)


def test_mask_id_keeps_four_and_four():
    assert mask_id("37140219900101123X") == "3714**********123X"
    assert mask_id("") == ""


def test_destination_values_are_the_spreadsheet_texts():
    assert Destination("出国（境）留学") is Destination.STUDY_ABROAD
    assert Col("转入组织是否属于北京/广东/福建") is Col.PROVINCE_FLAG

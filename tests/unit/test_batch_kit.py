"""Helpers for the batch tests: real .xlsx files written by openpyxl (no tests in this file)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook

from rpa.batch import Col, load_batch
from rpa.idnumber import id_check_digit

HEADERS = [c.value for c in Col]


def make_id(area: str = "371402", birth: str = "20000101", seq: str = "123") -> str:
    """A valid 18-character ID number (GB 11643 check digit)."""
    first17 = area + birth + seq
    return first17 + id_check_digit(first17)


def member(n: int) -> str:
    """The n-th distinct valid ID number."""
    return make_id(seq=f"{n % 1000:03d}", birth=f"{1995 + (n // 1000) % 10}0101")


def good_row(**overrides: Any) -> dict[str, Any]:
    """A valid approved 就业（有团组织） row; keyword arguments override columns by header."""
    row: dict[str, Any] = {
        "姓名": "张三",
        "身份证号": make_id(),
        "手机号": "13812345678",
        "常用联系人联系方式": "13912345678",
        "转出团支部": "德州学院计算机与信息学院2021级1班团支部",
        "毕业去向": "就业（有团组织）",
        "转入组织是否属于北京/广东/福建": "否",
        "转入组织": "团山东省委/团德州市委/德州某公司团委",
        "转入单位名称": "德州某公司",
        "转入单位地址": "山东省德州市德城区新湖大街1号",
        "备注": None,
        "审核状态": "已审批",
    }
    row.update(overrides)
    return row


def write_batch(
    path: Path,
    rows: list[dict[str, Any]],
    *,
    headers: list[str] | None = None,
    title_rows: list[list[Any]] | None = None,
    sheet_title: str = "名单",
) -> Path:
    """Write a one-sheet batch: optional title rows, the header row, then `rows` by header."""
    headers = headers or HEADERS
    wb = Workbook()
    ws = wb.active
    ws.title = sheet_title
    for t in title_rows or []:
        ws.append(t)
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    wb.save(path)
    return path


def check_one(tmp_path: Path, **overrides: Any):
    """Write a one-row batch with `good_row(**overrides)` and return its CheckedRow."""
    path = write_batch(tmp_path / "one.xlsx", [good_row(**overrides)])
    (row,) = load_batch(path).rows
    return row


def codes(checked) -> set[str]:
    return {e.code for e in checked.errors}


def rewrite_sheet_xml(path: Path, edit) -> Path:
    """Rewrite the first sheet's XML of an .xlsx in place with `edit(xml: str) -> str`."""
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = [(info, zin.read(info.filename)) for info in zin.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info, data in items:
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)
    return path


def give_cached_values(path: Path, values: dict[str, str]) -> Path:
    """Give formula cells (by coordinate) a cached text value, as Excel does when it saves."""
    import re

    def edit(xml: str) -> str:
        for coord, value in values.items():
            xml, n = re.subn(
                rf'<c r="{coord}"([^>]*)><f>(.*?)</f><v\s*/>',
                rf'<c r="{coord}"\1 t="str"><f>\2</f><v>{value}</v>',
                xml,
            )
            assert n == 1, coord
        return xml

    return rewrite_sheet_xml(path, edit)


def to_shared_strings(path: Path) -> Path:
    """Rewrite an openpyxl-written .xlsx the way Excel stores text: a shared string table.

    The first string becomes a rich-text entry with a phonetic run (<rPh>), which must be ignored.
    """
    import re
    import zipfile

    with zipfile.ZipFile(path) as zin:
        items = {info.filename: zin.read(info.filename) for info in zin.infolist()}
    strings: list[str] = []

    def to_index(m: re.Match) -> str:
        text = m.group(3)
        strings.append(text)
        return f'<c r="{m.group(1)}"{m.group(2)} t="s"><v>{len(strings) - 1}</v></c>'

    sheet = items["xl/worksheets/sheet1.xml"].decode("utf-8")
    sheet = re.sub(r'<c r="([A-Z]+\d+)"([^>]*?) t="inlineStr"><is><t[^>]*>(.*?)</t></is></c>', to_index, sheet)
    items["xl/worksheets/sheet1.xml"] = sheet.encode("utf-8")
    sis = []
    for i, text in enumerate(strings):
        if i == 0 and text:
            half = len(text) // 2
            sis.append(f"<si><r><t>{text[:half]}</t></r><r><rPr><b/></rPr><t>{text[half:]}</t></r>"
                       f"<rPh sb=\"0\" eb=\"1\"><t>ピンイン</t></rPh></si>")
        else:
            sis.append(f"<si><t xml:space=\"preserve\">{text}</t></si>")
    items["xl/sharedStrings.xml"] = (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">' + "".join(sis) + "</sst>"
    ).encode("utf-8")
    ct = items["[Content_Types].xml"].decode("utf-8")
    ct = ct.replace("</Types>", '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
    items["[Content_Types].xml"] = ct.encode("utf-8")
    rels = items["xl/_rels/workbook.xml.rels"].decode("utf-8")
    rels = rels.replace("</Relationships>", '<Relationship Id="rIdSST" Type="http://schemas.openxmlformats.org/'
                        'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>')
    items["xl/_rels/workbook.xml.rels"] = rels.encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in items.items():
            zout.writestr(name, data)
    return path

"""A spreadsheet file → the cells of its first visible sheet, through python-calamine.

    sheet = read_first_visible_sheet(path)   # raises BatchFileError (Chinese message)
    sheet.name, sheet.rows, sheet.merged, sheet.no_value

Reads .xlsx/.xlsm, .xlsb and .ods (zip containers) and .xls (Excel 97-2003). Before calamine
opens a file, what it would cost is bounded: the file's size, every zip member's real inflated
size and packing ratio (`rpa.zipguard`), and the used area of the sheet read (`rpa.sheetguard`:
calamine keeps a sheet as a dense grid). `rows` start at sheet row 1, each as long as the used
area is wide; empty cells are "" (calamine's own empty value), numbers int/float, dates
`datetime.date`/`datetime`, booleans bool; a formula gives its saved value.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from rpa.errors import BatchFileError
from rpa.sheetguard import SheetScan, scan_ods_content, scan_xlsx_sheet
from rpa.zipguard import MiB, corrupt, inspect_zip

MAX_FILE_BYTES = 100 * MiB
# The used area of the sheet read. A batch has ~16 columns and a school's own extra ones;
# 100 leaves room for any of them, and keeps the 3 result columns far inside XFD (16,384).
MAX_COLUMNS = 100
# calamine's grid costs 32 bytes a cell (measured: A1 + P1048576 → 730 MB). 2,000,000 cells is
# 20,000 rows × 100 columns, ~64 MB of grid, and takes the process to ~150 MB at most.
MAX_CELLS = 2_000_000

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = b"PK\x03\x04"
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass
class SheetData:
    """The cells of one sheet as calamine read them (see the module docstring)."""

    name: str
    rows: list[list]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)  # 1-based (row, col, row, col)
    no_value: dict[int, set[int]] = field(default_factory=dict)  # row → 0-based cols of formulas without value


def read_first_visible_sheet(path: Path) -> SheetData:
    """The first visible worksheet of the workbook at `path`; BatchFileError if it can't be read."""
    head = _head(path)
    parts: dict[str, bytes] = {}
    if head.startswith(_OLE_MAGIC):
        _refuse_encrypted(path)
    elif head.startswith(_ZIP_MAGIC):
        parts = inspect_zip(path, wanted=_wanted_part)
        if "[Content_Types].xml" not in parts and "content.xml" not in parts:
            raise corrupt(path, "压缩包中没有工作簿的内容")
    elif not head:
        raise BatchFileError(f"名单文件 {path.name!r} 是空文件（0 字节），请检查是否选错了文件。")
    else:
        raise BatchFileError(
            f"名单文件 {path.name!r} 不是 Excel 工作簿（.xlsx）：如果是 CSV、WPS 或其他格式，"
            "请用 Excel 打开并“另存为 → Excel 工作簿（*.xlsx）”后再试。"
        )
    import python_calamine as pc

    try:
        book = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise _password(path) from None
    except Exception as exc:  # calamine's errors (zip, XML, BIFF) and Rust panics alike mean "corrupt"
        raise corrupt(path, type(exc).__name__, xls=head.startswith(_OLE_MAGIC)) from None
    with book:
        name = next((m.name for m in book.sheets_metadata
                     if m.visible == pc.SheetVisibleEnum.Visible and m.typ == pc.SheetTypeEnum.WorkSheet), None)
        if name is None:
            raise BatchFileError(f"名单文件 {path.name!r} 中没有可见的工作表：请在 Excel 中取消隐藏名单所在的工作表。")
        scan = _scan(parts, name)
        if scan is not None:
            _check_extent(name, scan.rows, scan.cols)
            if scan.negative_string_index:
                raise corrupt(path, f"工作表“{name}”中有单元格引用了负数编号的共享文本")
        try:
            sheet = book.get_sheet_by_name(name)
            end = sheet.end
            if end is not None:  # formats without a scan (.xls, .xlsb): bound what Python builds
                _check_extent(name, end[0] + 1, end[1] + 1)
            rows = sheet.to_python(skip_empty_area=False)
            merged = [(r0 + 1, c0 + 1, r1 + 1, c1 + 1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges or []]
        except BatchFileError:
            raise
        except Exception as exc:
            raise corrupt(path, type(exc).__name__, xls=head.startswith(_OLE_MAGIC)) from None
    return SheetData(name, rows, merged, scan.no_value if scan else {})


def _head(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise IsADirectoryError
        if size > MAX_FILE_BYTES:
            raise BatchFileError(
                f"名单文件 {str(path)!r} 超过 {MAX_FILE_BYTES // MiB} MB，不像一份批量名单：请检查是否选错了文件。"
            )
        with open(path, "rb") as f:
            return f.read(8)
    except FileNotFoundError:
        raise BatchFileError(f"找不到名单文件 {str(path)!r}，请检查路径。") from None
    except IsADirectoryError:
        raise BatchFileError(f"{str(path)!r} 是一个文件夹，请给出名单文件（.xlsx）的路径。") from None
    except PermissionError:
        raise BatchFileError(f"没有权限读取名单文件 {str(path)!r}，请检查文件权限或先在 Excel 中关闭它。") from None
    except OSError as exc:
        raise BatchFileError(f"无法读取名单文件 {str(path)!r}：{exc.strerror or exc}。") from None


def _password(path: Path) -> BatchFileError:
    return BatchFileError(
        f"名单文件 {path.name!r} 设置了打开密码，无法读取：请在 Excel 中打开，"
        "“文件 → 信息 → 保护工作簿 → 用密码进行加密”清空密码并保存后再试。"
    )


def _refuse_encrypted(path: Path) -> None:
    """A password-protected .xlsx is an OLE file holding an `EncryptedPackage` stream."""
    with open(path, "rb") as f:
        tail = b""
        while chunk := f.read(MiB):
            if _ENCRYPTED_STREAM in tail + chunk:
                raise _password(path)
            tail = chunk[-len(_ENCRYPTED_STREAM):]


def _wanted_part(name: str) -> bool:
    """The parts scanned here: the workbook's sheet list and every worksheet (.xlsx), content.xml (.ods)."""
    return (name in ("[Content_Types].xml", "_rels/.rels", "content.xml")
            or name.endswith("workbook.xml") or name.endswith("workbook.xml.rels")
            or (name.endswith(".xml") and "/worksheets/" in name))


def _scan(parts: dict[str, bytes], name: str) -> SheetScan | None:
    """The scan of the sheet `name` (None for formats without one: .xls, .xlsb)."""
    if "content.xml" in parts:
        return scan_ods_content(parts["content.xml"])
    part = _sheet_part(parts, name)
    if part is None or not part.endswith(".xml"):
        return None
    return scan_xlsx_sheet(parts[part])


def _sheet_part(parts: dict[str, bytes], name: str) -> str | None:
    """The zip member of worksheet `name`: workbook.xml gives its relation id, the rels its path."""
    try:
        book_part = next((p for p in parts if p.endswith("workbook.xml")), None)
        if book_part is None:
            return None
        rels_part = posixpath.join(posixpath.dirname(book_part), "_rels", posixpath.basename(book_part) + ".rels")
        rid = next((s.get(_REL_NS) for s in ET.fromstring(parts[book_part]).iter()
                    if s.tag.endswith("}sheet") and s.get("name") == name), None)
        target = next((r.get("Target") for r in ET.fromstring(parts.get(rels_part, b"<x/>")).iter()
                       if r.get("Id") == rid), None)
    except ET.ParseError:
        return None
    if target is None:
        return None
    path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
        posixpath.join(posixpath.dirname(book_part), target))
    return path if path in parts else None


def _check_extent(name: str, rows: int, cols: int) -> None:
    if cols > MAX_COLUMNS:
        from openpyxl.utils import get_column_letter

        raise BatchFileError(
            f"工作表“{name}”用到了第 {cols} 列（{get_column_letter(min(cols, 16384))} 列），一份名单不会有这么多列"
            f"（最多 {MAX_COLUMNS} 列）：请选中名单右侧多余的列，右键“删除”后保存再试。"
        )
    if rows * cols > MAX_CELLS:
        raise BatchFileError(
            f"工作表“{name}”用到了第 {rows} 行，超出一份名单的范围（最多 {MAX_CELLS // max(cols, 1)} 行）："
            "请选中名单下方多余的行，右键“删除”后保存再试；名单确实很大时，请拆分成多个批次。"
        )

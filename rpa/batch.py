"""The batch spreadsheet (批量转接名单) → typed, checked rows.

    batch = load_batch(path)          # raises BatchFileError (Chinese message) -> exit 2
    for checked in batch.rows:        # CheckedRow, in sheet order
        checked.row, checked.status, checked.errors, checked.raw, checked.data

Reading follows SPEC §3: the first *visible* sheet; the header row is the first row among the
first 5 that holds every required header; headers match after removing spaces and folding
full/half-width brackets; column order is free and unknown columns are kept. The sheet is
read by python-calamine (`rpa.workbook`: .xlsx, .xlsb, .ods, .xls, with hostile files bounded
before calamine opens them): formula cells give their saved value, and a formula saved without
one (.xlsx) is noted so the rules can report that cell. Empty cells read as "".

The rules themselves (what is an error, with which code) live in `rpa.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from rpa.errors import BatchFileError
from rpa.vocabulary import Destination, Vocabulary, fold, load_vocabulary

__all__ = [
    "Batch",
    "BatchFileError",
    "CheckedRow",
    "Col",
    "RowError",
    "RowStatus",
    "TransferRow",
    "load_batch",
    "mask_id",
]

# A header is looked for in the first HEADER_ROWS rows (SPEC §3); a few more are scanned only
# to tell the secretary where the header actually is.
HEADER_ROWS = 5
HEADER_SCAN_ROWS = 30
# One approved batch is at most a year's graduates of a school; a bigger sheet is almost always
# a mistake (wrong file, a formatted column of a million empty rows counted as data) and would
# take a day in the browser anyway.
MAX_DATA_ROWS = 20_000


class Col(str, Enum):
    """The canonical headers of SPEC §3, in template order."""

    NAME = "姓名"
    ID_NUMBER = "身份证号"
    PHONE = "手机号"
    CONTACT = "常用联系人联系方式"
    BRANCH = "转出团支部"
    DESTINATION = "毕业去向"
    PROVINCE_FLAG = "转入组织是否属于北京/广东/福建"
    PROVINCE = "转入省份"
    TARGET = "转入组织"
    STUDY_TYPE = "升学类型"
    UNIT_NAME = "转入单位名称"
    UNIT_ADDRESS = "转入单位地址"
    ABROAD_PLACE = "境外学习地点"
    ABROAD_TERM = "境外学习期限"
    DOMESTIC_CONTACT = "境内联系人"
    DOMESTIC_CONTACT_PHONE = "境内联系人电话"
    REMARK = "备注"
    APPROVAL = "审核状态"


REQUIRED_HEADERS: tuple[Col, ...] = (
    Col.NAME, Col.ID_NUMBER, Col.PHONE, Col.CONTACT, Col.BRANCH, Col.DESTINATION, Col.APPROVAL,
)
UNIT_COLUMNS: tuple[Col, ...] = (Col.UNIT_NAME, Col.UNIT_ADDRESS)
# Other spellings a secretary is likely to use (folded form → column).
HEADER_ALIASES: dict[str, Col] = {
    "身份证号码": Col.ID_NUMBER,
    "手机号码": Col.PHONE,
    "常用联系人的联系方式": Col.CONTACT,
    "转入组织是否属于北京/广东/福建省": Col.PROVINCE_FLAG,
    "是否属于北京/广东/福建": Col.PROVINCE_FLAG,
}
_HEADER_LOOKUP: dict[str, Col] = {fold(c.value): c for c in Col} | HEADER_ALIASES


class RowStatus(str, Enum):
    """What validation concluded about a row (the `status` of validation.json)."""

    VALID = "valid"  # approved, no error: goes to the portal
    INVALID = "invalid"  # approved, at least one error: fix the sheet
    SKIPPED = "skipped"  # 审核状态 is not 已审批: not run
    RETAINED = "retained"  # stays at school: goes to the retention register, not the portal


@dataclass(frozen=True)
class RowError:
    """One problem of one row: the column (canonical header), a stable code, a Chinese message."""

    column: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"column": self.column, "code": self.code, "message": self.message}


def mask_id(id_number: str) -> str:
    """First 4 + 10 `*` + last 4 characters, e.g. `3714**********123X`; never the full number."""
    text = str(id_number or "").strip()
    if len(text) <= 8:
        return "*" * len(text)
    return text[:4] + "*" * 10 + text[-4:]


class TransferRow(BaseModel):
    """One member's transfer, typed; built only from a row the rules accepted (or skipped)."""

    model_config = ConfigDict(frozen=True)

    row: int
    name: str
    id_number: str
    phone: str
    contact: str
    branch: str
    destination: Destination
    province_flag: bool | None = None
    province: str | None = None
    target_path: list[str] | None = None  # flag 否: levels from the top of the national tree
    target_full_name: str | None = None  # flag 是: the full name in the BJ/GD/FJ system
    study_type: str | None = None
    unit_name: str | None = None  # 升学: the admitting school; 就业: the employer
    unit_address: str | None = None  # its detailed address
    abroad_place: str | None = None
    abroad_term: str | None = None
    domestic_contact: str | None = None
    domestic_contact_phone: str | None = None
    remark: str | None = None
    extra: dict[str, str] = {}

    @property
    def masked_id(self) -> str:
        return mask_id(self.id_number)


@dataclass
class CheckedRow:
    """A data row of the sheet with the verdict of the rules."""

    row: int  # sheet row number (1-based, as Excel shows it)
    status: RowStatus
    errors: list[RowError]
    raw: dict[str, Any]  # canonical header (or the header as written, for unknown columns) → value
    data: TransferRow | None  # None when invalid (or skipped and too broken to type)
    values: tuple = ()  # the whole sheet row as read, by position (for writing the batch back)

    @property
    def ok(self) -> bool:
        return self.status is not RowStatus.INVALID


@dataclass
class Batch:
    """A read and checked batch."""

    path: Path
    sheet_name: str
    header_row: int
    headers: list[str]  # the header row as written (trimmed), in order; "" for blank cells
    columns: dict[Col, int]  # canonical column → 0-based position
    extra_columns: dict[str, int]  # unknown header → 0-based position
    rows: list[CheckedRow]
    preamble: list[tuple] = field(default_factory=list)  # sheet rows above the header, as read
    width: int = 0  # widest row of the sheet (cells)

    def counts(self) -> dict[RowStatus, int]:
        counts = {s: 0 for s in RowStatus}
        for r in self.rows:
            counts[r.status] += 1
        return counts


@dataclass
class SheetRow:
    """A data row as read, before the rules (internal to the reader and `rpa.rules`)."""

    row: int
    values: tuple
    no_cached_value: frozenset[int] = frozenset()  # positions of formulas without a cached value


def load_batch(path: Path | str, *, vocabulary: Vocabulary | None = None) -> Batch:
    """Read, type and check the batch at `path`. Raises BatchFileError when it can't be read."""
    from rpa import rules

    vocab = vocabulary or load_vocabulary()
    sheet = read_sheet(Path(path))
    checked = rules.check_rows(sheet.rows, sheet.columns, sheet.extra_columns, vocab)
    _refuse_missing_unit_columns(sheet, checked)
    return Batch(
        path=Path(path),
        sheet_name=sheet.sheet_name,
        header_row=sheet.header_row,
        headers=sheet.headers,
        columns=sheet.columns,
        extra_columns=sheet.extra_columns,
        rows=checked,
        preamble=sheet.preamble,
        width=sheet.width,
    )


def _refuse_missing_unit_columns(sheet: Sheet, checked: list[CheckedRow]) -> None:
    """An old batch without 转入单位名称/地址 is fine until some approved row needs them."""
    missing = [c.value for c in UNIT_COLUMNS if c not in sheet.columns]
    if not missing:
        return
    rows = [r.row for r in checked if any(e.code == "unit_field_missing" for e in r.errors)]
    if rows:
        shown = "、".join(map(str, rows[:5])) + ("等" if len(rows) > 5 else "")
        raise BatchFileError(
            f"名单缺少“{'”、“'.join(missing)}”列：升学、就业的团员须填写转入单位（录取学校或工作单位）的名称和详细地址"
            f"（第 {shown} 行）。请在表头中增加这{'两' if len(missing) == 2 else '一'}列并逐行填写，"
            "或用 `rpa template 名单.xlsx` 生成新模板。"
        )


@dataclass
class Sheet:
    """The first visible sheet, split into preamble, header and data rows (internal)."""

    sheet_name: str
    header_row: int
    headers: list[str]
    columns: dict[Col, int]
    extra_columns: dict[str, int]
    rows: list[SheetRow]
    preamble: list[tuple]
    width: int


def read_sheet(path: Path) -> Sheet:
    """Read the first visible sheet of the workbook at `path`; BatchFileError if unreadable."""
    from rpa.workbook import read_first_visible_sheet

    data = read_first_visible_sheet(path)
    return _split_sheet(data.name, data.rows, data.merged, data.no_value)


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _header_key(value: Any) -> str:
    return "" if value is None else fold(str(value))


def _match_headers(values: tuple) -> dict[Col, list[int]]:
    found: dict[Col, list[int]] = {}
    for i, v in enumerate(values):
        col = _HEADER_LOOKUP.get(_header_key(v))
        if col is not None:
            found.setdefault(col, []).append(i)
    return found


def _split_sheet(name: str, grid: list[list], merged: list, no_value: dict[int, set[int]]) -> Sheet:
    head = grid[:HEADER_SCAN_ROWS]
    header_idx = next((i for i, values in enumerate(head[:HEADER_ROWS])
                       if all(c in _match_headers(values) for c in REQUIRED_HEADERS)), None)
    if header_idx is None:
        _explain_missing_header(name, head, merged)

    header_values = head[header_idx]
    headers = ["" if _is_blank(v) else str(v).strip() for v in header_values]
    while headers and not headers[-1]:
        headers.pop()
    found = _match_headers(header_values)
    for col, positions in found.items():
        if len(positions) > 1:
            from openpyxl.utils import get_column_letter

            letters = "、".join(get_column_letter(p + 1) for p in positions)
            raise BatchFileError(
                f"表头“{col.value}”出现了 {len(positions)} 次（第 {letters} 列）：请删除或改名多余的列，每个表头只保留一列。"
            )
    columns = {col: positions[0] for col, positions in found.items()}
    known = set(columns.values())
    extra_columns: dict[str, int] = {}
    for i, h in enumerate(headers):
        if i not in known and h:
            key = h if h not in extra_columns else f"{h}({i + 1})"
            extra_columns[key] = i

    rows: list[SheetRow] = []
    for number in range(header_idx + 2, len(grid) + 1):
        values = grid[number - 1]
        missing = no_value.get(number)
        if not missing and _blank_row(values):
            continue
        rows.append(SheetRow(number, tuple(values), frozenset(missing or ())))
        if len(rows) > MAX_DATA_ROWS:
            raise BatchFileError(
                f"工作表“{name}”的数据超过 {MAX_DATA_ROWS} 行（读到第 {number} 行时停止）："
                "请把名单拆分成多个批次，或删除表格下方多余的行后再试。"
            )
    return Sheet(
        sheet_name=name,
        header_row=header_idx + 1,
        headers=headers,
        columns=columns,
        extra_columns=extra_columns,
        rows=rows,
        preamble=[tuple(v) for v in head[:header_idx]],
        width=len(grid[0]) if grid else 0,
    )


def _blank_row(values: list) -> bool:
    for v in values:  # returns at the first filled cell: cheap for the rows that matter
        if v != "" and v is not None and not (type(v) is str and not v.strip()):
            return False
    return True


def _explain_missing_header(name: str, head: list[list], merged: list[tuple[int, int, int, int]]) -> None:
    """Raise the most helpful BatchFileError for a sheet without a usable header row."""
    required = [c.value for c in REQUIRED_HEADERS]
    if all(all(_is_blank(v) for v in values) for values in head):
        raise BatchFileError(f"工作表“{name}”是空的：请把名单放在第一个工作表中（表头在前 {HEADER_ROWS} 行内）。")
    for i, values in enumerate(head[HEADER_ROWS:], start=HEADER_ROWS + 1):
        if all(c in _match_headers(values) for c in REQUIRED_HEADERS):
            raise BatchFileError(
                f"表头在第 {i} 行，但必须在前 {HEADER_ROWS} 行内：请删除表头上方多余的行（如标题、说明）后再试。"
            )
    best_idx, best = 0, {}
    for i, values in enumerate(head[:HEADER_ROWS]):
        found = _match_headers(values)
        if len(found) > len(best):
            best_idx, best = i, found
    if not best:
        raise BatchFileError(
            f"在工作表“{name}”的前 {HEADER_ROWS} 行中找不到表头：需要 {'、'.join(required)} 等列。"
            "可用 `rpa template 名单.xlsx` 生成标准模板。"
        )
    missing = [c.value for c in REQUIRED_HEADERS if c not in best]
    message = f"工作表“{name}”第 {best_idx + 1} 行的表头缺少：{'、'.join(missing)}。请补上这些列（表头文字须一致）。"
    row = best_idx + 1
    if any(top <= row <= bottom for top, _, bottom, _ in merged):
        message += "该行有合并单元格：请取消合并，每列单独写一个表头。"
    raise BatchFileError(message)

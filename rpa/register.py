"""register.xlsx: 保留团组织关系登记册, the members who stay at school instead of being transferred.

出国（境）留学 rows carry the four abroad columns (notice item 3, FAQ 6); 未落实（保留在校） rows
carry 保留截止日期 = graduation date + 6 months (FAQ 10, 14). Full ID numbers are written here on
purpose: the register is the school's record (SPEC §5).
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from pathlib import Path

from rpa.batch import CheckedRow, TransferRow
from rpa.files import atomic_output
from rpa.vocabulary import Destination

TITLE = "保留团组织关系登记册"
SHEET_NAME = "登记册"
RETENTION_MONTHS = 6
HEADERS = [
    "序号", "名单行号", "姓名", "身份证号", "手机号", "所在团支部", "毕业去向", "保留原因",
    "境外学习地点", "境外学习期限", "境内联系人", "境内联系人电话", "保留截止日期", "备注",
]
RETAINED = (Destination.STUDY_ABROAD, Destination.UNPLACED_KEPT)
_REASONS = {
    Destination.STUDY_ABROAD: "出国（境）学习研究，团组织关系保留在原就读学校",
    Destination.UNPLACED_KEPT: "未落实毕业去向，在原就读学校保留团组织关系（一般不超过 6 个月）",
}


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` plus `months` calendar months, clamped to the month's end (8-31 + 6 → 2-28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_deadline(graduation_date: dt.date) -> dt.date:
    """保留截止日期 of a 未落实（保留在校） member."""
    return add_months(graduation_date, RETENTION_MONTHS)


def write_register(rows: Iterable[TransferRow | CheckedRow], path: Path, graduation_date: dt.date) -> int:
    """Write the register of the retained rows among `rows` to `path`; returns how many.

    `rows` may be TransferRows or CheckedRows (their `.data`); rows that are not retained are
    ignored, so the whole batch can be passed. Written atomically, mode 0600.
    """
    from rpa.xlsx import HEADER, TEXT, SafeBook

    retained: list[TransferRow] = []
    for item in rows:
        data = item.data if isinstance(item, CheckedRow) else item
        if data is not None and data.destination in RETAINED:
            retained.append(data)
    deadline = retention_deadline(graduation_date)
    widths = [6, 8, 10, 22, 14, 40, 16, 36, 24, 20, 12, 16, 14, 30]

    with atomic_output(Path(path)) as tmp:
        book = SafeBook(tmp)
        sheet = book.sheet(SHEET_NAME, widths=dict(enumerate(widths)))
        sheet.write(0, 0, f"{TITLE}（毕业日期 {graduation_date.isoformat()}）", HEADER)
        for col, h in enumerate(HEADERS):
            sheet.write(1, col, h, HEADER)
        for n, r in enumerate(retained, start=1):
            kept = r.destination is Destination.UNPLACED_KEPT
            sheet.write_row(n + 1, [
                n, r.row, r.name, None, r.phone, r.branch, r.destination.value, _REASONS[r.destination],
                r.abroad_place, r.abroad_term, r.domestic_contact, r.domestic_contact_phone,
                deadline if kept else None, r.remark,
            ])
            sheet.write(n + 1, 3, r.id_number, TEXT)
        book.close()
    return len(retained)


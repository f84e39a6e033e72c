"""Mainland ID numbers (GB 11643-1999): the check character and what makes one valid."""

from __future__ import annotations

import datetime as dt
import operator
import re

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
_EARLIEST_BIRTH = dt.date(1900, 1, 1)
ID_FORMAT_RE = re.compile(r"^\d{17}[\dX]$")


def id_check_digit(first17: str) -> str:
    """The GB 11643-1999 check character for the first 17 digits of an ID number."""
    total = sum(map(operator.mul, map(int, first17), ID_WEIGHTS))
    return ID_CHECK_CHARS[total % 11]


def check_id_number(id_number: str, today: dt.date | None = None) -> tuple[str, str] | None:
    """None when `id_number` (upper-case) is a valid 18-character ID; else (code, message)."""
    if not ID_FORMAT_RE.match(id_number):
        return "id_format", (
            f"身份证号应为 18 位（17 位数字加 1 位数字或 X），现在是 {len(id_number)} 个字符或含有其他字符：请核对后重新填写。"
        )
    try:
        birth = dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        birth = None
    if birth is None or not (_EARLIEST_BIRTH <= birth <= (today or dt.date.today())):
        return "id_birth_date", "身份证号第 7–14 位的出生日期不是有效日期：请核对身份证号。"
    if id_check_digit(id_number[:17]) != id_number[17]:
        return "id_check_digit", "身份证号最后一位校验码不正确（按 GB 11643 计算）：请对照身份证逐位核对。"
    return None

"""register.xlsx: 保留团组织关系登记册 of the members who stay at school."""

from __future__ import annotations

import datetime as dt
import os
import stat

from openpyxl import load_workbook

from rpa.batch import load_batch
from rpa.register import HEADERS, add_months, retention_deadline, write_register

from test_batch_kit import good_row, member, write_batch

ABROAD = {"境外学习地点": "+英国伦敦", "境外学习期限": "2021.09–2022.09", "境内联系人": "张父", "境内联系人电话": "13912345678"}


def test_the_register_lists_the_retained_rows_with_abroad_details_and_a_deadline(tmp_path):
    batch = load_batch(write_batch(tmp_path / "b.xlsx", [
        good_row(身份证号=member(1)),
        good_row(身份证号=member(2), 毕业去向="出国（境）留学", **ABROAD),
        good_row(身份证号=member(3), 毕业去向="未落实（保留在校）"),
    ]))
    n = write_register(batch.rows, tmp_path / "register.xlsx", dt.date(2021, 6, 30))
    assert n == 2
    ws = load_workbook(tmp_path / "register.xlsx").active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=3)]
    by = [dict(zip(HEADERS, r)) for r in rows]
    assert [r["名单行号"] for r in by] == [3, 4]
    assert by[0]["身份证号"] == member(2) and by[0]["境外学习地点"] == "+英国伦敦" and by[0]["保留截止日期"] is None
    place = ws.cell(row=3, column=HEADERS.index("境外学习地点") + 1)
    assert place.data_type == "s" and place.quotePrefix
    assert by[1]["保留截止日期"].date() == dt.date(2021, 12, 30)
    assert stat.S_IMODE(os.stat(tmp_path / "register.xlsx").st_mode) == 0o600


def test_the_deadline_is_six_months_after_graduation_clamped_to_the_month_end():
    assert retention_deadline(dt.date(2021, 6, 30)) == dt.date(2021, 12, 30)
    assert add_months(dt.date(2021, 8, 31), 6) == dt.date(2022, 2, 28)
    assert add_months(dt.date(2023, 8, 31), 6) == dt.date(2024, 2, 29)


def test_an_empty_register_still_has_its_headers(tmp_path):
    assert write_register([], tmp_path / "r.xlsx", dt.date(2021, 6, 30)) == 0
    ws = load_workbook(tmp_path / "r.xlsx").active
    assert [c.value for c in ws[2]] == HEADERS

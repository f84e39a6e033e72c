"""Random small workbooks never crash the reader: it gives rows or a BatchFileError, and the
outputs of `rpa validate` can always be written for what it read."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from rpa.batch import BatchFileError, load_batch
from rpa.validate import validation_json, write_checked

from test_batch_kit import HEADERS, make_id

texts = st.sampled_from([
    "", " ", "已审批", "待审批", "升学", "就业(有团组织)", "参军入伍", "出国（境）留学", "是", "否", "北京",
    "团湖北省委/三峡大学团委", "团北京市委/x", "a/b/c", "=1+1", "+86", "-", "@x", "#N/A", "13812345678",
    make_id(), make_id().lower(), "x" * 120, "中\x01文", "<b>&amp;</b>",
]) | st.text(max_size=12)
cells = st.one_of(
    st.none(), texts, st.integers(min_value=-10**18, max_value=10**18),
    st.floats(allow_nan=False, allow_infinity=False), st.booleans(),
    st.datetimes(min_value=dt.datetime(1901, 1, 1), max_value=dt.datetime(2100, 1, 1)),
)


@st.composite
def workbooks(draw):
    n_cols = draw(st.integers(min_value=0, max_value=18))
    header_at = draw(st.integers(min_value=0, max_value=7))  # 0 = no header row
    n_rows = draw(st.integers(min_value=0, max_value=8))
    headers = draw(st.permutations(HEADERS + ["学号", "班级"]))[:n_cols]
    rows = [[draw(cells) for _ in range(n_cols)] for _ in range(n_rows)]
    if header_at:
        rows.insert(min(header_at - 1, len(rows)), headers)
    return rows, draw(st.booleans())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workbooks())
def test_random_workbooks_give_rows_or_a_batch_file_error(case):
    rows, hide_first = case
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "b.xlsx"
        wb = Workbook()
        ws = wb.active
        if hide_first:
            ws.append(["隐藏"])
            ws.sheet_state = "hidden"
            ws = wb.create_sheet("名单")
        for r in rows:
            ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in r])
        wb.save(path)
        try:
            batch = load_batch(path)
        except BatchFileError as exc:
            assert exc.message
            return
        for r in batch.rows:
            assert r.row > batch.header_row
            assert r.status.value in ("valid", "invalid", "skipped", "retained")
            assert (r.data is None) or r.data.row == r.row
        json.loads(validation_json(batch))
        write_checked(batch, Path(tmp) / "checked.xlsx")
        assert load_batch(Path(tmp) / "checked.xlsx").header_row == batch.header_row

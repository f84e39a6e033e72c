"""`rpa template`: the empty batch a secretary starts from."""

from __future__ import annotations

import os
import stat

from openpyxl import load_workbook

from rpa.batch import Col, RowStatus, load_batch
from rpa.template import HELP_SHEET_NAME, SHEET_NAME, write_template
from rpa.vocabulary import Destination


def test_the_template_has_the_spec_headers_and_an_example_row_that_is_skipped(tmp_path):
    write_template(tmp_path / "t.xlsx")
    batch = load_batch(tmp_path / "t.xlsx")
    assert batch.sheet_name == SHEET_NAME and batch.headers == [c.value for c in Col]
    (example,) = batch.rows
    assert example.status is RowStatus.SKIPPED and example.errors == []


def test_id_and_phone_columns_are_text(tmp_path):
    write_template(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")[SHEET_NAME]
    assert ws["B3"].number_format == "@" and ws["C3"].number_format == "@"
    assert ws.column_dimensions["B"].number_format == "@"


def test_the_closed_columns_have_dropdowns(tmp_path):
    write_template(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")[SHEET_NAME]
    lists = {str(dv.sqref).split(":")[0][0]: dv.formula1 for dv in ws.data_validations.dataValidation}
    assert set(lists) == {"F", "G", "H", "J", "R"}
    assert all(d.value in lists["F"] for d in Destination)
    assert lists["G"] == '"是,否"' and "已审批" in lists["R"] and "高等职业院校" in lists["J"]


def test_the_help_sheet_explains_every_column_and_destination_in_the_notices_terms(tmp_path):
    write_template(tmp_path / "t.xlsx")
    ws = load_workbook(tmp_path / "t.xlsx")[HELP_SHEET_NAME]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value)
    assert all(c.value in text for c in Col) and all(d.value in text for d in Destination)
    assert "三峡大学" in text and "团湖北省委" in text
    assert "转往特殊单位团组织" in text and "保留团组织关系登记册" in text
    assert "中央和国家机关团工委" in text


def test_the_template_file_is_private(tmp_path):
    write_template(tmp_path / "t.xlsx")
    assert stat.S_IMODE(os.stat(tmp_path / "t.xlsx").st_mode) == 0o600


def test_the_rpa_template_command_writes_a_template_that_validates(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    rpa = Path(sys.executable).with_name("rpa")
    made = subprocess.run([str(rpa), "template", str(tmp_path / "名单.xlsx")], capture_output=True, text=True, timeout=60)
    assert made.returncode == 0 and "Traceback" not in made.stderr
    checked = subprocess.run([str(rpa), "validate", str(tmp_path / "名单.xlsx")], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "跳过" in checked.stdout

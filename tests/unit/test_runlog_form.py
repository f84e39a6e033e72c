"""`RunRecord.form`: the transfer form as read back, kept in run.jsonl only when there is one."""

from __future__ import annotations

import json

from rpa.rowview import forms_from
from rpa.runlog import RunLog, RunRecord, Status, now_iso, read_records

FORM = {"转出人姓名": "张伟", "转出人身份证号码": "3701**********5585", "转出原因": "升学"}


def test_a_record_without_a_read_back_is_written_as_before(tmp_path):
    line = RunRecord(ts=now_iso(), row=3, status=Status.started).to_line()
    assert "form" not in json.loads(line)


def test_a_read_back_survives_the_log_and_the_latest_one_of_a_row_wins(tmp_path):
    path = tmp_path / "run.jsonl"
    with RunLog(path) as log:
        log.append(RunRecord(ts=now_iso(), row=3, status=Status.filled, form={**FORM, "转出原因": "其他"}))
        log.append(RunRecord(ts=now_iso(), row=3, status=Status.filled, form=FORM))
        log.append(RunRecord(ts=now_iso(), row=3, status=Status.submitted))  # the final record has none
        log.append(RunRecord(ts=now_iso(), row=4, status=Status.previewed))

    records = read_records(path)

    assert records[1].form == FORM and list(records[1].form) == list(FORM)  # the form's order is kept
    assert forms_from(records) == {3: FORM}

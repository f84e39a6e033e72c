"""run.jsonl on real files: fsynced appends, a torn last line, masking, the run.json sidecar."""

from __future__ import annotations

import json
import os
import stat

import pytest

from rpa.errors import ConfigError, OrgNotFound
from rpa.runlog import (
    ErrorInfo,
    RunLog,
    RunMeta,
    RunRecord,
    Status,
    last_attempts,
    last_states,
    mask_id,
    now_iso,
    read_records,
    scrub,
)

ID = "37011220030713558X"


def rec(row: int, status: Status, attempt: int = 1, **kw) -> RunRecord:
    return RunRecord(ts=now_iso(), row=row, status=status, attempt=attempt, member=mask_id(ID), **kw)


def test_every_record_is_one_json_line_with_the_spec_fields(tmp_path):
    path = tmp_path / "run.jsonl"
    with RunLog(path) as log:
        log.append(rec(3, Status.started))
        log.append(rec(3, Status.failed, error=ErrorInfo(kind="busy", message="系统繁忙，请稍后再试")))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert set(first) == {"ts", "row", "status", "attempt", "error", "screenshot", "member"}
    assert first["member"] == "3701**********558X"
    assert json.loads(lines[1])["error"] == {"kind": "busy", "message": "系统繁忙，请稍后再试"}


def test_each_append_is_flushed_and_fsynced_before_it_returns(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    path = tmp_path / "run.jsonl"
    log = RunLog(path)
    for n in range(3):
        log.append(rec(n + 2, Status.started))
        # Another reader sees the record at once: it is on disk, not in a buffer.
        assert len(read_records(path)) == n + 1
    assert len(synced) == 3
    log.close()


def test_the_log_file_is_private_to_the_user(tmp_path):
    path = tmp_path / "run.jsonl"
    RunLog(path).close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_torn_last_line_is_ignored_when_reading(tmp_path):
    path = tmp_path / "run.jsonl"
    with RunLog(path) as log:
        log.append(rec(3, Status.submitted))
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"ts":"2025-07-01T10:00:00+08:00","row":4,"sta')  # the crash came mid-write
    records = read_records(path)
    assert [(r.row, r.status) for r in records] == [(3, Status.submitted)]


def test_reopening_a_log_with_a_torn_line_cuts_it_and_appends_cleanly(tmp_path):
    path = tmp_path / "run.jsonl"
    with RunLog(path) as log:
        log.append(rec(3, Status.submitted))
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"ts":"x","row":4,"status":"subm')
    with RunLog(path) as log:
        log.append(rec(4, Status.submitted))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["row"] for line in lines] == [3, 4]


def test_a_log_that_is_only_a_torn_line_reads_as_empty(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_text('{"ts":"x","ro', encoding="utf-8")
    assert read_records(path) == []
    RunLog(path).close()
    assert path.read_bytes() == b""


def test_the_last_state_and_attempt_of_every_row_come_from_the_latest_records(tmp_path):
    records = [rec(3, Status.started, 1), rec(3, Status.in_doubt, 1), rec(4, Status.previewed, 1),
               rec(3, Status.submitted, 2)]
    assert {r: s.status for r, s in last_states(records).items()} == {3: Status.submitted, 4: Status.previewed}
    assert last_attempts(records) == {3: 2, 4: 1}


def test_id_numbers_in_messages_are_masked_and_the_password_blanked():
    text = f"身份证号 {ID} 的团员已有业务；密码 Dzxy@2021 错误；电话 13812345678 不变"
    out = scrub(text, ("Dzxy@2021",))
    assert ID not in out and "3701**********558X" in out
    assert "Dzxy@2021" not in out
    assert "13812345678" in out


def test_an_error_record_keeps_the_kind_and_the_chinese_message_of_the_exception():
    info = ErrorInfo.of(OrgNotFound("团湖北省委", "三峡大学", ["三峡大学团委", "武汉大学团委"]))
    assert info.kind == "org_not_found"
    assert "在“团湖北省委”下找不到“三峡大学”" in info.message


def test_run_json_remembers_the_batch_and_refuses_a_garbled_file(tmp_path):
    meta = RunMeta(batch_path="/x/batch.xlsx", batch_sha256="ab" * 32, mode="submit", started_at=now_iso())
    meta.save(tmp_path)
    assert stat.S_IMODE((tmp_path / "run.json").stat().st_mode) == 0o600
    assert RunMeta.load(tmp_path).batch_sha256 == "ab" * 32
    (tmp_path / "run.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(ConfigError, match="run.json"):
        RunMeta.load(tmp_path)

"""`rpa status DIR` on real run folders: every row not done, with its name and reason, and only the
advice that applies."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from rich.console import Console

from batchmaker import ABROAD, SANXIA, masked
from report_kit import FORM_ROW_3, MEMBERS, NAMES, mixed_run, record, write_run
from rpa.demo import plan_rows, write_batch
from rpa.runlog import Status
from rpa.runner.folder import FolderLock
from rpa.status import show_status

RPA = Path(sys.executable).with_name("rpa")


def status_of(out: Path) -> str:
    console = Console(file=io.StringIO(), width=200, highlight=False, color_system=None)
    assert show_status(out, console=console) == 0
    return console.file.getvalue()


def files_of(folder: Path) -> dict[Path, tuple[int, int]]:
    return {p: (p.stat().st_mtime_ns, p.stat().st_size) for p in folder.rglob("*") if p.is_file()}


def table_line(text: str, row: int) -> str:
    """The line of the rows table that starts with row number `row`."""
    return next(line for line in text.splitlines() if line.strip("│ ").startswith(f"{row} "))


def test_every_row_not_done_is_listed_with_its_name_beside_the_masked_id_and_its_reason(tmp_path):
    out = write_run(tmp_path, mixed_run("submit"), mode="submit")

    text = status_of(out)

    assert "需要处理的行（4）" in text
    reasons = {5: "门户繁忙（系统繁忙，请稍后再试），已重试 4 次。", 8: "“手机号”应为 11 位手机号",
               9: "尚未办理（运行在此行之前停止）", 10: "提交后未收到门户答复"}
    for row, reason in reasons.items():
        line = table_line(text, row)
        assert NAMES[row - 3] in line and masked(MEMBERS[row - 3]["id_number"]) in line, line
        assert reason in line, line
    # Names that look like console markup are printed as they are.
    assert "王[/]" in table_line(text, 5) and "[bold]杨帆" in table_line(text, 9)
    for done in (3, 4, 6, 7):
        assert not any(line.strip("│ ").startswith(f"{done} ") for line in text.splitlines())
    assert all(m["id_number"] not in text for m in MEMBERS)


def test_retry_is_advised_for_the_rows_a_retry_can_help_and_a_fix_for_the_others(tmp_path):
    out = write_run(tmp_path, mixed_run("preview"))

    text = status_of(out)

    advice = text.split("下一步：")[1].split("文件：")[0]
    assert f"rpa retry {out} 办理其余 2 行（第 5、9 行）" in advice
    assert "1 行数据有误（第 8 行）" in advice
    assert "1 行门户不接受（第 10 行" in advice  # the org is not in the tree: a retry won't help
    assert "rpa login" not in text


def test_rpa_login_is_advised_only_when_the_portal_asked_for_a_captcha(tmp_path):
    records = [record(3, Status.started),
               record(3, Status.failed, kind="captcha_required", message="门户要求输入验证码，无法自动登录。")]
    out = write_run(tmp_path, records)

    text = status_of(out)

    assert "门户要求输入验证码" in table_line(text, 3)
    assert "请先运行 rpa login 登录" in text
    assert f"rpa retry {out}" in text


def test_a_finished_submit_with_every_row_done_gives_no_advice(tmp_path):
    batch = write_batch(tmp_path / "名单.xlsx", plan_rows(MEMBERS[:2], [SANXIA, ABROAD]))
    out = write_run(tmp_path, [record(3, Status.submitted, form=FORM_ROW_3), record(4, Status.retained)],
                    mode="submit", batch=batch)

    text = status_of(out)

    assert "所有行都已完成，无需处理。" in text
    assert "下一步" not in text and "rpa retry" not in text and "rpa login" not in text
    assert "需要处理的行" not in text
    assert "运行记录：" in text and "report.html" not in text  # only the files that exist are named


def test_a_finished_preview_points_to_the_submit_command(tmp_path):
    batch = write_batch(tmp_path / "名单.xlsx", plan_rows(MEMBERS[:2], [SANXIA, ABROAD]))
    out = write_run(tmp_path, [record(3, Status.previewed), record(4, Status.retained)], batch=batch)

    text = status_of(out)

    assert "所有行都已完成" in text
    assert "rpa submit 名单.xlsx --out 新的输出目录" in text and "rpa retry" not in text


def test_when_the_batch_is_gone_status_says_so_once_and_shows_what_the_log_has(tmp_path):
    out = write_run(tmp_path, mixed_run("preview"))
    (tmp_path / "名单.xlsx").unlink()

    text = status_of(out)

    assert text.count("找不到本次运行所用的名单") == 1
    assert masked(MEMBERS[2]["id_number"]) in table_line(text, 5)
    assert "门户繁忙" in table_line(text, 5)
    assert "王[/]" not in text  # no batch, no names


def test_status_runs_while_a_run_holds_the_folder_and_changes_nothing(tmp_path):
    out = write_run(tmp_path, mixed_run("preview"))
    before = files_of(tmp_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")} | {"COLUMNS": "200"}

    with FolderLock(out):  # a run is going in this folder
        done = subprocess.run([str(RPA), "status", str(out)], env=env, capture_output=True, text=True,
                              encoding="utf-8", timeout=60)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "王[/]" in done.stdout and "[bold]杨帆" in done.stdout and "Traceback" not in done.stderr
    lock = out / "run.lock"  # the run's, not status's
    assert {p: v for p, v in files_of(tmp_path).items() if p != lock} == before

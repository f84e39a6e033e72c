"""The `rpa` command as a secretary runs it: a real process, real Chromium, the real mock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from rpa.demo import pick_members, plan_rows, write_batch

RPA = Path(sys.executable).with_name("rpa")
ARMY = {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否"}
SANXIA = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委",
          "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号"}
MISSING_ORG = {**SANXIA, "转入组织": "团湖北省委/三峡大学"}
ABROAD = {"毕业去向": "出国（境）留学", "境外学习地点": "日本 东京大学", "境外学习期限": "2025.10–2027.09",
          "境内联系人": "李华", "境内联系人电话": "13905341234"}


def rpa(*args: str, env: dict[str, str], cwd: Path, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run([str(RPA), *args], env=env, cwd=cwd, capture_output=True, text=True,
                          encoding="utf-8", timeout=timeout)


def portal_env(settings, tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RPA_")}
    env.update(
        RPA_PORTAL_URL=settings.portal_url,
        RPA_USERNAME=settings.username,
        RPA_PASSWORD=settings.password.get_secret_value(),
        RPA_MIN_INTERVAL_S="0",
        RPA_TIMEOUT_MS="10000",
        RPA_SESSION_FILE=str(tmp_path / "session.json"),
        COLUMNS="160",
    )
    return env


def test_preview_then_status_then_submit_from_the_command_line(tmp_path, portal, settings):
    rows = plan_rows(pick_members(portal.members(), 3), [SANXIA, MISSING_ORG, ABROAD])
    batch = write_batch(tmp_path / "名单.xlsx", rows)
    env = portal_env(settings, tmp_path)

    preview = rpa("preview", str(batch), "--out", "out-preview", env=env, cwd=tmp_path)

    assert preview.returncode == 1, preview.stdout + preview.stderr
    assert portal.applications() == []
    log = [json.loads(x) for x in (tmp_path / "out-preview" / "run.jsonl").read_text().splitlines()]
    final = {r["row"]: r for r in log}
    assert final[3]["status"] == "previewed" and final[5]["status"] == "retained"
    # A path that isn't in the portal's tree: the row is invalid and says what the parent holds.
    assert final[4]["status"] == "invalid" and "三峡大学团委" in final[4]["error"]["message"]
    assert "Traceback" not in preview.stderr

    status = rpa("status", "out-preview", env=env, cwd=tmp_path)
    assert status.returncode == 0
    assert "已预览" in status.stdout and "数据有误" in status.stdout and "需要处理的行" in status.stdout

    submit = rpa("submit", "--yes", str(batch), "--out", "out-submit", env=env, cwd=tmp_path)
    assert submit.returncode == 1
    assert [a["id_number"] for a in portal.applications()] == [rows[0]["身份证号"]]

    shown = preview.stdout + preview.stderr + status.stdout + submit.stdout + submit.stderr
    assert env["RPA_PASSWORD"] not in shown
    for r in rows:
        assert r["身份证号"] not in shown
    for name in ("run.jsonl", "report.html", "run.json"):
        text = (tmp_path / "out-submit" / name).read_text(encoding="utf-8")
        assert env["RPA_PASSWORD"] not in text
        assert not any(r["身份证号"] in text for r in rows)


def test_a_changed_batch_and_a_missing_portal_stop_with_exit_code_2_and_a_plain_message(tmp_path, portal, settings):
    rows = plan_rows(pick_members(portal.members(), 1), [ARMY])
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    env = portal_env(settings, tmp_path)
    assert rpa("preview", str(batch), "--out", "out", env=env, cwd=tmp_path).returncode == 0
    write_batch(batch, plan_rows(pick_members(portal.members(), 1, start=1), [ARMY]))

    changed = rpa("preview", str(batch), "--out", "out", env=env, cwd=tmp_path)

    assert changed.returncode == 2  # no member in common: another batch, not a corrected one
    assert "属于另一份名单" in changed.stdout and "Traceback" not in changed.stderr

    gone = rpa("submit", "--yes", str(batch), "--out", "out2", env=dict(env, RPA_PORTAL_URL="http://127.0.0.1:9"),
               cwd=tmp_path)
    assert gone.returncode == 2, gone.stdout + gone.stderr
    assert "无法连接门户" in gone.stdout and "Traceback" not in gone.stderr
    assert portal.applications() == []


def submit_until(batch: Path, env: dict[str, str], cwd: Path, reached) -> subprocess.Popen:
    """`rpa submit … --out out` in a process group of its own (as a terminal runs it), returned
    once `reached(run.jsonl's text)` holds (or after two minutes)."""
    log = cwd / "out" / "run.jsonl"
    proc = subprocess.Popen([str(RPA), "submit", "--yes", str(batch), "--out", "out"], env=env, cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8",
                            start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if log.exists() and reached(log.read_text(encoding="utf-8")):
            break
        time.sleep(0.1)  # polling a file the child writes, not waiting for a page
    return proc


def test_ctrl_c_finishes_the_row_in_flight_writes_the_summary_and_retry_does_the_rest(tmp_path, portal, settings):
    rows = plan_rows(pick_members(portal.members(), 4), [ARMY] * 4)
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    env = portal_env(settings, tmp_path)
    log = tmp_path / "out" / "run.jsonl"
    proc = submit_until(batch, env, tmp_path, lambda text: '"submitted"' in text)
    os.killpg(proc.pid, signal.SIGINT)  # what a terminal does on Ctrl-C: the whole process group
    output, _ = proc.communicate(timeout=120)

    assert proc.returncode == 1, output
    assert "Ctrl-C" in output and "Traceback" not in output
    last = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        last[record["row"]] = record["status"]
    assert set(last.values()) == {"submitted"}  # the row in flight finished; nothing half-done
    assert len(portal.applications()) == len(last) < 4
    assert (tmp_path / "out" / "results.xlsx").exists() and (tmp_path / "out" / "report.html").exists()

    retry = rpa("retry", "out", env=env, cwd=tmp_path)
    assert retry.returncode == 0, retry.stdout
    assert sorted(a["id_number"] for a in portal.applications()) == sorted(r["身份证号"] for r in rows)


def test_a_second_ctrl_c_stops_at_once_still_writes_the_outputs_and_says_how_to_go_on(tmp_path, portal, settings):
    rows = plan_rows(pick_members(portal.members(), 4), [ARMY] * 4)
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    # A pause between two submissions: the second Ctrl-C lands while a row waits to be clicked.
    env = dict(portal_env(settings, tmp_path), RPA_MIN_INTERVAL_S="5")
    proc = submit_until(batch, env, tmp_path, lambda text: text.count('"filled"') >= 2)
    os.killpg(proc.pid, signal.SIGINT)
    time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGINT)  # impatient: stop now
    output, _ = proc.communicate(timeout=120)

    assert proc.returncode == 1, output
    assert "再次按 Ctrl-C" in output and "rpa retry" in output and "Traceback" not in output
    assert (tmp_path / "out" / "results.xlsx").exists() and (tmp_path / "out" / "report.html").exists()
    assert len(portal.applications()) < 4

    retry = rpa("retry", "out", env=env, cwd=tmp_path)
    assert retry.returncode == 0, retry.stdout
    assert sorted(a["id_number"] for a in portal.applications()) == sorted(r["身份证号"] for r in rows)

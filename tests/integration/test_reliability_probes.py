"""What probing found (issue 15): two runs on one folder, a garbled log, the password in child
processes, a circuit breaker that stopped runs against a portal that only errs now and then."""

from __future__ import annotations

import json
from pathlib import Path

from batchmaker import (
    ARMY,
    SANXIA,
    SECRET,
    applications_per_member,
    console_of,
    descendants,
    portal_env,
    records,
    rpa,
    spawn_rpa,
    wait_for_records,
    why,
)
from rpa.browser import DRIVER_NODE_OPTIONS
from rpa.demo import pick_members, plan_rows, write_batch
from rpa.runlog import RunMeta, file_sha256, now_iso


def batch_of(tmp_path: Path, portal, plan: list[dict], *, start: int = 0) -> tuple[Path, list[dict]]:
    rows = plan_rows(pick_members(portal.members(), len(plan), start=start), plan)
    return write_batch(tmp_path / "名单.xlsx", rows), rows


def proc_file(pid: int, name: str) -> bytes:
    """/proc/PID/NAME (environ, cmdline), or nothing once the process is gone."""
    try:
        return Path(f"/proc/{pid}/{name}").read_bytes()
    except OSError:
        return b""


def test_a_second_run_on_a_folder_in_use_exits_2_naming_the_process_and_status_still_reads(
        tmp_path, portal, account, mock_server):
    batch, rows = batch_of(tmp_path, portal, [ARMY, SECRET] * 3)
    # A pause between two submissions keeps the first run busy while the others try the folder.
    env = portal_env(mock_server.url, account, tmp_path, RPA_MIN_INTERVAL_S="2")
    first = spawn_rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path, log=tmp_path / "first.log")
    try:
        assert wait_for_records(tmp_path / "out", "submitting", 1, first), why(tmp_path / "out")
        second = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)
        retried = rpa("retry", "out", env=env, cwd=tmp_path)
        status = rpa("status", "out", env=env, cwd=tmp_path)
        assert first.wait(timeout=240) == 0, (tmp_path / "first.log").read_text(encoding="utf-8")
    finally:
        if first.poll() is None:
            first.kill()

    for other in (second, retried):
        assert other.returncode == 2, console_of(other)
        assert f"该输出目录正在被另一个运行使用（进程 {first.pid}）" in other.stdout, console_of(other)
        assert "Traceback" not in other.stdout + other.stderr
    assert status.returncode == 0, console_of(status)
    # Each member once; only the first run ever wrote to the log.
    assert dict(applications_per_member(portal)) == {r["身份证号"]: 1 for r in rows}
    assert sum(1 for r in records(tmp_path / "out") if r["status"] == "submitting") == len(rows)


def test_the_password_reaches_neither_the_driver_nor_the_browser(tmp_path, portal, account, mock_server):
    batch, _ = batch_of(tmp_path, portal, [ARMY, SECRET, ARMY])
    env = portal_env(mock_server.url, account, tmp_path, RPA_MIN_INTERVAL_S="1")
    proc = spawn_rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path, log=tmp_path / "console.log")
    try:
        assert wait_for_records(tmp_path / "out", "started", 1, proc), why(tmp_path / "out")
        children = {pid: proc_file(pid, "environ") for pid in descendants(proc.pid) if pid != proc.pid}
        commands = {pid: proc_file(pid, "cmdline") for pid in children}
        assert proc.wait(timeout=240) == 0
    finally:
        if proc.poll() is None:
            proc.kill()

    read = {pid: env_bytes for pid, env_bytes in children.items() if env_bytes}
    assert read, "no child process environment could be read"
    password = account["password"].encode()
    assert [pid for pid, env_bytes in read.items() if b"RPA_PASSWORD" in env_bytes or password in env_bytes] == []
    # What the driver did get: the Node option that keeps its young generation small.
    drivers = [env_bytes for pid, env_bytes in read.items() if b"run-driver" in commands[pid]]
    options = [next((v for v in env.split(b"\0") if v.startswith(b"NODE_OPTIONS=")), b"") for env in drivers]
    assert options and all(DRIVER_NODE_OPTIONS.encode() in value for value in options), options


def test_a_row_whose_log_line_is_garbled_is_looked_up_before_it_is_clicked_again(
        tmp_path, portal, account, mock_server, settings):
    """The log says row 3 was submitted and row 4 … something unreadable; the portal holds row 4's
    application (the click went through). Row 4 is looked up first and found: no second click."""
    batch, rows = batch_of(tmp_path, portal, [ARMY, SANXIA])
    first = write_batch(tmp_path / "first.xlsx", rows)
    env = portal_env(mock_server.url, account, tmp_path)
    assert rpa("submit", "--yes", first, "--out", "first", env=env, cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    out.mkdir()
    RunMeta(batch_path=str(batch), batch_sha256=file_sha256(batch), mode="submit", started_at=now_iso()).save(out)
    masked = [r["身份证号"][:4] + "*" * 10 + r["身份证号"][-4:] for r in rows]
    good = [{"ts": now_iso(), "row": 3, "status": s, "attempt": 1, "error": None, "screenshot": None,
             "member": masked[0]} for s in ("started", "filled", "submitting", "submitted")]
    started = {"ts": now_iso(), "row": 4, "status": "started", "attempt": 1, "error": None, "screenshot": None,
               "member": masked[1]}
    lines = [json.dumps(r) for r in good] + [json.dumps(started), '{"ts":"2025-07-01T09:3\x00\x00"row":4,"sta']
    (out / "run.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")

    again = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert again.returncode == 0, console_of(again)
    assert dict(applications_per_member(portal)) == {r["身份证号"]: 1 for r in rows}
    readable = []
    for line in (out / "run.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            readable.append(json.loads(line))
        except ValueError:
            continue  # the garbled line stays where it was
    resumed = [r["status"] for r in readable if r["row"] == 4][1:]
    assert resumed[-1] == "submitted" and "submitting" not in resumed, resumed  # found, never clicked


def test_a_portal_that_errs_one_call_in_ten_does_not_trip_the_breaker(tmp_path, portal, account, mock_server):
    plan = [ARMY, SECRET, SANXIA] * 6
    batch, rows = batch_of(tmp_path, portal, plan)
    env = portal_env(mock_server.url, account, tmp_path, RPA_CONCURRENCY="2")
    portal.faults(error_rate=0.1, seed=7)

    run = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path, timeout=600)

    portal.faults(error_rate=0)
    assert "已停止运行" not in run.stdout, console_of(run)  # the breaker never stopped the run
    assert run.returncode in (0, 1), console_of(run)
    done = {r["row"]: r["status"] for r in records(tmp_path / "out")}
    assert len(done) == len(rows), why(tmp_path / "out")  # every row reached
    assert all(n == 1 for n in applications_per_member(portal).values())

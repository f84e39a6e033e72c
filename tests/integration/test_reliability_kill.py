"""The secretary's laptop dies mid-batch: `rpa submit` is killed with SIGKILL (with its Chromium)
at three points, then the same command is run again to the end. The portal must hold exactly
one application per member and the log must end every row `submitted`.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess

import pytest

from batchmaker import (
    ARMY,
    MINISTRY,
    SANXIA,
    SECRET,
    applications_per_member,
    cmdline,
    console_of,
    descendants,
    kill_group,
    last_status,
    portal_env,
    records,
    rpa,
    spawn_rpa,
    wait_gone,
    wait_for_records,
    why,
)
from rpa.demo import pick_members, plan_rows, write_batch

# Kill once the log holds this many `submitting` records (written just before 提交 is clicked),
# plus a short seeded random delay: the kill lands anywhere around the click and its answer.
KILL_AT_SUBMITTING = (2, 5, 9)


@pytest.mark.slow
def test_submit_killed_three_times_then_run_again_submits_every_row_exactly_once(
        tmp_path, portal, account, mock_server):
    plan = [ARMY, SECRET, SANXIA, ARMY, SECRET, MINISTRY] * 2
    rows = plan_rows(pick_members(portal.members(), len(plan)), plan)
    batch = write_batch(tmp_path / "名单.xlsx", rows)
    out = tmp_path / "out"
    env = portal_env(mock_server.url, account, tmp_path, RPA_CONCURRENCY="2")  # two rows in flight
    chance = random.Random(9)
    kills = 0

    for target in KILL_AT_SUBMITTING:
        proc = spawn_rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path, log=tmp_path / "console.log")
        reached = wait_for_records(out, "submitting", target, proc)
        if reached:
            # A seeded pause to vary where the kill lands (before, during or after the answer).
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=chance.uniform(0, 0.6))
        started = kill_group(proc)
        kills += proc.returncode == -9
        records(out)  # readable after each kill: at most a torn last line
        # The browsers of a killed run don't outlive it (no orphan Chromium eating the laptop).
        assert wait_gone(started) == set(), "processes of the killed run still running"

    assert kills == 3, "the batch finished before the third kill; kill earlier"
    assert len(applications_per_member(portal)) < len(rows)

    final = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert final.returncode == 0, f"{console_of(final)}\n{why(out)}"
    assert last_status(out) == {n: "submitted" for n in range(3, 3 + len(rows))}, why(out)
    assert dict(applications_per_member(portal)) == {r["身份证号"]: 1 for r in rows}
    assert "Traceback" not in (tmp_path / "console.log").read_text(encoding="utf-8", errors="replace")
    assert "Traceback" not in final.stdout + final.stderr


@pytest.mark.slow
def test_a_frozen_page_is_given_up_after_the_try_budget_and_every_row_is_submitted_once(
        tmp_path, portal, account, mock_server):
    """The page stops answering mid-batch (its renderer frozen with SIGSTOP: a call that never
    returns, which no Playwright timeout ends). The try is cancelled after its budget, the
    worker closes that context and opens a fresh one, the row is tried again, and the console
    stays free of English leftovers."""
    plan = [ARMY, SECRET, SANXIA, MINISTRY]
    rows = plan_rows(pick_members(portal.members(), len(plan)), plan)
    batch = write_batch(tmp_path / "名单.xlsx", rows)
    out = tmp_path / "out"
    # A 3 s pause between two submissions: the freeze lands while the second row waits for its
    # click, so the page's next call (before 提交) is one that never returns.
    env = portal_env(mock_server.url, account, tmp_path, RPA_CONCURRENCY="1", RPA_TIMEOUT_MS="8000",
                     RPA_MIN_INTERVAL_S="3")
    log = tmp_path / "console.log"
    proc = spawn_rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path, log=log)
    try:
        assert wait_for_records(out, "filled", 2, proc), why(out)
        # (Chromium's processes come and go: one may be gone by the time it is looked at.)
        renderers = [pid for pid in descendants(proc.pid) if b"--type=renderer" in cmdline(pid)]
        assert renderers
        for pid in renderers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            kill_group(proc)
    console = log.read_text(encoding="utf-8", errors="replace")

    assert proc.returncode == 0, f"{console}\n{why(out)}"
    assert last_status(out) == {n: "submitted" for n in range(3, 3 + len(rows))}, why(out)
    assert dict(applications_per_member(portal)) == {r["身份证号"]: 1 for r in rows}
    frozen = [r for r in records(out) if "浏览器卡住" in str(r.get("error") or "")]
    assert [r["row"] for r in frozen] == [4], why(out)  # the row in flight, told in Chinese, tried again
    for leftover in ("Traceback", "Task was destroyed", "never retrieved", "never awaited"):
        assert leftover not in console, console

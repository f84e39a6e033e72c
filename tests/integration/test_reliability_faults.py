"""The portal misbehaves (SPEC §4 faults) while `rpa submit` runs as a real process: after the
secretary's `rpa submit` and at most three `rpa retry`, every valid row is `submitted` and the
portal holds exactly one application per member — never none, never two.
"""

from __future__ import annotations

import pytest

from batchmaker import (
    ABROAD,
    ARMY,
    GUANGDONG,
    MINISTRY,
    SANXIA,
    SECRET,
    STREET,
    applications_per_member,
    last_status,
    portal_env,
    records,
    submit_until_done,
    why,
)
from rpa.demo import pick_members, plan_rows, write_batch

SMALL_PLAN = [ARMY, SANXIA, SECRET, MINISTRY, ABROAD, STREET, GUANGDONG, ARMY]

# A 5-level path row takes ~9 portal calls a try (after an error the page is loaded again).
# At 30 % busy errors a try went through ~4 % of the time, and whether four runs were enough
# was a matter of the seed and the timing (seed 13 failed; seed 11 passed or not by timing).
# At 20 % a try goes through ~13 % of the time: every seed tried passed.
FAULTS = {
    "latency_and_jitter": dict(latency_ms=150, jitter_ms=250),
    "system_busy_errors": dict(error_rate=0.2),
    "session_expiry": dict(expire_after_requests=25),
    "lost_answers": dict(drop_after_commit_rate=0.5),
}


def run_under_faults(tmp_path, portal, account, mock_server, plan, faults, *, concurrency="2", timeout=300):
    rows = plan_rows(pick_members(portal.members(), len(plan)), plan)
    batch = write_batch(tmp_path / "名单.xlsx", rows)
    env = portal_env(mock_server.url, account, tmp_path, RPA_CONCURRENCY=concurrency)
    portal.faults(**faults)
    consoles = submit_until_done(batch, "out", env=env, cwd=tmp_path, timeout=timeout)
    portal.faults(latency_ms=0, jitter_ms=0, error_rate=0, expire_after_requests=0, drop_after_commit_rate=0)
    return rows, tmp_path / "out", "\n".join(consoles)


def expected_outcome(rows) -> tuple[dict[int, str], dict[str, int]]:
    """Sheet rows start at 3 (title row, header row); retained rows stay at school."""
    statuses = {n: ("retained" if r["毕业去向"] == "出国（境）留学" else "submitted") for n, r in enumerate(rows, start=3)}
    apps = {r["身份证号"]: 1 for r in rows if r["毕业去向"] != "出国（境）留学"}
    return statuses, apps


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_alone_ends_with_every_row_submitted_once_after_submit_and_retries(
        fault, tmp_path, portal, account, mock_server):
    rows, out, shown = run_under_faults(tmp_path, portal, account, mock_server, SMALL_PLAN,
                                        dict(FAULTS[fault], seed=11))

    statuses, apps = expected_outcome(rows)
    assert last_status(out) == statuses, f"{why(out)}\n{shown}"
    assert dict(applications_per_member(portal)) == apps, f"{why(out)}\n{shown}"
    assert "Traceback" not in shown
    if fault == "system_busy_errors":
        # The fault really hit: some tries met a busy portal and were made again.
        assert any((r.get("error") or {}).get("kind") == "busy" for r in records(out)), why(out)
        # … and each said so once: the portal's "请稍后再试" is not followed by our "请稍后重试"
        # (in a record's message, or on one console line; other lines may well say either).
        said = [(r.get("error") or {}).get("message", "") for r in records(out)] + shown.splitlines()
        assert not [m for m in said if "稍后再试" in m and "稍后重试" in m], why(out)
    if fault == "lost_answers":
        # The fault really hit: some answers were lost and the history look settled them.
        assert any(r["status"] == "in_doubt" for r in records(out)), why(out)


@pytest.mark.slow
def test_all_faults_together_on_forty_rows_end_with_one_application_per_member(
        tmp_path, portal, account, mock_server):
    plan = [ARMY, SECRET, SANXIA, ARMY, SECRET, MINISTRY, ARMY, STREET] * 5
    rows, out, shown = run_under_faults(
        tmp_path, portal, account, mock_server, plan,
        dict(error_rate=0.1, drop_after_commit_rate=0.1, expire_after_requests=60, seed=2025), timeout=600)

    statuses, apps = expected_outcome(rows)
    assert len(apps) == 40
    assert last_status(out) == statuses, f"{why(out)}\n{shown}"
    assert dict(applications_per_member(portal)) == apps, f"{why(out)}\n{shown}"
    assert "Traceback" not in shown
    # No row was clicked twice without a look in the portal's history in between.
    for row in statuses:
        trail = [r["status"] for r in records(out) if r["row"] == row]
        for before, after in zip(trail, trail[1:]):
            assert not (before in ("submitting", "in_doubt") and after == "submitting"), (row, trail)

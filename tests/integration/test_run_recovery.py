"""Lost answers, retries, the circuit breaker, a crash mid-run: never a row lost, never twice."""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile

from rich.console import Console

from rpa.demo import pick_members, plan_rows, write_batch
from rpa.runlog import RunMeta, file_sha256, now_iso
from rpa.runner import retry_run, run_batch
from rpa.status import show_status

ARMY = {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否"}
SECRET = {"毕业去向": "涉密单位", "转入组织是否属于北京/广东/福建": "否"}
SANXIA = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委",
          "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号"}


def console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=160, highlight=False, color_system=None), buf


def records(out) -> list[dict]:
    return [json.loads(line) for line in (out / "run.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def why(out) -> str:
    """The run log, for an assertion message."""
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records(out))


def last_status(out) -> dict[int, str]:
    return {r["row"]: r["status"] for r in records(out)}


def batch_for(tmp_path, portal, plan):
    rows = plan_rows(pick_members(portal.members(), len(plan)), plan)
    return write_batch(tmp_path / "batch.xlsx", rows), rows


def counts(portal) -> dict[str, int]:
    out: dict[str, int] = {}
    for app in portal.applications():
        out[app["id_number"]] = out.get(app["id_number"], 0) + 1
    return out


def test_lost_answers_are_looked_up_in_the_history_and_never_submitted_twice(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [ARMY, SANXIA])
    portal.faults(drop_after_commit_rate=1.0)  # every application is stored, every answer lost
    out = tmp_path / "submit"

    code = run_batch("submit", batch, out, settings, console=console()[0])

    assert code == 0, why(out)
    assert counts(portal) == {r["身份证号"]: 1 for r in rows}
    assert last_status(out) == {3: "submitted", 4: "submitted"}
    # The lost answer was logged as in doubt before the history look turned it into submitted.
    assert [r["status"] for r in records(out) if r["row"] == 3][-2:] == ["in_doubt", "submitted"]


def test_rows_left_in_doubt_are_reconciled_by_retry_without_a_new_click(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [ARMY, SECRET])
    portal.faults(drop_after_commit_rate=1.0)
    out = tmp_path / "submit"
    one_try = settings.model_copy(update={"max_attempts": 1})
    assert run_batch("submit", batch, out, one_try, console=console()[0]) == 1, why(out)
    assert last_status(out) == {3: "in_doubt", 4: "in_doubt"}
    with zipfile.ZipFile(out / "traces" / "row-3.zip") as trace:  # evidence, without personal data
        blob = b"".join(trace.read(name) for name in trace.namelist())
    assert blob and not any(r["身份证号"].encode() in blob for r in rows)
    assert settings.password.get_secret_value().encode() not in blob
    con, buf = console()
    assert show_status(out, console=con) == 0
    assert "待核实" in buf.getvalue() and "rpa retry" in buf.getvalue()
    portal.faults(drop_after_commit_rate=0)
    clicks_before = sum(1 for r in records(out) if r["status"] == "submitting")

    assert retry_run(out, settings, console=console()[0]) == 0, why(out)

    assert counts(portal) == {r["身份证号"]: 1 for r in rows}
    assert last_status(out) == {3: "submitted", 4: "submitted"}
    assert sum(1 for r in records(out) if r["status"] == "submitting") == clicks_before


def test_retry_reruns_only_the_rows_that_did_not_succeed(tmp_path, portal, settings):
    members = pick_members(portal.members(), 2)
    newcomer = {"name": "新团员", "id_number": "370112200307130012", "phone": "13912340000",
                "branch": members[0]["branch"]}
    rows = plan_rows([members[0], newcomer, members[1]], [ARMY, SECRET, SANXIA])
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    out = tmp_path / "submit"
    assert run_batch("submit", batch, out, settings, console=console()[0]) == 1, why(out)
    assert last_status(out) == {3: "submitted", 4: "invalid", 5: "submitted"}  # 数据有误, as the portal says
    assert "member_not_found" in {r["error"]["kind"] for r in records(out) if r["error"]}
    portal.add_members([newcomer])  # the branch secretary adds the member in the portal
    started_before = [r["row"] for r in records(out) if r["status"] == "started"]

    assert retry_run(out, settings, console=console()[0]) == 0, why(out)

    started_after = [r["row"] for r in records(out) if r["status"] == "started"]
    assert started_after[len(started_before):] == [4]
    assert counts(portal) == {r["身份证号"]: 1 for r in rows}


def test_the_circuit_breaker_stops_a_run_against_a_broken_portal_and_retry_finishes_it(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [ARMY, SECRET, ARMY, SECRET, ARMY])
    out = tmp_path / "submit"
    fragile = settings.model_copy(update={"circuit_breaker": 3, "max_attempts": 2, "timeout_ms": 3000,
                                          "breaker_pause_s": 0.5})

    def break_portal_once_the_first_row_started():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if (out / "run.jsonl").exists() and any(r["status"] == "started" for r in records(out)):
                portal.faults(error_rate=1.0)
                return
            time.sleep(0.05)

    breaker = threading.Thread(target=break_portal_once_the_first_row_started)
    breaker.start()
    con, buf = console()
    code = run_batch("submit", batch, out, fragile, console=con)
    breaker.join()

    assert code == 1, why(out)
    assert "连续 3 行" in buf.getvalue()  # rows that failed after their retries, then a probe that failed
    reached = last_status(out)
    assert len(reached) < 5  # stopped before hammering every row
    portal.faults(error_rate=0)

    assert retry_run(out, settings, console=console()[0]) == 0, why(out)
    assert counts(portal) == {r["身份证号"]: 1 for r in rows}


def test_a_run_killed_after_clicking_submit_resumes_from_its_log_without_a_second_click(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [ARMY, SECRET, SANXIA])
    # The portal holds rows 3 and 4 (a first run got that far) …
    first = write_batch(tmp_path / "first.xlsx", rows[:2])
    assert run_batch("submit", first, tmp_path / "first", settings, console=console()[0]) == 0
    # … but the process was killed right after clicking 提交 on row 4, mid-write of a record.
    out = tmp_path / "submit"
    out.mkdir()
    RunMeta(batch_path=str(batch), batch_sha256=file_sha256(batch), mode="submit", started_at=now_iso()).save(out)
    masked = [r["身份证号"][:4] + "*" * 10 + r["身份证号"][-4:] for r in rows]
    log = [(3, "started"), (3, "filled"), (3, "submitting"), (3, "submitted"),
           (4, "started"), (4, "filled"), (4, "submitting")]
    lines = [json.dumps({"ts": now_iso(), "row": n, "status": s, "attempt": 1, "error": None,
                         "screenshot": None, "member": masked[n - 3]}) for n, s in log]
    (out / "run.jsonl").write_text("\n".join(lines) + '\n{"ts":"2025-07-01T1', encoding="utf-8")

    assert run_batch("submit", batch, out, settings, console=console()[0]) == 0, why(out)

    assert counts(portal) == {r["身份证号"]: 1 for r in rows}
    assert last_status(out) == {3: "submitted", 4: "submitted", 5: "submitted"}
    resumed = [(r["row"], r["status"]) for r in records(out)][len(log):]
    assert (4, "submitting") not in resumed and (3, "started") not in resumed
    assert (4, "submitted") in resumed and (5, "submitting") in resumed

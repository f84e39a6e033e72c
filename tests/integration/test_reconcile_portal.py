"""Never take someone else's application for ours (issue 15, points 1 and 2).

Each test loses the answer to the row's first click — the request dropped before the portal
saw it (a failing proxy), stored but unanswered, or answered later than the tool waits — so
that the row is in doubt and is looked up in the portal, by name, before anything else:
  - another open application of the member (someone else's) → the row is `duplicate`, with the
    portal's facts; nothing of ours is sent;
  - only a finished one of someone else → our click didn't land: the row is tried again;
  - an open one to the same org but from before our click → not ours: `duplicate`;
  - an answer slower than the timeout → awaited before any look-up: one click, one application.
"""

from __future__ import annotations

import datetime as dt

from batchmaker import ARMY, SANXIA, console_of, portal_env, records, rpa, why
from rpa.demo import pick_members, plan_rows, write_batch

SHANDA = ["团山东省委", "山东大学团委"]


def one_row_batch(tmp_path, portal, plan: dict) -> tuple[object, dict]:
    [member] = pick_members(portal.members(), 1, start=30)
    write_batch(tmp_path / "名单.xlsx", plan_rows([member], [plan]))
    return tmp_path / "名单.xlsx", member


def clicks(out) -> int:
    return sum(1 for r in records(out) if r["status"] == "submitting")


def test_someone_elses_open_application_to_another_org_makes_the_row_a_duplicate(
        tmp_path, portal, account, mock_server):
    batch, member = one_row_batch(tmp_path, portal, SANXIA)
    theirs = portal.add_application(member["id_number"], "升学", target_path=SHANDA,
                                    target_unit_name="山东大学", target_unit_address="济南市山大南路27号")
    portal.faults(drop_before_apply=1)  # our first click never reaches the portal

    run = rpa("submit", "--yes", batch, "--out", "out", env=portal_env(mock_server.url, account, tmp_path),
              cwd=tmp_path)

    assert run.returncode == 1, console_of(run)
    [last] = [r for r in records(tmp_path / "out") if r["row"] == 3][-1:]
    assert last["status"] == "duplicate", why(tmp_path / "out")
    message = last["error"]["message"]
    assert "山东大学" in message and "转出组织审批" in message and theirs["created_at"] in message
    assert [app["id"] for app in portal.applications()] == [theirs["id"]]  # nothing of ours


def test_someone_elses_finished_application_leaves_the_row_free_and_it_is_sent_again(
        tmp_path, portal, account, mock_server):
    batch, member = one_row_batch(tmp_path, portal, SANXIA)
    theirs = portal.add_application(member["id_number"], "升学", target_path=SHANDA,
                                    target_unit_name="山东大学", target_unit_address="济南市山大南路27号")
    for _ in range(3):
        portal.advance(theirs["id"])  # 转出组织审批 → 转入组织审批 → 分配团支部 → 完成: long finished
    portal.faults(drop_before_apply=1)

    run = rpa("submit", "--yes", batch, "--out", "out", env=portal_env(mock_server.url, account, tmp_path),
              cwd=tmp_path)

    assert run.returncode == 0, console_of(run)
    assert records(tmp_path / "out")[-1]["status"] == "submitted"
    ours = [app for app in portal.applications() if app["id"] != theirs["id"]]
    assert len(ours) == 1 and ours[0]["target_path"] == ["团湖北省委", "三峡大学团委"]
    assert clicks(tmp_path / "out") == 2, why(tmp_path / "out")  # the lost one, and the one that landed


def test_an_open_application_to_the_same_org_from_before_the_click_is_not_ours(tmp_path, portal, account,
                                                                                  mock_server):
    batch, member = one_row_batch(tmp_path, portal, SANXIA)
    yesterday = (dt.datetime.now() - dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S")
    theirs = portal.add_application(member["id_number"], "升学", target_path=["团湖北省委", "三峡大学团委"],
                                    target_unit_name="三峡大学", target_unit_address="宜昌市大学路8号",
                                    created_at=yesterday)
    portal.faults(drop_before_apply=1)

    run = rpa("submit", "--yes", batch, "--out", "out", env=portal_env(mock_server.url, account, tmp_path),
              cwd=tmp_path)

    assert run.returncode == 1, console_of(run)
    assert records(tmp_path / "out")[-1]["status"] == "duplicate", why(tmp_path / "out")
    assert yesterday in records(tmp_path / "out")[-1]["error"]["message"]
    assert [app["id"] for app in portal.applications()] == [theirs["id"]]


def test_our_application_stored_but_unanswered_is_recognised_as_ours(tmp_path, portal, account, mock_server):
    batch, member = one_row_batch(tmp_path, portal, SANXIA)
    portal.faults(drop_after_commit_rate=1)  # stored, then the answer is lost

    run = rpa("submit", "--yes", batch, "--out", "out", env=portal_env(mock_server.url, account, tmp_path),
              cwd=tmp_path)

    assert run.returncode == 0, console_of(run)
    assert records(tmp_path / "out")[-1]["status"] == "submitted"
    assert len(portal.applications()) == 1 and clicks(tmp_path / "out") == 1


def test_answers_slower_than_the_timeout_are_awaited_before_any_look_up_and_nothing_is_clicked_twice(
        tmp_path, portal, account, mock_server):
    """Every apply is handled 11 s after it arrives, the tool waits 10 s: the application lands
    after the tool gave up on the answer. The request is awaited before the row is looked up,
    so each row is clicked once (a portal without a duplicate rule would otherwise get two)."""
    plan = [ARMY, SANXIA, ARMY, ARMY]
    rows = plan_rows(pick_members(portal.members(), len(plan), start=40), plan)
    write_batch(tmp_path / "名单.xlsx", rows)
    portal.faults(apply_delay_ms=11_000)
    env = portal_env(mock_server.url, account, tmp_path, RPA_TIMEOUT_MS="10000", RPA_CONCURRENCY="2")

    run = rpa("submit", "--yes", tmp_path / "名单.xlsx", "--out", "out", env=env, cwd=tmp_path, timeout=600)

    assert run.returncode == 0, console_of(run)
    out = tmp_path / "out"
    assert {r["row"]: r["status"] for r in records(out)} == {n: "submitted" for n in range(3, 3 + len(rows))}
    assert clicks(out) == len(rows), why(out)  # one click a row
    assert sorted(a["id_number"] for a in portal.applications()) == sorted(r["身份证号"] for r in rows)

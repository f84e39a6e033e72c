"""Fixing a row must not force a new output folder: the folder follows its batch by member.

Submitted rows stay submitted (an edit to one is reported, never sent again), corrected and
new rows run, removed rows are reported — whatever the rows' new numbers are."""

from __future__ import annotations

from batchmaker import ARMY, SANXIA, console_of, make_id, portal_env, records, rpa, why
from rpa.demo import pick_members, plan_rows, write_batch


def test_a_corrected_batch_goes_on_in_the_same_folder_by_member(tmp_path, portal, account, mock_server):
    a, b, c, d, e = pick_members(portal.members(), 5)
    wrong_c = dict(c, name=c["name"] + "某")  # a typo: not in the branch
    env = portal_env(mock_server.url, account, tmp_path)
    batch = tmp_path / "名单.xlsx"
    write_batch(batch, plan_rows([a, b, wrong_c, d], [ARMY, SANXIA, ARMY, ARMY]))

    first = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert first.returncode == 1, console_of(first)
    assert {r["row"]: r["status"] for r in records(tmp_path / "out")} == {
        3: "submitted", 4: "submitted", 5: "invalid", 6: "submitted"}, why(tmp_path / "out")

    # The secretary corrects C, adds E at the top, changes B's remark, and deletes D.
    rows = plan_rows([e, a, b, c], [ARMY, ARMY, {**SANXIA, "备注": "改了备注"}, ARMY])
    write_batch(batch, rows)
    second = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert second.returncode == 0, console_of(second)
    shown = "".join(second.stdout.split())
    assert "第5行" in shown and "之前已提交" in shown and "不会重新提交" in shown  # B, now row 5
    assert "名单中已没有1名之前办理过的团员" in shown and "其中1名已提交的申请仍在门户中" in shown  # D
    stored = sorted(app["id_number"] for app in portal.applications())
    assert stored == sorted(m["id_number"] for m in (a, b, c, d, e))  # each once: B and A not again
    last = {}
    for record in records(tmp_path / "out"):
        last[record["row"]] = record
    assert last[3]["status"] == "submitted" and last[6]["status"] == "submitted"  # E and C ran now
    assert "3" in {str(r["row"]) for r in records(tmp_path / "out")[-6:]}


def test_a_batch_with_none_of_the_folders_members_is_refused(tmp_path, portal, account, mock_server):
    members = pick_members(portal.members(), 4)
    env = portal_env(mock_server.url, account, tmp_path)
    write_batch(tmp_path / "一班.xlsx", plan_rows(members[:2], [ARMY, ARMY]))
    assert rpa("preview", tmp_path / "一班.xlsx", "--out", "out", env=env, cwd=tmp_path).returncode == 0
    strangers = [dict(m, id_number=make_id(seq=f"{i:03d}")) for i, m in enumerate(members[2:])]
    write_batch(tmp_path / "二班.xlsx", plan_rows(strangers, [ARMY, ARMY]))

    other = rpa("preview", tmp_path / "二班.xlsx", "--out", "out", env=env, cwd=tmp_path)

    assert other.returncode == 2, console_of(other)
    assert "属于另一份名单" in other.stdout and "一班.xlsx" in other.stdout and "没有一个相同的团员" in other.stdout


def test_a_row_the_portal_refused_is_not_retried_as_is_but_runs_once_corrected(tmp_path, portal, account,
                                                                              mock_server):
    [member] = pick_members(portal.members(), 1, start=8)
    own_branch = next(o["path"] for o in portal.orgs() if o["path"][-1] == member["branch"])
    into_own = {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否", "转入组织": "/".join(own_branch),
                "转入单位名称": "德州学院", "转入单位地址": "山东省德州市德城区大学西路566号"}
    env = portal_env(mock_server.url, account, tmp_path)
    batch = write_batch(tmp_path / "名单.xlsx", plan_rows([member], [into_own]))

    first = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)
    again = rpa("retry", "out", env=env, cwd=tmp_path)

    assert first.returncode == 1 and again.returncode == 1, console_of(first) + console_of(again)
    statuses = [r["status"] for r in records(tmp_path / "out")]
    assert statuses[-1] == "invalid" and statuses.count("started") == 1, why(tmp_path / "out")  # not tried again
    assert portal.applications() == []

    write_batch(batch, plan_rows([member], [{**into_own, "转入组织": "中央和国家机关团工委/教育部团委"}]))
    fixed = rpa("submit", "--yes", batch, "--out", "out", env=env, cwd=tmp_path)

    assert fixed.returncode == 0, console_of(fixed)
    assert [a["target_path"] for a in portal.applications()] == [["中央和国家机关团工委", "教育部团委"]]

"""`rpa validate --online`: a wrong branch, a name that isn't in the branch, a target path the
portal lacks are 数据有误 before any run — not 失败 after it (issue 18). Read-only."""

from __future__ import annotations

import json

from batchmaker import ARMY, SANXIA, console_of, portal_env, rpa
from rpa.demo import pick_members, plan_rows, write_batch


def test_online_validation_names_a_wrong_branch_a_wrong_name_and_a_missing_path(tmp_path, portal, account,
                                                                                 mock_server):
    good, wrong_branch, wrong_name, wrong_path = pick_members(portal.members(), 4)
    rows = plan_rows(
        [good, dict(wrong_branch, branch="清华大学计算机系团支部"), dict(wrong_name, name=wrong_name["name"] + "华"),
         wrong_path],
        [SANXIA, ARMY, ARMY, {**SANXIA, "转入组织": "团湖北省委/团宜昌市委/三峡大学团委"}],
    )
    batch = write_batch(tmp_path / "名单.xlsx", rows)
    env = portal_env(mock_server.url, account, tmp_path)

    offline = rpa("validate", batch, env=env, cwd=tmp_path)
    online = rpa("validate", batch, "--online", "--out", "checked", env=env, cwd=tmp_path)

    assert offline.returncode == 0 and "还没有在门户中核对" in offline.stdout and "--online" in offline.stdout
    assert online.returncode == 1, console_of(online)
    records = json.loads((tmp_path / "checked" / "validation.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in records] == ["valid", "invalid", "invalid", "invalid"]
    assert [(e["column"], e["code"]) for e in records[1]["errors"]] == [("转出团支部", "branch_not_found")]
    assert [(e["column"], e["code"]) for e in records[2]["errors"]] == [("姓名", "member_not_found")]
    assert "该身份证号在支部中的姓名是" in records[2]["errors"][0]["message"]
    assert [(e["column"], e["code"]) for e in records[3]["errors"]] == [("转入组织", "org_not_found")]
    assert "在“团宜昌市委”下找不到“三峡大学团委”" in records[3]["errors"][0]["message"]
    assert "还没有在门户中核对" not in online.stdout
    assert portal.applications() == []  # read-only

"""`run_batch` in-process, real Chromium against the real mock: preview, submit, resume, duplicates.

Batches are built in tmp_path from members that exist in the mock's seed.
"""

from __future__ import annotations

import io
import json
import stat

from openpyxl import load_workbook
from rich.console import Console

from batchmaker import STREET
from rpa.demo import pick_members, plan_rows, write_batch
from rpa.runner import run_batch

SANXIA = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委",
          "升学类型": "普通高校", "备注": "录取为三峡大学硕士研究生", "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号"}
GUANGDONG = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "是", "转入省份": "广东", "转入组织": "中山大学团委",
             "转入单位名称": "中山大学", "转入单位地址": "广东省广州市海珠区新港西路135号"}
ARMY = {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否", "备注": "2025年9月入伍"}
GRID = {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否",
        "转入组织": "中央企业团工委/国家电网有限公司团委/国网山东省电力公司团委",
        "转入单位名称": "国网山东省电力公司", "转入单位地址": "山东省济南市市中区经二路150号"}
ABROAD = {"毕业去向": "出国（境）留学", "境外学习地点": "英国 爱丁堡大学", "境外学习期限": "2025.09–2026.12",
          "境内联系人": "王建国", "境内联系人电话": "13905341234"}
NO_SUCH_BRANCH = {**STREET, "转入组织": "团天津市委/团和平区委/团劝业场街道工委/南京路街道流动团员团支部"}
NOT_APPROVED = {**SANXIA, "审核状态": "待审批"}
BAD_PHONE = {**ARMY, "手机号": "1380000"}


def console() -> tuple[Console, io.StringIO]:
    buf = io.StringIO()
    return Console(file=buf, width=160, highlight=False, color_system=None), buf


def records(out) -> list[dict]:
    return [json.loads(line) for line in (out / "run.jsonl").read_text(encoding="utf-8").splitlines()]


def why(out) -> str:
    """The run log, for an assertion message."""
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records(out))


def last_status(out) -> dict[int, str]:
    return {r["row"]: r["status"] for r in records(out)}


def batch_for(tmp_path, portal, plan, *, start=0, name="batch.xlsx"):
    members = pick_members(portal.members(), len(plan), start=start)
    rows = plan_rows(members, plan)
    return write_batch(tmp_path / name, rows), rows


def by_id(portal) -> dict[str, list[dict]]:
    apps: dict[str, list[dict]] = {}
    for app in portal.applications():
        apps.setdefault(app["id_number"], []).append(app)
    return apps


def test_preview_fills_every_valid_row_stores_nothing_and_writes_a_screenshot_each(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [SANXIA, GUANGDONG, ARMY, ABROAD, NOT_APPROVED, BAD_PHONE])
    out = tmp_path / "preview"
    con, buf = console()

    code = run_batch("preview", batch, out, settings, console=con)

    assert code == 1  # the row with the bad phone number is not ok
    assert portal.applications() == []
    assert last_status(out) == {3: "previewed", 4: "previewed", 5: "previewed", 6: "retained",
                                7: "skipped", 8: "invalid"}
    for row in (3, 4, 5):
        shot = out / "screenshots" / f"row-{row}.png"
        assert shot.stat().st_size > 10_000
        assert stat.S_IMODE(shot.stat().st_mode) == 0o600
    assert not (out / "screenshots" / "row-6.png").exists()
    assert (out / "register.xlsx").exists() and (out / "results.xlsx").exists()
    report = (out / "report.html").read_text(encoding="utf-8")
    assert 'src="screenshots/row-3.png"' in report and "已预览" in report and "数据有误" in report
    invalid = [r for r in records(out) if r["status"] == "invalid"][0]
    assert "手机号" in invalid["error"]["message"] and invalid["error"]["kind"] != "row"
    for path in (out / "run.jsonl", out / "report.html", out / "results.xlsx", out / "run.json"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "试运行结果" in buf.getvalue()


def test_submit_stores_exactly_the_valid_rows_as_the_batch_says(tmp_path, portal, settings):
    members = pick_members(portal.members(), 4)
    # A member whose name is markup, added to a real branch: it must reach the report as text.
    hostile = {"name": "<script>alert(1)</script>", "id_number": "370112200307130012",
               "phone": "13912340000", "branch": members[0]["branch"]}
    portal.add_members([hostile])
    rows = plan_rows([*members, hostile], [SANXIA, GUANGDONG, GRID, ABROAD, ARMY])
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    out = tmp_path / "submit"
    con, buf = console()

    code = run_batch("submit", batch, out, settings, console=con)

    assert code == 0, why(out)
    apps = by_id(portal)
    assert sorted(apps) == sorted(r["身份证号"] for r in rows if r["毕业去向"] != "出国（境）留学")
    assert all(len(v) == 1 for v in apps.values())
    sanxia = apps[rows[0]["身份证号"]][0]
    assert (sanxia["name"], sanxia["phone"], sanxia["contact"], sanxia["from_branch"]) == (
        rows[0]["姓名"], rows[0]["手机号"], rows[0]["常用联系人联系方式"], rows[0]["转出团支部"])
    assert sanxia["reason"] == "升学" and sanxia["study_type"] == "普通高校"
    assert sanxia["province_flag"] is False and sanxia["target_path"] == ["团湖北省委", "三峡大学团委"]
    assert sanxia["remark"] == "录取为三峡大学硕士研究生"
    gd = apps[rows[1]["身份证号"]][0]
    assert (gd["province_flag"], gd["province"], gd["target_full_name"], gd["target_path"]) == (
        True, "广东", "中山大学团委", None)
    army = apps[hostile["id_number"]][0]
    assert army["reason"] == "转往特殊单位团组织" and army["target_path"] is None and army["province_flag"] is False

    log = records(out)
    final = {r["row"]: r for r in log}
    assert [final[n]["status"] for n in (3, 4, 5, 6, 7)] == ["submitted"] * 3 + ["retained", "submitted"]
    assert all(final[n]["created_at"] for n in (3, 4, 5, 7))
    assert final[3]["member"] == rows[0]["身份证号"][:4] + "*" * 10 + rows[0]["身份证号"][-4:]
    # Every click was logged before it happened.
    assert [r["status"] for r in log if r["row"] == 3] == ["started", "filled", "submitting", "submitted"]

    report = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report and "<script>alert(1)" not in report
    password = settings.password.get_secret_value()
    texts = {"run.jsonl": (out / "run.jsonl").read_text(encoding="utf-8"), "report.html": report,
             "run.json": (out / "run.json").read_text(encoding="utf-8"), "console": buf.getvalue()}
    for where, text in texts.items():
        assert password not in text, where
        for r in rows:
            assert r["身份证号"] not in text, where

    ws = load_workbook(out / "results.xlsx").active
    header = [c.value for c in ws[2]]
    status_col = header.index("状态")
    assert [ws.cell(row=n, column=status_col + 1).value for n in range(3, 8)] == [
        "已提交", "已提交", "已提交", "保留在校（已入登记册）", "已提交"]


def test_submit_again_into_the_same_folder_resumes_and_skips_rows_already_submitted(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [ARMY, SANXIA])
    out = tmp_path / "submit"
    assert run_batch("submit", batch, out, settings, console=console()[0]) == 0, why(out)
    before = len(records(out))
    con, buf = console()

    assert run_batch("submit", batch, out, settings, console=con) == 0, why(out)

    assert len(portal.applications()) == 2
    assert len(records(out)) == before  # nothing to do, nothing logged, no browser
    assert "2 行已完成，跳过" in buf.getvalue()


def test_a_worker_moves_to_a_new_page_every_page_rows_and_every_row_is_submitted_once(
    tmp_path, portal, settings, monkeypatch
):
    """A page is closed after PAGE_ROWS rows (Playwright's driver keeps every request a page
    made); the rows after it go on in a new page, each member submitted exactly once."""
    import rpa.runner.worker

    monkeypatch.setattr(rpa.runner.worker, "PAGE_ROWS", 2)
    batch, rows = batch_for(tmp_path, portal, [ARMY, SANXIA, GRID, ARMY, SANXIA])
    out = tmp_path / "submit"

    code = run_batch("submit", batch, out, settings.model_copy(update={"concurrency": 1}), console=console()[0])

    assert code == 0, why(out)
    assert set(last_status(out).values()) == {"submitted"} and len(last_status(out)) == 5
    apps = by_id(portal)
    assert sorted(apps) == sorted(r["身份证号"] for r in rows)
    assert all(len(found) == 1 for found in apps.values())
    # Rows 1–2 on the first page, 3–4 on a second, 5 on a third: each new page loads 办理转出.
    assert portal.page_loads().get("/zhtj/center/manage/transferout") == 3, portal.page_loads()


def test_rows_are_filled_while_the_preflight_still_checks_paths_and_a_missing_path_is_told(
        tmp_path, portal, settings):
    """The workers start once the preflight has signed in, and take each row as soon as its path
    has passed. With every portal call slowed to 0.6 s, the preflight needs ~10 calls to reach
    the last row: the first row is under way before that. The last row's path lacks its branch:
    it is told on the console as it is found, and never submitted."""
    batch, rows = batch_for(tmp_path, portal, [ARMY, SANXIA, GRID, STREET, NO_SUCH_BRANCH])
    out = tmp_path / "submit"
    portal.faults(latency_ms=600)
    con, buf = console()

    code = run_batch("submit", batch, out, settings.model_copy(update={"concurrency": 1}), console=con)

    portal.faults(latency_ms=0)
    assert code == 1, why(out)
    assert last_status(out) == {3: "submitted", 4: "submitted", 5: "submitted", 6: "submitted", 7: "invalid"}
    apps = by_id(portal)
    assert sorted(apps) == sorted(r["身份证号"] for r in rows[:4]) and all(len(v) == 1 for v in apps.values())
    log = records(out)  # appended in the order things happened
    first_started = next(i for i, r in enumerate(log) if r["status"] == "started")
    missing = next(i for i, r in enumerate(log) if r["row"] == 7)
    assert first_started < missing, why(out)
    assert "在“团劝业场街道工委”下找不到“南京路街道流动团员团支部”" in log[missing]["error"]["message"]
    assert "第 7 行" in buf.getvalue() and "南京路街道流动团员团支部" in buf.getvalue()


def test_a_row_corrected_since_a_preview_is_previewed_again_in_the_same_folder(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [ARMY])
    out = tmp_path / "preview"
    assert run_batch("preview", batch, out, settings, console=console()[0]) == 0
    write_batch(batch, plan_rows(pick_members(portal.members(), 1), [SANXIA]))  # same member, new 毕业去向

    assert run_batch("preview", batch, out, settings, console=console()[0]) == 0

    previews = [r for r in records(out) if r["status"] == "previewed"]
    assert len(previews) == 2, why(out)
    assert "三峡大学团委" in " ".join(previews[-1]["form"].values())  # the form now holds the corrected row


def test_a_member_with_an_open_application_ends_as_duplicate_without_a_second_one(tmp_path, portal, settings):
    batch, rows = batch_for(tmp_path, portal, [ARMY, GRID])
    assert run_batch("submit", batch, tmp_path / "first", settings, console=console()[0]) == 0
    con, buf = console()
    out = tmp_path / "second"

    code = run_batch("submit", batch, out, settings, console=con)

    assert code == 1, why(out)
    assert last_status(out) == {3: "duplicate", 4: "duplicate"}
    assert all(len(v) == 1 for v in by_id(portal).values()) and len(portal.applications()) == 2
    assert "已有业务" in buf.getvalue()

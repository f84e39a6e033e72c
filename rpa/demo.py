"""`rpa demo`: the whole job on the embedded mock portal, start to finish.

Starts the mock (captcha off) with its database under `./demo-output/`, signs in with the mock's
seeded account, runs `preview` into `demo-output/preview` and `submit` into `demo-output/submit`
on the shipped batch `jobs/demo-batch.xlsx`, checks that the mock now holds exactly the batch's
valid rows, and prints where the report is.

The demo batch (12 rows) uses members that exist in the mock's seed and covers every 毕业去向,
a target in 广东 (flag 是), a 中直 unit, two retained rows, one row not yet approved (skipped) and
one row with a wrong phone number (invalid). `python -m rpa.demo make` regenerates it from a
running mock's seed; `write_batch()` is also what the tests use to build their batches.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rpa.config import load_job
from rpa.resources import JOBS_DIR

if TYPE_CHECKING:
    from rich.console import Console

# jobs/ in a checkout, rpa/_bundled/jobs/ in an installed wheel (rpa/resources.py).
JOBS = JOBS_DIR
DEMO_JOB = JOBS / "demo.toml"
DEMO_BATCH = JOBS / "demo-batch.xlsx"
DEMO_OUTPUT = Path("demo-output")

HEADERS = [
    "姓名", "身份证号", "手机号", "常用联系人联系方式", "转出团支部", "毕业去向",
    "转入组织是否属于北京/广东/福建", "转入省份", "转入组织", "升学类型", "转入单位名称", "转入单位地址",
    "境外学习地点", "境外学习期限", "境内联系人", "境内联系人电话", "备注", "审核状态",
]
TITLE = "德州学院2025届毕业生团组织关系转接名单（已审批）"

# What each demo row is about (the member's own columns come from the mock's seed).
DEMO_PLAN: list[dict[str, str]] = [
    {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委",
     "升学类型": "普通高校", "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号",
     "备注": "录取为三峡大学2025级硕士研究生"},
    {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "是", "转入省份": "广东",
     "转入组织": "中山大学团委", "转入单位名称": "中山大学", "转入单位地址": "广东省广州市海珠区新港西路135号",
     "备注": "录取为中山大学研究生"},
    {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "中央企业团工委/国家电网有限公司团委/国网山东省电力公司团委",
     "转入单位名称": "国网山东省电力公司", "转入单位地址": "山东省济南市市中区经二路150号", "备注": "国网山东省电力公司"},
    {"毕业去向": "就业（无团组织）", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团河北省委/团石家庄市委/团裕华路街道工委/裕华路街道流动团员团支部",
     "转入单位名称": "石家庄恒信软件有限公司", "转入单位地址": "河北省石家庄市裕华区裕华东路88号"},
    {"毕业去向": "因私出国（境）", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团天津市委/团和平区委/团劝业场街道工委/劝业场街道青年之家"},
    {"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否", "备注": "2025年9月入伍"},
    {"毕业去向": "涉密单位", "转入组织是否属于北京/广东/福建": "否"},
    {"毕业去向": "未落实", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团河北省委/团保定市委/团东风街道工委/东风街道学社衔接临时团支部"},
    {"毕业去向": "出国（境）留学", "境外学习地点": "英国 爱丁堡大学", "境外学习期限": "2025.09–2026.12",
     "境内联系人": "王建国", "境内联系人电话": "13905341234"},
    {"毕业去向": "未落实（保留在校）"},
    {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团山东省委/山东大学团委",
     "转入单位名称": "山东大学", "转入单位地址": "山东省济南市历城区山大南路27号", "审核状态": "待审批"},
    {"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否",
     "转入组织": "团湖北省委/三峡大学团委", "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号",
     "手机号": "1380000"},  # invalid: phone too short
]


def plan_rows(members: list[Mapping[str, str]], plan: list[dict[str, str]] = DEMO_PLAN) -> list[dict[str, str]]:
    """Batch rows: the i-th plan entry for the i-th member (name, ID, phone, branch from the seed)."""
    if len(members) < len(plan):
        raise ValueError(f"need {len(plan)} members, got {len(members)}")
    rows = []
    for member, extra in zip(members, plan):
        row = {
            "姓名": member["name"],
            "身份证号": member["id_number"],
            "手机号": member["phone"],
            "常用联系人联系方式": "13800000000（家长）",
            "转出团支部": member["branch"],
            "审核状态": "已审批",
        }
        row.update(extra)
        rows.append(row)
    return rows


def write_batch(path: Path, rows: Iterable[Mapping[str, Any]], *, title: str | None = TITLE) -> Path:
    """Write a batch workbook as a secretary would: a title row, the headers, ID/phone as text."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "批量转接名单"
    if title:
        ws.append([title])
    ws.append(HEADERS)
    for row in rows:
        ws.append([row.get(h, "") or None for h in HEADERS])
    text_cols = {HEADERS.index(h) + 1 for h in ("身份证号", "手机号", "常用联系人联系方式", "境内联系人电话")}
    for col in ws.iter_cols(min_row=2 if title else 1):
        for cell in col:
            if cell.column in text_cols:
                cell.number_format = "@"
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def pick_members(members: list[Mapping[str, str]], n: int, *, start: int = 0) -> list[Mapping[str, str]]:
    """`n` distinct members, one branch after another (so a batch walks through several branches)."""
    by_branch: dict[str, list] = {}
    for m in members:
        by_branch.setdefault(m["branch"], []).append(m)
    order = [m for depth in range(max(map(len, by_branch.values()), default=0))
             for ms in by_branch.values() if depth < len(ms) for m in ms[depth:depth + 1]]
    picked = order[start:start + n]
    if len(picked) < n:
        raise ValueError(f"need {n} members, the portal has {len(order) - start}")
    return picked


def make_demo_batch(url: str, path: Path = DEMO_BATCH) -> Path:
    """Regenerate the demo batch from the seed of the mock at `url`."""
    from fixtures.mock_portal.client import MockClient

    return write_batch(path, plan_rows(pick_members(MockClient(url).members(), len(DEMO_PLAN))))


def run_demo(console: Console | None = None, *, output: Path = DEMO_OUTPUT) -> int:
    """Start the mock, preview then submit the demo batch; 0 when everything behaved as expected."""
    from rich.console import Console

    from fixtures.mock_portal.client import MockClient, MockPortal
    from rpa.batch import load_batch
    from rpa.files import private_dir
    from rpa.runner import run_batch

    console = console or Console(highlight=False)
    output = private_dir(Path(output).resolve())
    for sub in ("preview", "submit"):  # a fresh demo each time (our own earlier output only)
        shutil.rmtree(output / sub, ignore_errors=True)
    spec, settings = load_job(DEMO_JOB)
    batch_path = Path(spec.get("batch", DEMO_BATCH))

    console.print("[bold]启动本地模拟门户……[/bold]")
    with MockPortal.start(db=output / "portal.db", captcha="off") as server:
        client = MockClient(server.url)
        account = client.accounts()[0]
        if not batch_path.exists():
            make_demo_batch(server.url, batch_path)
        settings = settings.model_copy(update={
            "portal_url": server.url,
            "username": account["username"],
            "password": type(settings.password)(account["password"]),
            "session_file": output / "session.json",
        })
        console.print(f"模拟门户：{server.url}（账号 {account['org']}）\n")

        code_preview = run_batch("preview", batch_path, output / "preview", settings, console=console)
        stored_after_preview = len(client.applications())
        console.print()
        code_submit = run_batch("submit", batch_path, output / "submit", settings, console=console)
        apps = client.applications()

    batch = load_batch(batch_path)
    expected = {c.data.id_number for c in batch.rows if c.status.value == "valid"}
    stored = [a["id_number"] for a in apps]
    has_bad_rows = any(c.status.value == "invalid" for c in batch.rows)
    want_code = 1 if has_bad_rows else 0
    ok = (
        stored_after_preview == 0
        and sorted(stored) == sorted(expected)
        and code_preview == want_code
        and code_submit == want_code
    )
    console.print()
    console.print(f"试运行报告：{output / 'preview' / 'report.html'}")
    console.print(f"正式提交报告：{output / 'submit' / 'report.html'}")
    if ok:
        console.print(
            f"[green]示例运行符合预期：模拟门户中恰好有 {len(expected)} 份申请（名单中的有效行），"
            "试运行没有提交任何申请。[/green]"
            + ("名单中故意放了一行错误数据，所以两次运行都提示“有行未成功”。" if has_bad_rows else "")
        )
        return 0
    console.print(
        f"[red]示例运行与预期不符：试运行后门户中有 {stored_after_preview} 份申请（应为 0），"
        f"提交后有 {len(stored)} 份（应为 {len(expected)}）；退出码 {code_preview}/{code_submit}。[/red]"
    )
    return 1


if __name__ == "__main__":  # python -m rpa.demo make [URL]: regenerate jobs/demo-batch.xlsx
    if sys.argv[1:2] == ["make"]:
        if len(sys.argv) > 2:
            print(make_demo_batch(sys.argv[2]))
        else:
            from fixtures.mock_portal.client import MockPortal

            with MockPortal.start(captcha="off") as srv:
                print(make_demo_batch(srv.url))
    else:
        print("usage: python -m rpa.demo make [MOCK_URL]")

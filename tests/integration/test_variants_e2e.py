"""The whole job on each structural variant of the mock, with a catalog change only.

For each variant (`default`, `search_table`, `columns`) the mock is started with
`MockPortal.start(variant=...)` and the tool is given the variant's overlay
(`fixtures/mock_portal/variants/NAME.toml`) through `Settings(catalog=...)` — the same file a
secretary would name in RPA_CATALOG. On each: a submit run that stores every submitted 毕业去向
field by field (the unit fields included), a preview run (a screenshot a row, nothing stored),
and the reconciliation of lost answers (stored, answer dropped: found by name on 组织关系审批,
never submitted twice).
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from fixtures.mock_portal.client import MockClient, MockPortal
from rpa.config import Settings
from rpa.demo import pick_members, plan_rows, write_batch
from rpa.runner import run_batch

VARIANTS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "mock_portal" / "variants"
VARIANTS = ["default", "search_table", "columns"]

XILING = "团湖北省委/团宜昌市委/团西陵区委/团西陵街道工委"
# One row per submitted 毕业去向, and what the portal must store for it:
# (plan, reason, 毕业去向 (school type), unit name, unit address, target path)
SUBMITTED = [
    ({"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委", "升学类型": "中等职业院校",
      "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号", "备注": "录取"},
     "升学", "中等职业院校", "三峡大学", "湖北省宜昌市西陵区大学路8号", ["团湖北省委", "三峡大学团委"]),
    ({"毕业去向": "就业（有团组织）", "转入组织是否属于北京/广东/福建": "否",
      "转入组织": "中央企业团工委/国家电网有限公司团委/国网山东省电力公司团委",
      "转入单位名称": "国网山东省电力公司", "转入单位地址": "山东省济南市市中区经二路150号"},
     "已落实工作单位（工作单位有团组织）", None, "国网山东省电力公司", "山东省济南市市中区经二路150号",
     ["中央企业团工委", "国家电网有限公司团委", "国网山东省电力公司团委"]),
    ({"毕业去向": "就业（无团组织）", "转入组织是否属于北京/广东/福建": "否", "转入组织": f"{XILING}/西陵街道流动团员团支部",
      "转入单位名称": "宜昌西陵商贸有限公司", "转入单位地址": "湖北省宜昌市西陵区西陵一路12号"},
     "已落实工作单位（工作单位无团组织）", None, "宜昌西陵商贸有限公司", "湖北省宜昌市西陵区西陵一路12号",
     [*XILING.split("/"), "西陵街道流动团员团支部"]),
    ({"毕业去向": "因私出国（境）", "转入组织是否属于北京/广东/福建": "否", "转入组织": f"{XILING}/西陵街道青年之家"},
     "因私出国（境）", None, None, None, [*XILING.split("/"), "西陵街道青年之家"]),
    ({"毕业去向": "参军入伍", "转入组织是否属于北京/广东/福建": "否"}, "转往特殊单位团组织", None, None, None, None),
    ({"毕业去向": "涉密单位", "转入组织是否属于北京/广东/福建": "否"}, "转往特殊单位团组织", None, None, None, None),
    ({"毕业去向": "未落实", "转入组织是否属于北京/广东/福建": "否", "转入组织": f"{XILING}/西陵街道学社衔接临时团支部"},
     "未落实工作单位", None, None, None, [*XILING.split("/"), "西陵街道学社衔接临时团支部"]),
]
GUANGDONG = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "是", "转入省份": "广东", "转入组织": "中山大学团委",
             "转入单位名称": "中山大学", "转入单位地址": "广东省广州市海珠区新港西路135号"}


@pytest.fixture(scope="module", params=VARIANTS)
def variant(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def variant_server(variant, tmp_path_factory):
    db = tmp_path_factory.mktemp(f"portal-{variant}") / "portal.db"
    with MockPortal.start(db=db, captcha="off", variant=None if variant == "default" else variant) as server:
        yield server


@pytest.fixture
def vportal(variant_server) -> MockClient:
    client = MockClient(variant_server.url)
    client.reset()
    return client


@pytest.fixture
def vsettings(variant, variant_server, vportal, tmp_path) -> Settings:
    """Settings for the variant: its catalog overlay, as RPA_CATALOG would name it."""
    account = vportal.accounts()[0]
    overlay = VARIANTS_DIR / f"{variant}.toml"
    return Settings(
        _env_file=None, portal_url=variant_server.url, username=account["username"], password=account["password"],
        min_interval_s=0, timeout_ms=10_000, session_file=tmp_path / "session.json",
        catalog=overlay if overlay.exists() else None,
    )


def console() -> Console:
    return Console(file=io.StringIO(), width=160, highlight=False, color_system=None)


def records(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "run.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]


def last_status(out: Path) -> dict[int, str]:
    return {r["row"]: r["status"] for r in records(out)}


def why(out: Path) -> str:
    return "\n".join(json.dumps(r, ensure_ascii=False) for r in records(out))


def test_a_submit_run_stores_every_destination_field_by_field(tmp_path, vportal, vsettings):
    members = pick_members(vportal.members(), len(SUBMITTED) + 1)
    rows = plan_rows(members, [entry[0] for entry in SUBMITTED] + [GUANGDONG])
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    out = tmp_path / "submit"

    code = run_batch("submit", batch, out, vsettings, console=console())

    assert code == 0, why(out)
    assert set(last_status(out).values()) == {"submitted"}
    stored = {app["id_number"]: app for app in vportal.applications()}
    assert len(stored) == len(rows)
    for row, (_plan, reason, study_type, unit_name, unit_address, path) in zip(rows, SUBMITTED):
        app = stored[row["身份证号"]]
        assert (app["name"], app["from_branch"], app["phone"]) == (row["姓名"], row["转出团支部"], row["手机号"])
        assert app["contact"] == row["常用联系人联系方式"]
        assert app["reason"] == reason, row
        assert app["study_type"] == study_type
        assert (app["target_unit_name"], app["target_unit_address"]) == (unit_name, unit_address)
        assert app["province_flag"] is False and app["target_path"] == path
        assert app["remark"] == (row.get("备注") or None)
    guangdong = stored[rows[-1]["身份证号"]]
    assert (guangdong["province_flag"], guangdong["province"], guangdong["target_full_name"]) == (True, "广东", "中山大学团委")
    assert (guangdong["target_unit_name"], guangdong["study_type"]) == ("中山大学", "普通高校")


def test_a_preview_run_takes_a_screenshot_a_row_and_stores_nothing(tmp_path, vportal, vsettings):
    plans = [SUBMITTED[0][0], SUBMITTED[2][0], SUBMITTED[4][0]]
    rows = plan_rows(pick_members(vportal.members(), len(plans), start=3), plans)
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    out = tmp_path / "preview"

    code = run_batch("preview", batch, out, vsettings, console=console())

    assert code == 0, why(out)
    assert vportal.applications() == []
    assert last_status(out) == {3: "previewed", 4: "previewed", 5: "previewed"}
    for row in (3, 4, 5):
        assert (out / "screenshots" / f"row-{row}.png").stat().st_size > 10_000


def test_lost_answers_are_found_by_name_and_never_submitted_twice(tmp_path, vportal, vsettings):
    plans = [SUBMITTED[0][0], SUBMITTED[4][0]]
    rows = plan_rows(pick_members(vportal.members(), len(plans), start=6), plans)
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    vportal.faults(drop_after_commit_rate=1.0)  # every application stored, every answer lost
    out = tmp_path / "submit"

    code = run_batch("submit", batch, out, vsettings, console=console())

    assert code == 0, why(out)
    assert sorted(app["id_number"] for app in vportal.applications()) == sorted(r["身份证号"] for r in rows)
    assert last_status(out) == {3: "submitted", 4: "submitted"}
    for row in (3, 4):
        assert [r["status"] for r in records(out) if r["row"] == row][-2:] == ["in_doubt", "submitted"]

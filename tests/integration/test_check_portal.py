"""`rpa check` against the real mock in a real Chromium: what it reports, what it touches.

The mock is started as it is (everything found), with three labels renamed and one column of
组织关系审批 removed (exactly those four reported, each rename with its candidate first), and
in each structural variant (with the variant's overlay: everything found; with the shipped
catalog: the strategy named). The check stores nothing and sends no write, and its capture
holds no member's name, ID number or phone.
"""

from __future__ import annotations

import json
import time
import zipfile
from pathlib import Path

import pytest

from fixtures.mock_portal.client import MockClient, MockPortal
from fixtures.mock_portal.seed import check_digit
from rpa.catalog import load_catalog
from rpa.check import check_portal
from rpa.config import Settings
from rpa.portal.widgets import url_path

VARIANTS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "mock_portal" / "variants"
# Three labels renamed and one column of the approvals table removed (null hides it).
DRIFT = {"转出原因": "转出类型", "备注": "申请备注", "办理转出": "转出办理", "完成时间": None}


def settings_for(portal: MockClient, tmp_path: Path, **values) -> Settings:
    account = portal.accounts()[0]
    return Settings(_env_file=None, portal_url=portal.url, username=account["username"],
                    password=account["password"], timeout_ms=10_000, session_file=tmp_path / "session.json", **values)


def by_key(outcome) -> dict:
    return {r.key: r for r in outcome.results}


def drifted(outcome) -> dict:
    return {r.key: r for r in outcome.results if r.drift}


@pytest.fixture(scope="module")
def drifted_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drifted")
    labels = folder / "labels.json"
    labels.write_text(json.dumps(DRIFT, ensure_ascii=False), encoding="utf-8")
    with MockPortal.start(db=folder / "portal.db", captcha="off", labels=labels) as server:
        yield server


@pytest.fixture
def drifted_portal(drifted_server) -> MockClient:
    client = MockClient(drifted_server.url)
    client.reset()
    return client


async def test_on_the_unaltered_mock_every_entry_the_walk_can_see_is_found(portal, browser, tmp_path):
    started = time.monotonic()
    outcome = await check_portal(settings_for(portal, tmp_path), tmp_path / "check", browser=browser)
    seconds = time.monotonic() - started
    print(f"\nrpa check on the unaltered mock: {seconds:.1f} s")

    assert outcome.exit_code == 0, [r.message() for r in outcome.results if r.drift]
    assert not drifted(outcome) and outcome.stopped is None
    report = json.loads((tmp_path / "check" / "check.json").read_text(encoding="utf-8"))
    assert all(s["ok"] is not False for s in report["sections"])
    assert {s["id"] for s in report["sections"] if s["ok"]} >= {
        "signin", "personal", "center", "transfers", "member", "form", "org", "approvals", "api"}
    results = by_key(outcome)
    for key in ("menu.transfer_out", "transfer.labels.reason", "transfer.labels.study_type", "options.reason.升学",
                "options.province.广东", "org_picker.separator", "approvals.columns.finished_at",
                "api.orgtree.parent", "api.members.id_number", "pages.transfer_out", "strategies.member_picker"):
        assert results[key].status.value == "found", results[key].message()
    # What a read-only walk cannot see is said so, not counted as found.
    assert results["messages.submitted"].status.value == "unchecked"
    assert results["api.paths.apply"].status.value == "unchecked"
    html = (tmp_path / "check" / "check.html").read_text(encoding="utf-8")
    assert "门户与选择器目录一致" in html and "✓" in html and "发给本工具的维护者" in html
    for section in report["sections"]:
        if section["shot"]:
            assert (tmp_path / "check" / section["shot"]).stat().st_size > 5_000


async def test_three_renamed_labels_and_a_removed_column_are_exactly_the_four_entries_reported(
    drifted_portal, browser, tmp_path
):
    before = drifted_portal.applications()
    outcome = await check_portal(settings_for(drifted_portal, tmp_path), tmp_path / "check", browser=browser)

    assert outcome.exit_code == 1
    found = drifted(outcome)
    assert set(found) == {"transfer.labels.reason", "transfer.labels.remark", "menu.transfer_out",
                          "approvals.columns.finished_at"}, [r.message() for r in found.values()]
    for key, renamed in (("transfer.labels.reason", "转出类型"), ("transfer.labels.remark", "申请备注"),
                         ("menu.transfer_out", "转出办理")):
        result = found[key]
        assert result.candidates[0].text == renamed and result.seen == renamed
        assert result.place.file.name == "portal.toml" and f'"{renamed}"' in result.edit
        assert load_catalog().data  # (the catalog itself is untouched)
    reason = found["transfer.labels.reason"]
    lines = (Path(load_catalog().path)).read_text(encoding="utf-8").splitlines()
    assert lines[reason.place.line - 1].strip() == 'reason = "转出原因"'
    assert reason.edit == 'reason = "转出类型"'
    assert f"第 {reason.place.line} 行" in reason.message()
    assert found["approvals.columns.finished_at"].status.value == "missing"
    # Behind the renamed 转出原因 the walk went on: its options and the fields they show were checked.
    results = by_key(outcome)
    assert results["options.reason.升学"].status.value == "found"
    assert results["transfer.labels.study_type"].status.value == "found"
    assert drifted_portal.applications() == before
    report = json.loads((tmp_path / "check" / "check.json").read_text(encoding="utf-8"))
    assert [e["key"] for e in report["edits"]] and all(e["where"] for e in report["edits"])


async def test_the_check_stores_nothing_and_sends_no_request_that_writes(portal, browser, tmp_path):
    member = portal.members()[0]
    portal.add_application(member["id_number"], "升学", target_path=["团湖北省委", "三峡大学团委"],
                           study_type="普通高校", target_unit_name="三峡大学", target_unit_address="湖北省宜昌市")
    before = portal.applications()
    requests: list[tuple[str, str]] = []

    def listen(context) -> None:
        context.on("request", lambda r: requests.append((r.method, url_path(r.url))))

    settings = settings_for(portal, tmp_path)
    outcome = await check_portal(settings, tmp_path / "check", browser=browser, observe=listen)

    assert outcome.exit_code == 0, [r.message() for r in outcome.results if r.drift]
    assert portal.applications() == before
    catalog = load_catalog()
    prefix = catalog.text("api.prefix")
    reads = {catalog.api_path(k) for k in catalog.data["check"]["read_calls"]}
    reads |= {prefix + p for p in catalog.data["check"]["other_reads"]}
    posts = {path for method, path in requests if method != "GET"}
    assert posts and posts <= reads, posts - reads
    assert catalog.api_path("apply") not in {path for _m, path in requests}
    assert not any("revoke" in path for _m, path in requests)
    # The revocable application was seen (撤销申请 is there) and never clicked.
    assert by_key(outcome)["transfers.revoke"].status.value == "found"
    assert by_key(outcome)["api.approvals.id_masked"].status.value == "found"


async def test_a_write_from_a_checked_page_is_blocked_in_the_browser(portal, browser, tmp_path):
    from rpa.check.candidates import Privacy
    from rpa.check.traffic import Traffic

    catalog = load_catalog()
    traffic = Traffic(catalog, Privacy())
    context = await browser.new_context(base_url=portal.url)
    try:
        await traffic.attach(context)
        page = await context.new_page()
        await page.goto(catalog.page_path("signin"))
        status = await page.evaluate(
            """url => fetch(url, {method: 'POST', body: 'memberId=1'}).then(r => r.status, () => 'blocked')""",
            catalog.api_path("apply"))
    finally:
        await context.close()
    assert status == "blocked"
    assert [c.path for c in traffic.blocked] == [catalog.call("apply")]
    assert portal.applications() == []


@pytest.fixture(scope="module", params=["search_table", "columns"])
def variant_server(request, tmp_path_factory):
    db = tmp_path_factory.mktemp(f"check-{request.param}") / "portal.db"
    with MockPortal.start(db=db, captcha="off", variant=request.param) as server:
        server.variant = request.param
        yield server


async def test_each_variant_with_its_overlay_is_all_found(variant_server, browser, tmp_path):
    client = MockClient(variant_server.url)
    client.reset()
    overlay = VARIANTS_DIR / f"{variant_server.variant}.toml"
    outcome = await check_portal(settings_for(client, tmp_path, catalog=overlay), tmp_path / "check", browser=browser)

    assert outcome.exit_code == 0, [r.message() for r in outcome.results if r.drift]
    strategy = "member_picker" if variant_server.variant == "search_table" else "org_picker"
    result = by_key(outcome)[f"strategies.{strategy}"]
    assert result.status.value == "found" and result.place.file == overlay


async def test_the_shipped_catalog_against_a_variant_names_the_strategy_and_its_missing_entries(
    variant_server, browser, tmp_path
):
    client = MockClient(variant_server.url)
    client.reset()
    outcome = await check_portal(settings_for(client, tmp_path), tmp_path / "check", browser=browser)

    assert outcome.exit_code == 1
    found = drifted(outcome)
    if variant_server.variant == "search_table":
        strategy, missing = "member_picker", {"member_picker.branch"}
    else:
        strategy, missing = "org_picker", {"org_picker.cascader", "org_picker.popper", "org_picker.menu",
                                           "org_picker.node", "org_picker.node_label", "org_picker.node_radio",
                                           "org_picker.node_expand", "org_picker.node_loading"}
    assert set(found) == {f"strategies.{strategy}"} | missing, [r.message() for r in found.values()]
    result = found[f"strategies.{strategy}"]
    assert result.seen == variant_server.variant
    assert result.edit == f'{strategy} = "{variant_server.variant}"'
    assert all(found[key].status.value == "missing" for key in missing)
    # Walked on the portal's way, the rest of 办理转出 was still checked.
    assert by_key(outcome)["transfer.labels.target"].status.value == "found"


def people(branches: list[str]) -> list[dict]:
    """Members with data no page text could hold by chance."""
    made = []
    for i, branch in enumerate(branches):
        first17 = f"65010219950{i % 10}1{i % 10}57{i % 10}"[:17].ljust(17, "3")
        made.append({"name": f"欧阳芷{'甲乙丙丁戊己庚辛壬癸'[i % 10]}澜", "id_number": first17 + check_digit(first17),
                     "phone": f"1995{i % 10}73{i % 10}846"[:11], "branch": branch})
    return made


async def test_the_capture_holds_no_name_id_number_or_phone_of_any_member(portal, browser, tmp_path):
    branches = sorted({m["branch"] for m in portal.members()})
    added = people(branches)
    portal.add_members(added)
    everyone = portal.members()
    member = added[0]
    portal.add_application(member["id_number"], "已落实工作单位（工作单位有团组织）", target_path=["中央企业团工委"],
                           target_unit_name="国家电网有限公司", target_unit_address="北京市西城区")
    outcome = await check_portal(settings_for(portal, tmp_path), tmp_path / "check", browser=browser, capture=True)

    assert outcome.exit_code == 0, [r.message() for r in outcome.results if r.drift]
    capture = tmp_path / "check" / "capture.zip"
    with zipfile.ZipFile(capture) as zf:
        files = {name: zf.read(name) for name in zf.namelist()}
    assert any(n.startswith("pages/") for n in files) and any(n.startswith("shots/") for n in files)
    assert "api.json" in files and "check.json" in files
    account = portal.accounts()[0]
    secrets = {account["username"], account["name"]}
    for m in everyone:
        secrets |= {m["name"], m["id_number"], m["id_number"][:4] + "*" * 10 + m["id_number"][-4:], m["phone"]}
    for m in added:  # the distinctive ones: also each half of the ID shown masked
        secrets |= {m["id_number"][:4], m["id_number"][-4:]}
    # Every file's bytes: texts, and the PNGs' (their image data and any tEXt chunk).
    leaks = [(name, secret) for name, data in files.items() for secret in secrets if secret.encode("utf-8") in data]
    assert not leaks, leaks[:10]
    # The outline keeps the portal's words and says where a person's data was.
    form = next(data.decode("utf-8") for name, data in files.items() if name.startswith("pages/") and "form" in name)
    assert '"转出原因"' in form and '"提交"' in form and "‹文字:" in form and "‹值:" in form
    api = json.loads(files["api.json"])
    member_calls = [c for c in api["calls"] if c["path"] == load_catalog().call("member_list")]
    assert member_calls and isinstance(member_calls[0]["shape"], dict)

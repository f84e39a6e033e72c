"""preview and submit run `rpa check`'s quick check before any row: against a portal whose
labels the catalog doesn't know they refuse to start, with the check's message (the entry, the
candidate, the line to edit), and store nothing. With the catalog edited they run."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from rich.console import Console

from fixtures.mock_portal.client import MockClient, MockPortal
from rpa.config import DEFAULT_SELECTORS_DIR, Settings
from rpa.demo import pick_members, plan_rows, write_batch
from rpa.runner import run_batch

RENAMED = {"转出原因": "转出类型", "备注": "申请备注", "办理转出": "转出办理"}
STUDY = {"毕业去向": "升学", "转入组织是否属于北京/广东/福建": "否", "转入组织": "团湖北省委/三峡大学团委",
         "转入单位名称": "三峡大学", "转入单位地址": "湖北省宜昌市西陵区大学路8号"}


@pytest.fixture(scope="module")
def renamed_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("renamed")
    labels = folder / "labels.json"
    labels.write_text(json.dumps(RENAMED, ensure_ascii=False), encoding="utf-8")
    with MockPortal.start(db=folder / "portal.db", captcha="off", labels=labels) as server:
        yield server


@pytest.fixture
def renamed(renamed_server) -> MockClient:
    client = MockClient(renamed_server.url)
    client.reset()
    return client


def settings_for(portal: MockClient, tmp_path: Path, **values) -> Settings:
    account = portal.accounts()[0]
    return Settings(_env_file=None, portal_url=portal.url, username=account["username"], password=account["password"],
                    min_interval_s=0, timeout_ms=10_000, session_file=tmp_path / "session.json", **values)


def run(mode: str, portal: MockClient, settings: Settings, tmp_path: Path) -> tuple[int, str, Path]:
    rows = plan_rows(pick_members(portal.members(), 2), [STUDY, STUDY])
    batch = write_batch(tmp_path / "batch.xlsx", rows)
    out = tmp_path / mode
    shown = io.StringIO()
    code = run_batch(mode, batch, out, settings, console=Console(file=shown, width=400, highlight=False, color_system=None))
    return code, shown.getvalue(), out


@pytest.mark.parametrize("mode", ["preview", "submit"])
def test_a_run_refuses_to_start_with_the_checks_message_and_stores_nothing(mode, renamed, tmp_path):
    code, shown, out = run(mode, renamed, settings_for(renamed, tmp_path), tmp_path)

    assert code == 2, shown
    assert "没有办理任何一行" in shown
    for key, renamed_to in (("transfer.labels.reason", "转出类型"), ("transfer.labels.remark", "申请备注"),
                            ("menu.transfer_out", "转出办理")):
        assert key in shown and f"“{renamed_to}”" in shown, shown
    assert 'reason = "转出原因" → reason = "转出类型"' in shown
    assert "selectors/portal.toml 第" in shown
    assert renamed.applications() == []
    records = [json.loads(line) for line in (out / "run.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    assert not [r for r in records if r.get("status") in ("started", "previewed", "submitted", "submitting")]


def test_with_the_three_lines_edited_as_the_check_said_the_same_run_goes_through(renamed, tmp_path):
    folder = Path(shutil.copytree(DEFAULT_SELECTORS_DIR, tmp_path / "selectors"))
    catalog = folder / "portal.toml"
    text = catalog.read_text(encoding="utf-8")
    for old, new in (('reason = "转出原因"', 'reason = "转出类型"'), ('remark = "备注"', 'remark = "申请备注"'),
                     ('has_text = "办理转出"', 'has_text = "转出办理"')):
        assert old in text
        text = text.replace(old, new)
    catalog.write_text(text, encoding="utf-8")

    code, shown, _out = run("submit", renamed, settings_for(renamed, tmp_path, selectors_dir=folder), tmp_path)

    assert code == 0, shown
    assert len(renamed.applications()) == 2


def test_a_portal_that_matches_the_catalog_previews_as_before(portal, tmp_path):
    code, shown, out = run("preview", portal, settings_for(portal, tmp_path), tmp_path)

    assert code == 0, shown
    assert portal.applications() == []
    assert len(list((out / "screenshots").glob("row-*.png"))) == 2

"""Labels are data: a portal that words things differently needs an edit to selectors/, no code.

A second mock shows altered labels (`--labels`) while storing canonical ones. With the same
labels changed in a copy of `selectors/`, a row fills and submits as usual; with the shipped
catalog the run stops quickly with an error that names the label and the catalog.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest

from fixtures.mock_portal.client import MockClient, MockPortal
from rpa.batch import TransferRow
from rpa.config import DEFAULT_SELECTORS_DIR, Settings
from rpa.errors import ConfigError
from rpa.portal.session import PortalSession
from rpa.portal.transfer_form import TransferForm

# The evidence names the employer's address only "地址": the mock can say it that way.
RELABELLED = {"转出原因": "转出类型", "升学": "升学深造", "普通高校": "普通高等学校", "工作单位地址": "地址"}


@pytest.fixture(scope="module")
def relabelled_portal(tmp_path_factory):
    folder = tmp_path_factory.mktemp("relabelled")
    labels = folder / "labels.json"
    labels.write_text(json.dumps(RELABELLED, ensure_ascii=False), encoding="utf-8")
    with MockPortal.start(db=folder / "portal.db", captcha="off", labels=labels) as server:
        yield server


@pytest.fixture
def relabelled(relabelled_portal) -> MockClient:
    client = MockClient(relabelled_portal.url)
    client.reset()
    return client


@pytest.fixture
def edited_selectors(tmp_path) -> Path:
    """selectors/ copied, with the same three labels changed in portal.toml (the only edit)."""
    folder = Path(shutil.copytree(DEFAULT_SELECTORS_DIR, tmp_path / "selectors"))
    catalog = folder / "portal.toml"
    text = catalog.read_text(encoding="utf-8")
    for old, new in (
        ('reason = "转出原因"', 'reason = "转出类型"'),
        ('"升学" = "升学"', '"升学" = "升学深造"'),
        ('"普通高校" = "普通高校"', '"普通高校" = "普通高等学校"'),
        ('employer_address = "工作单位地址"', 'employer_address = "地址"'),
    ):
        assert old in text
        text = text.replace(old, new)
    catalog.write_text(text, encoding="utf-8")
    return folder


def settings_for(portal: MockClient, tmp_path: Path, **values) -> Settings:
    account = portal.accounts()[0]
    return Settings(
        _env_file=None, portal_url=portal.url, username=account["username"], password=account["password"],
        min_interval_s=0, session_file=tmp_path / "session.json", **values,
    )


def study_row(member: dict) -> TransferRow:
    return TransferRow(
        row=2, name=member["name"], id_number=member["id_number"], phone="13912345678", contact="父亲 13800000000",
        branch=member["branch"], destination="升学", province_flag=False, target_path=["团湖北省委", "三峡大学团委"],
        study_type="普通高校", unit_name="三峡大学", unit_address="湖北省宜昌市西陵区大学路8号", remark="改了文字的门户",
    )


async def test_a_relabelled_portal_works_once_the_same_labels_are_changed_in_the_catalog(
    relabelled, edited_selectors, browser, tmp_path
):
    settings = settings_for(relabelled, tmp_path, selectors_dir=edited_selectors, timeout_ms=10_000)
    session = PortalSession(settings, browser)
    await session.sign_in()
    form = TransferForm(await (await session.new_context()).new_page(), session.catalog, settings.timeout_ms)
    member = relabelled.members()[0]

    await form.open()
    await form.fill(study_row(member))
    await form.reason_select.get_by_text("转出类型", exact=True).wait_for()  # the page really says it differently
    await form.submit()
    await session.close()

    [app] = relabelled.applications()
    assert app["reason"] == "升学"  # canonical in the portal's store
    assert app["study_type"] == "普通高校"
    assert app["id_number"] == member["id_number"]


async def test_an_employer_address_labelled_only_address_is_filled_under_that_label(
    relabelled, edited_selectors, browser, tmp_path
):
    settings = settings_for(relabelled, tmp_path, selectors_dir=edited_selectors, timeout_ms=10_000)
    session = PortalSession(settings, browser)
    await session.sign_in()
    form = TransferForm(await (await session.new_context()).new_page(), session.catalog, settings.timeout_ms)
    member = relabelled.members()[1]
    row = study_row(member).model_copy(update={
        "destination": "就业（有团组织）", "study_type": None, "target_path": ["中央企业团工委"],
        "unit_name": "国家电网有限公司", "unit_address": "北京市西城区西长安街86号"})

    await form.open()
    await form.fill(row)
    await form.item("employer_address").get_by_text("地址", exact=True).wait_for()
    await form.submit()
    await session.close()

    [app] = relabelled.applications()
    assert (app["target_unit_name"], app["target_unit_address"]) == ("国家电网有限公司", "北京市西城区西长安街86号")


async def test_the_shipped_catalog_against_a_relabelled_portal_stops_quickly_with_a_clear_error(
    relabelled, browser, tmp_path
):
    settings = settings_for(relabelled, tmp_path, timeout_ms=2_000)
    session = PortalSession(settings, browser)
    await session.sign_in()
    form = TransferForm(await (await session.new_context()).new_page(), session.catalog, settings.timeout_ms)

    await form.open()
    started = time.monotonic()
    with pytest.raises(ConfigError) as caught:
        await form.fill(study_row(relabelled.members()[0]))
    await session.close()

    assert time.monotonic() - started < 15
    assert "转出原因" in caught.value.message and "portal.toml" in caught.value.message
    assert relabelled.applications() == []


async def test_a_catalog_with_the_new_field_label_but_an_old_option_names_the_options_offered(
    relabelled, edited_selectors, browser, tmp_path
):
    catalog = edited_selectors / "portal.toml"
    catalog.write_text(catalog.read_text(encoding="utf-8").replace('"升学" = "升学深造"', '"升学" = "升学"'), encoding="utf-8")
    settings = settings_for(relabelled, tmp_path, selectors_dir=edited_selectors, timeout_ms=2_000)
    session = PortalSession(settings, browser)
    await session.sign_in()
    form = TransferForm(await (await session.new_context()).new_page(), session.catalog, settings.timeout_ms)

    await form.open()
    with pytest.raises(ConfigError) as caught:
        await form.fill(study_row(relabelled.members()[0]))
    await session.close()

    assert "没有选项 '升学'" in caught.value.message and "升学深造" in caught.value.message

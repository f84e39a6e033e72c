"""The selector catalog is checked at start: a missing or unknown key is a clear error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rpa.catalog import catalog_for, load_catalog
from rpa.config import DEFAULT_SELECTORS_DIR, Settings
from rpa.errors import ConfigError


@pytest.fixture
def selectors(tmp_path) -> Path:
    """An editable copy of the repository's selectors/."""
    return Path(shutil.copytree(DEFAULT_SELECTORS_DIR, tmp_path / "selectors"))


def edit(selectors: Path, old: str, new: str) -> None:
    path = selectors / "portal.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_shipped_catalog_loads_and_answers_in_portal_words():
    catalog = load_catalog()

    assert catalog.text("messages.submitted") == "申请迁移成功"
    assert catalog.label("reason") == "转出原因"
    assert catalog.option("reason", catalog.reason_for("就业（无团组织）")) == "已落实工作单位（工作单位无团组织）"
    assert catalog.reason_for("出国（境）留学") is None
    assert catalog.flag_option(True) == "是"
    assert catalog.api_path("apply") == "/v1/center/transfer/apply"
    assert catalog.page_path("transfer_out") == "/zhtj/center/manage/transferout"
    assert catalog.label("study_type") == "毕业去向"
    assert catalog.strategy("member_picker") == "selects" and catalog.strategy("org_picker") == "cascader"
    assert catalog.member_option("张伟", "3701**********5585") == "张伟（3701**********5585）"


def test_the_catalog_comes_from_the_selectors_dir_of_the_settings(selectors):
    edit(selectors, 'submitted = "申请迁移成功"', 'submitted = "提交成功"')

    catalog = catalog_for(Settings(_env_file=None, selectors_dir=selectors))

    assert catalog.text("messages.submitted") == "提交成功"
    assert catalog.path == selectors / "portal.toml"


def test_a_missing_key_names_the_file_the_section_and_the_key(selectors):
    edit(selectors, 'submitted = "申请迁移成功"\n', "")

    with pytest.raises(ConfigError) as caught:
        load_catalog(selectors)

    assert "portal.toml" in caught.value.message
    assert "[messages]" in caught.value.message and "'submitted'" in caught.value.message
    assert "缺少" in caught.value.message


def test_an_unknown_key_is_an_error_listing_the_known_ones(selectors):
    edit(selectors, 'submitted = "申请迁移成功"', 'submitted = "申请迁移成功"\nsubmited = "申请迁移成功"')

    with pytest.raises(ConfigError) as caught:
        load_catalog(selectors)

    assert "未知的键 'submited'" in caught.value.message and "submitted" in caught.value.message


def test_an_unknown_section_is_an_error(selectors):
    edit(selectors, "[approvals]", "[aproovals]")

    with pytest.raises(ConfigError, match=r"未知的节 \[aproovals\]"):
        load_catalog(selectors)


def test_a_missing_form_label_is_an_error(selectors):
    edit(selectors, 'reason = "转出原因"\n', "")

    with pytest.raises(ConfigError, match=r"\[transfer\.labels\] 中缺少键 'reason'"):
        load_catalog(selectors)


def test_a_locator_with_two_ways_of_finding_is_an_error(selectors):
    edit(selectors, 'submit = { role = "button", name = "提交" }', 'submit = { role = "button", text = "提交" }')

    with pytest.raises(ConfigError, match=r"\[transfer\] submit 应恰好有一种定位方式"):
        load_catalog(selectors)


def test_a_locator_with_an_unknown_way_of_finding_is_an_error(selectors):
    edit(selectors, 'submit = { role = "button", name = "提交" }', 'submit = { xpath = "//button" }')

    with pytest.raises(ConfigError, match="未知的定位方式 'xpath'"):
        load_catalog(selectors)


def test_a_locator_within_something_that_is_not_there_is_an_error(selectors):
    edit(selectors, 'within = "card"', 'within = "picker"')

    with pytest.raises(ConfigError, match="within = 'picker'"):
        load_catalog(selectors)


def test_a_reason_the_vocabulary_uses_must_have_its_option_label(selectors):
    edit(selectors, '"未落实工作单位" = "未落实工作单位"\n', "")

    with pytest.raises(ConfigError, match=r"\[options\.reason\] 中缺少键 '未落实工作单位'"):
        load_catalog(selectors)


def test_an_option_the_vocabulary_does_not_know_is_an_error(selectors):
    edit(selectors, '"普通高中" = "普通高中"', '"普通高中" = "普通高中"\n"研究生" = "研究生"')

    with pytest.raises(ConfigError, match=r"\[options\.study_type\] 中有未知的键 '研究生'"):
        load_catalog(selectors)


def test_a_wrongly_typed_value_is_an_error(selectors):
    edit(selectors, "ok = 1000", 'ok = "1000"')

    with pytest.raises(ConfigError, match=r"\[api\] ok 应为整数"):
        load_catalog(selectors)


def test_a_broken_file_is_an_error_naming_it(selectors):
    edit(selectors, "[signin]", "[signin")

    with pytest.raises(ConfigError, match="portal.toml.*格式有误"):
        load_catalog(selectors)


def test_a_missing_file_is_an_error_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="RPA_SELECTORS_DIR"):
        load_catalog(tmp_path)


def test_the_selectors_folder_holds_data_only():
    # A package named `selectors` would shadow the standard library module Playwright imports.
    assert not list(DEFAULT_SELECTORS_DIR.glob("*.py"))


# --- the overlay (RPA_CATALOG) ------------------------------------------------------------------


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_an_overlay_is_merged_over_the_catalog_key_by_key(tmp_path):
    overlay = write(tmp_path / "overlay.toml", """
[strategies]
org_picker = "columns"

[transfer.labels]
employer_address = "地址"

[menu]
logout = { text = "安全退出" }

[api.orgtree]
leaf_types = ["01TZB"]
""")

    catalog = load_catalog(overlay=overlay)

    assert catalog.strategy("org_picker") == "columns"
    assert catalog.strategy("member_picker") == "selects"  # the rest of the table stays
    assert catalog.label("employer_address") == "地址"
    assert catalog.label("employer_name") == "工作单位名称"
    assert catalog.data["menu"]["logout"] == {"text": "安全退出"}  # a locator is replaced whole
    assert catalog.texts("api.orgtree.leaf_types") == ("01TZB",)
    assert catalog.key("orgtree", "parent") == "queryLeagueId"
    assert catalog.overlay == overlay.resolve()


def test_the_overlay_comes_from_rpa_catalog(tmp_path, monkeypatch):
    overlay = write(tmp_path / "overlay.toml", '[strategies]\nmember_picker = "search_table"\n')
    monkeypatch.setenv("RPA_CATALOG", str(overlay))

    catalog = catalog_for(Settings(_env_file=None))

    assert catalog.strategy("member_picker") == "search_table"


def test_each_variant_of_the_mock_ships_an_overlay_the_catalog_takes():
    variants = Path(__file__).resolve().parents[2] / "fixtures" / "mock_portal" / "variants"

    strategies = {path.stem: load_catalog(overlay=path).data["strategies"] for path in variants.glob("*.toml")}

    assert strategies == {
        "search_table": {"member_picker": "search_table", "org_picker": "cascader"},
        "columns": {"member_picker": "selects", "org_picker": "columns"},
    }


def test_an_overlay_with_an_unknown_key_names_the_overlay_and_the_key(tmp_path):
    overlay = write(tmp_path / "overlay.toml", '[strategies]\nmember_pickr = "selects"\n')

    with pytest.raises(ConfigError) as caught:
        load_catalog(overlay=overlay)

    assert "overlay.toml" in caught.value.message and "'member_pickr'" in caught.value.message
    assert "member_picker" in caught.value.message  # the known keys are listed


def test_an_overlay_with_a_wrongly_typed_value_names_the_overlay_and_the_key(tmp_path):
    overlay = write(tmp_path / "overlay.toml", '[api]\nok = "1000"\n')

    with pytest.raises(ConfigError) as caught:
        load_catalog(overlay=overlay)

    assert "overlay.toml" in caught.value.message and "[api] ok 应为整数" in caught.value.message


def test_a_broken_or_missing_overlay_is_an_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match="overlay.toml.*格式有误"):
        load_catalog(overlay=write(tmp_path / "overlay.toml", "[strategies\n"))
    with pytest.raises(ConfigError, match="nowhere.toml.*RPA_CATALOG"):
        load_catalog(overlay=tmp_path / "nowhere.toml")


def test_an_unknown_strategy_is_an_error_listing_the_known_ones(tmp_path):
    overlay = write(tmp_path / "overlay.toml", '[strategies]\norg_picker = "tree"\n')

    with pytest.raises(ConfigError) as caught:
        load_catalog(overlay=overlay)

    assert "org_picker = 'tree'" in caught.value.message
    assert "cascader" in caught.value.message and "columns" in caught.value.message

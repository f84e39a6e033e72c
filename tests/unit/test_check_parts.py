"""The parts of `rpa check` that need no browser: catalog lines and edits, candidates and their
scores, what counts as a person's data, the safe clicks, the traffic guard, what a run needs."""

from __future__ import annotations

import pytest

from rpa.catalog import load_catalog
from rpa.check.candidates import Privacy, catalog_texts, nearest
from rpa.check.lines import CatalogPlaces, key_lines
from rpa.check.needs import Needs
from rpa.check.steps import SafeActions, UnsafeAction
from rpa.check.traffic import Traffic, shape
from rpa.errors import ConfigError


def test_every_catalog_entry_is_found_on_its_own_line_with_quoted_keys_and_nested_sections(tmp_path):
    path = tmp_path / "portal.toml"
    path.write_text('# c\n[transfer.labels]\nreason = "转出原因"\n\n[options.reason]\n"升学" = "升学"\n'
                    '[menu]\nbusiness = { css = ".x", has_text = "业务办理" }\n', encoding="utf-8")
    lines = key_lines(path)
    assert lines["transfer.labels.reason"].line == 3
    assert lines["options.reason.升学"].line == 6
    assert lines["menu.business"].edit("业务办理", "业务中心") == 'business = { css = ".x", has_text = "业务中心" }'
    assert lines["options.reason.升学"].edit("升学", "升学深造") == '"升学" = "升学深造"'


def test_an_entry_an_overlay_sets_is_reported_in_the_overlay(tmp_path):
    overlay = tmp_path / "mine.toml"
    overlay.write_text('[strategies]\n\nmember_picker = "search_table"\n', encoding="utf-8")
    places = CatalogPlaces(load_catalog(overlay=overlay))
    assert (places.of("strategies.member_picker").file, places.of("strategies.member_picker").line) == (overlay, 3)
    assert places.of("strategies.org_picker").file.name == "portal.toml"


def test_the_renamed_label_is_the_first_candidate_and_labels_of_other_entries_are_not_offered():
    shown = ["转出人姓名", "转出团支部", "转出类型", "申请备注", "申请时间"]
    found = nearest("转出原因", shown, taken={"转出人姓名", "转出团支部"})
    assert found[0].text == "转出类型" and found[0].percent == 50
    assert nearest("备注", shown, taken={"申请时间"})[0].text == "申请备注"
    assert all(c.text not in ("转出人姓名", "转出团支部") for c in found)


def test_a_persons_data_is_never_a_candidate_but_the_portals_own_words_are():
    catalog = load_catalog()
    privacy = Privacy(catalog_texts(catalog.data))
    privacy.add_answer({"retCode": 1000, "results": {"list": [
        {"realName": "欧阳芷兰", "idCardNo": "650102199501157330", "mobile": "13912345678", "reason": "升学"}]}})
    assert privacy.hides("欧阳芷兰（6501**********7330）")
    assert privacy.hides("联系电话 13912345678")
    assert not privacy.hides("升学深造") and not privacy.hides("转出类型")
    assert nearest("升学", ["升学深造", "欧阳芷兰"], private=privacy)[0].text == "升学深造"


def test_the_check_may_click_only_what_the_catalog_marks_safe_and_never_a_button_that_writes():
    catalog = load_catalog()
    safe = SafeActions(catalog)
    for key in ("transfer.submit", "transfer.reset", "transfers.revoke", "widgets.confirm", "signin.submit"):
        assert key not in catalog.data["check"]["safe_clicks"]
        with pytest.raises(UnsafeAction):
            safe.allow(key)
    safe.allow("menu.transfers")
    with pytest.raises(UnsafeAction):
        safe.allow("member_picker.query", "fill")


def test_a_safe_click_the_catalog_does_not_know_stops_at_load(tmp_path):
    overlay = tmp_path / "bad.toml"
    overlay.write_text('[check]\nsafe_clicks = ["transfer.nothing"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="safe_clicks"):
        load_catalog(overlay=overlay)


def test_the_guard_lets_pages_and_read_calls_through_and_nothing_else():
    catalog = load_catalog()
    traffic = Traffic(catalog, Privacy())
    base = "https://portal.example"
    assert traffic.allowed("GET", base + catalog.page_path("transfer_out"))
    assert traffic.allowed("POST", base + catalog.api_path("org_level"))
    assert traffic.allowed("POST", base + catalog.api_path("approval_list"))
    assert not traffic.allowed("POST", base + catalog.api_path("apply"))
    assert not traffic.allowed("POST", base + catalog.text("api.prefix") + "transfer/revoke")
    assert not traffic.allowed("POST", base + "/somewhere/else")


def test_an_answers_shape_keeps_keys_and_types_and_no_value():
    answer = {"retCode": 1000, "results": {"total": 1, "list": [{"realName": "欧阳芷兰", "ok": True, "x": None}]}}
    assert shape(answer) == {"retCode": "number", "results": {
        "total": "number", "list": [{"realName": "string", "ok": "boolean", "x": "null"}]}}


def row(**values):
    from rpa.batch import TransferRow

    base = dict(row=2, name="张三", id_number="371402200001011234", phone="13912345678", contact="父亲",
                branch="某团支部", destination="参军入伍", province_flag=False)
    return TransferRow(**{**base, **values})


def test_a_run_needs_the_fields_of_its_rows_reasons_and_the_org_picker_only_for_a_path():
    catalog = load_catalog()
    army = Needs.for_rows(catalog, [row()], "preview")
    assert "options.reason.转往特殊单位团组织" in army.keys and "options.reason.升学" not in army.keys
    assert not army.org and "strategies.org_picker" not in army.keys and not army.approvals
    assert "transfer.labels.study_type" not in army.keys
    study = Needs.for_rows(catalog, [row(destination="升学", target_path=["团湖北省委", "三峡大学团委"],
                                         study_type="普通高校", unit_name="三峡大学", unit_address="宜昌")], "submit")
    assert {"transfer.labels.study_type", "transfer.labels.school_name", "options.study_type.普通高校",
            "org_picker.cascader", "api.paths.org_level", "pages.approvals", "transfer.submit"} <= study.keys
    assert study.org and study.approvals and study.member == ("某团支部", "张三")

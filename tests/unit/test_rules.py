"""Every rule of SPEC §2/§3: a row that passes it and a row that breaks it, in a real .xlsx."""

from __future__ import annotations

import datetime as dt

import pytest

from rpa.batch import Col, RowStatus, TransferRow
from rpa.idnumber import check_id_number
from rpa.rules import is_township_grassroots, split_target_path
from rpa.vocabulary import Destination, load_vocabulary

from test_batch_kit import check_one, codes, make_id

FLAG = Col.PROVINCE_FLAG.value
ABROAD = {"境外学习地点": "英国伦敦大学学院", "境外学习期限": "2021.09–2022.09", "境内联系人": "张父", "境内联系人电话": "13912345678"}
TOWNSHIP = "团山东省委/团德州市委/团德城区委/新湖街道团工委/新湖街道流动团员团支部"
HOME = "团山东省委/团德州市委/团德城区委/新湖街道团工委/新湖街道青年之家"
TEMP = "团河北省委/团衡水市委/团桃城区委/河沿镇团委/河沿镇学社衔接临时团支部"
SCHOOL = "团湖北省委/三峡大学团委"

# (case id, overrides, expected error code or None, its column)
CASES = [
    ("a valid employed row passes", {}, None, None),
    ("an empty name is required", {"姓名": None}, "required", "姓名"),
    ("a blank-only branch is required", {"转出团支部": "   "}, "required", "转出团支部"),
    ("an empty contact is required", {"常用联系人联系方式": None}, "required", "常用联系人联系方式"),
    ("an ID with a lower-case x is accepted", {"身份证号": make_id(seq="001").replace("X", "x")}, None, None),
    ("an ID typed as a number says to format the column as text", {"身份证号": 371402200001011230}, "id_numeric", "身份证号"),
    ("an ID of 17 characters is a format error", {"身份证号": make_id()[:17]}, "id_format", "身份证号"),
    ("an ID with a letter inside is a format error", {"身份证号": "3714A2200001011234"}, "id_format", "身份证号"),
    ("an ID with February 30th is a birth date error", {"身份证号": make_id(birth="20000230")}, "id_birth_date", "身份证号"),
    ("an ID born in the future is a birth date error", {"身份证号": make_id(birth="20990101")}, "id_birth_date", "身份证号"),
    ("an ID with a wrong check digit is rejected", {"身份证号": make_id()[:17] + ("0" if make_id()[17] != "0" else "1")}, "id_check_digit", "身份证号"),
    ("an ID cell holding a date says the column is text", {"身份证号": dt.datetime(2000, 1, 1)}, "date_in_text", "身份证号"),
    ("a phone with spaces and +86 is accepted", {"手机号": "+86 138 1234 5678"}, None, None),
    ("a phone typed as a number is accepted", {"手机号": 13812345678}, None, None),
    ("a 10-digit phone is rejected", {"手机号": "1381234567"}, "phone_format", "手机号"),
    ("a landline is not a mobile", {"手机号": "0534-8985555"}, "phone_format", "手机号"),
    ("a remark of 100 characters passes", {"备注": "字" * 100}, None, None),
    ("a remark of 101 characters is too long", {"备注": "字" * 101}, "remark_too_long", "备注"),
    ("a full name of 101 characters is longer than the portal takes",
     {"转入组织是否属于北京/广东/福建": "是", "转入省份": "广东", "转入组织": "团" * 101}, "full_name_too_long", "转入组织"),
    ("a name cell holding a date is an error", {"姓名": dt.datetime(2021, 6, 1)}, "date_in_text", "姓名"),
    ("an unknown destination is rejected", {"毕业去向": "考公"}, "destination_unknown", "毕业去向"),
    ("a destination with half-width brackets is folded", {"毕业去向": "就业(有团组织)"}, None, None),
    ("a destination with spaces is folded", {"毕业去向": " 就业 ( 有团组织 ) "}, None, None),
    ("an empty destination is required", {"毕业去向": None}, "required", "毕业去向"),
    ("a submitted row without the flag is an error", {FLAG: None}, "province_flag_missing", FLAG),
    ("a flag other than 是/否 is an error", {FLAG: "不是"}, "province_flag_invalid", FLAG),
    ("flag 否 without a target is an error", {"转入组织": None}, "target_missing", "转入组织"),
    ("flag 否 under 团北京市委 is an error", {"转入组织": "团北京市委/团海淀区委/某公司团委"}, "target_own_system", "转入组织"),
    ("flag 否 under 团广东省委 is an error", {"转入组织": "团广东省委/团深圳市委/某公司团委"}, "target_own_system", "转入组织"),
    ("flag 否 under 团福建省委 is an error", {"转入组织": "团福建省委 ／ 厦门大学团委"}, "target_own_system", "转入组织"),
    ("flag 否 with a 中直 unit at the top passes", {"转入组织": "中央企业团工委/中国石油团委"}, None, None),
    ("flag 是 with a province and a full name passes",
     {FLAG: "是", "转入省份": "北京", "转入组织": "共青团北京某科技有限公司委员会"}, None, None),
    ("flag 是 with 广东省 is folded to 广东",
     {FLAG: "是", "转入省份": "广东省", "转入组织": "共青团广州某公司委员会"}, None, None),
    ("flag 是 without a province is an error",
     {FLAG: "是", "转入组织": "共青团北京某科技有限公司委员会"}, "province_missing", "转入省份"),
    ("flag 是 with another province is an error",
     {FLAG: "是", "转入省份": "上海", "转入组织": "共青团上海某公司委员会"}, "province_invalid", "转入省份"),
    ("flag 是 without a full name is an error", {FLAG: "是", "转入省份": "福建", "转入组织": None}, "target_missing", "转入组织"),
    ("flag 是 with a 中直 unit is an error",
     {FLAG: "是", "转入省份": "北京", "转入组织": "中央和国家机关团工委某部团委"}, "central_unit_flag_yes", FLAG),
    ("flag 是 with a path instead of a full name is an error",
     {FLAG: "是", "转入省份": "北京", "转入组织": "团北京市委/团海淀区委"}, "full_name_is_path", "转入组织"),
    ("升学 into a school passes", {"毕业去向": "升学", "转入组织": SCHOOL}, None, None),
    ("升学 into a 流动团员团支部 is an error", {"毕业去向": "升学", "转入组织": TOWNSHIP}, "target_grassroots_for_study", "转入组织"),
    ("升学 into a 青年之家 is an error", {"毕业去向": "升学", "转入组织": HOME}, "target_grassroots_for_study", "转入组织"),
    ("升学 into a 学社衔接临时团支部 is an error", {"毕业去向": "升学", "转入组织": TEMP}, "target_grassroots_for_study", "转入组织"),
    ("升学 with a known study type passes", {"毕业去向": "升学", "转入组织": SCHOOL, "升学类型": "高等职业院校"}, None, None),
    ("升学 with an unknown study type is an error",
     {"毕业去向": "升学", "转入组织": SCHOOL, "升学类型": "研究生"}, "study_type_invalid", "升学类型"),
    ("就业（无团组织） into a township 流动团员团支部 passes", {"毕业去向": "就业（无团组织）", "转入组织": TOWNSHIP}, None, None),
    ("就业（无团组织） into a township 青年之家 passes", {"毕业去向": "就业（无团组织）", "转入组织": HOME}, None, None),
    ("就业（无团组织） into a company is an error",
     {"毕业去向": "就业（无团组织）", "转入组织": "团山东省委/团德州市委/德州某公司团委"}, "target_not_grassroots", "转入组织"),
    ("就业（无团组织） into a 流动团员团支部 outside a township is an error",
     {"毕业去向": "就业（无团组织）", "转入组织": "团山东省委/团德州市委/德州市流动团员团支部"}, "target_not_grassroots", "转入组织"),
    ("就业（无团组织） into a 学社衔接临时团支部 is an error",
     {"毕业去向": "就业（无团组织）", "转入组织": TEMP}, "target_not_grassroots", "转入组织"),
    ("因私出国（境） into a township 青年之家 passes", {"毕业去向": "因私出国（境）", "转入组织": HOME}, None, None),
    ("因私出国（境） into a school is an error", {"毕业去向": "因私出国（境）", "转入组织": SCHOOL}, "target_not_grassroots", "转入组织"),
    ("未落实 into a township 学社衔接临时团支部 passes", {"毕业去向": "未落实", "转入组织": TEMP}, None, None),
    ("未落实 into a township 流动团员团支部 passes", {"毕业去向": "未落实", "转入组织": TOWNSHIP}, None, None),
    ("未落实 into a school is an error", {"毕业去向": "未落实", "转入组织": SCHOOL}, "target_not_grassroots_or_temp", "转入组织"),
    ("参军入伍 without a target passes", {"毕业去向": "参军入伍", "转入组织": None}, None, None),
    ("参军入伍 without a flag passes (it is 否)", {"毕业去向": "参军入伍", "转入组织": None, FLAG: None}, None, None),
    ("参军入伍 with a target is an error", {"毕业去向": "参军入伍"}, "special_with_target", "转入组织"),
    ("涉密单位 with flag 是 is an error", {"毕业去向": "涉密单位", "转入组织": None, FLAG: "是"}, "special_flag_yes", FLAG),
    ("出国（境）留学 with the four abroad columns is retained", {"毕业去向": "出国（境）留学", **ABROAD}, None, None),
    ("出国（境）留学 without 境外学习地点 is an error",
     {"毕业去向": "出国（境）留学", **ABROAD, "境外学习地点": None}, "abroad_field_missing", "境外学习地点"),
    ("出国（境）留学 without 境内联系人电话 is an error",
     {"毕业去向": "出国（境）留学", **ABROAD, "境内联系人电话": None}, "abroad_field_missing", "境内联系人电话"),
    ("出国（境）留学 with a date as 境外学习期限 is accepted",
     {"毕业去向": "出国（境）留学", **ABROAD, "境外学习期限": dt.datetime(2023, 6, 30)}, None, None),
    ("未落实（保留在校） needs no target", {"毕业去向": "未落实（保留在校）", "转入组织": None, FLAG: None}, None, None),
]


@pytest.mark.parametrize(("overrides", "code", "column"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_rule(tmp_path, overrides, code, column):
    checked = check_one(tmp_path, **overrides)
    if code is None:
        assert checked.errors == []
        assert checked.status in (RowStatus.VALID, RowStatus.RETAINED)
        assert isinstance(checked.data, TransferRow)
    else:
        assert code in codes(checked), checked.errors
        error = next(e for e in checked.errors if e.code == code)
        assert error.column == column
        assert any("\u4e00" <= ch <= "\u9fff" for ch in error.message)
        assert checked.status is RowStatus.INVALID
        assert checked.data is None


def test_messages_never_quote_the_id_number(tmp_path):
    bad_id = make_id()[:17] + ("0" if make_id()[17] != "0" else "1")
    checked = check_one(tmp_path, 身份证号=bad_id)
    assert all(bad_id not in e.message and bad_id[:14] not in e.message for e in checked.errors)


def test_a_row_not_approved_is_skipped_even_with_errors(tmp_path):
    checked = check_one(tmp_path, 审核状态="待审批", 手机号="123")
    assert checked.status is RowStatus.SKIPPED
    assert "phone_format" in codes(checked)


def test_a_blank_approval_is_skipped(tmp_path):
    assert check_one(tmp_path, 审核状态=None).status is RowStatus.SKIPPED


def test_an_approval_with_spaces_still_counts_as_approved(tmp_path):
    assert check_one(tmp_path, 审核状态=" 已审批 ").status is RowStatus.VALID


def test_study_abroad_and_kept_at_school_are_retained_not_submitted(tmp_path):
    abroad = check_one(tmp_path, 毕业去向="出国（境）留学", **ABROAD)
    kept = check_one(tmp_path, 毕业去向="未落实（保留在校）")
    assert abroad.status is kept.status is RowStatus.RETAINED
    assert abroad.data.abroad_place == "英国伦敦大学学院"
    assert abroad.data.domestic_contact_phone == "13912345678"


def test_a_valid_row_is_typed_for_the_driver(tmp_path):
    checked = check_one(tmp_path, 毕业去向="升学", 转入组织=" 团湖北省委 ／ 三峡大学团委 ", 身份证号=make_id(seq="001").lower())
    data = checked.data
    assert data.row == 2
    assert data.destination is Destination.STUDY
    assert data.target_path == ["团湖北省委", "三峡大学团委"]
    assert data.target_full_name is None
    assert data.province_flag is False
    assert data.study_type == "普通高校"
    assert data.id_number == data.id_number.upper()
    assert data.masked_id == data.id_number[:4] + "*" * 10 + data.id_number[-4:]


def test_a_flag_yes_row_carries_the_full_name_and_province(tmp_path):
    data = check_one(tmp_path, **{FLAG: "是", "转入省份": "福建省", "转入组织": "共青团厦门某公司委员会"}).data
    assert (data.province_flag, data.province, data.target_full_name, data.target_path) == (True, "福建", "共青团厦门某公司委员会", None)


def test_a_special_unit_row_has_no_target_and_flag_no(tmp_path):
    data = check_one(tmp_path, 毕业去向="参军入伍", 转入组织=None, **{FLAG: None}).data
    assert data.province_flag is False and data.target_path is None and data.target_full_name is None


def test_party_members_and_foundation_students_are_not_errors(tmp_path):
    checked = check_one(tmp_path, 毕业去向="升学", 转入组织=SCHOOL, 备注="中共党员；预科升入本科")
    assert checked.status is RowStatus.VALID


def test_target_paths_split_on_both_slashes_and_trim_spaces():
    assert split_target_path(" 团湖北省委 / 三峡大学团委／计算机学院团总支 ") == ["团湖北省委", "三峡大学团委", "计算机学院团总支"]
    assert split_target_path("团湖北省委//三峡大学团委/") == ["团湖北省委", "三峡大学团委"]


def test_a_township_branch_needs_both_the_ending_and_a_township_level():
    vocab = load_vocabulary()
    assert is_township_grassroots(["团X县委", "大王庄乡团委", "大王庄乡青年之家"], vocab, allow_temp=False)
    assert not is_township_grassroots(["团X市委", "X市青年之家"], vocab, allow_temp=False)
    assert not is_township_grassroots(["团X县委", "X镇团委", "X镇学社衔接临时团支部"], vocab, allow_temp=False)
    assert is_township_grassroots(["团X县委", "X镇团委", "X镇学社衔接临时团支部"], vocab, allow_temp=True)


def test_the_gb11643_example_id_is_valid():
    assert check_id_number("11010519491231002X") is None


# --- 转入单位名称 / 转入单位地址 (the school for 升学, the employer for 就业) ------------------

def test_study_and_jobs_need_the_unit_name_and_address(tmp_path):
    from test_batch_kit import check_one, codes

    for destination, target in (("升学", "团湖北省委/三峡大学团委"), ("就业（有团组织）", "团山东省委/团德州市委/德州某公司团委"),
                                ("就业（无团组织）", "团山东省委/团德州市委/团德城区委/新湖街道团工委/新湖街道流动团员团支部")):
        row = check_one(tmp_path, 毕业去向=destination, 转入组织=target, 转入单位名称=None, 转入单位地址=" ")
        assert codes(row) == {"unit_field_missing"}, (destination, row.errors)
        assert {e.column for e in row.errors} == {"转入单位名称", "转入单位地址"}
        assert all(destination in e.message for e in row.errors)


def test_a_school_in_guangdong_still_needs_its_name_and_address(tmp_path):
    from test_batch_kit import check_one

    row = check_one(tmp_path, 毕业去向="升学", **{"转入组织是否属于北京/广东/福建": "是"}, 转入省份="广东",
                    转入组织="中山大学团委", 转入单位名称="中山大学", 转入单位地址=None)
    assert [(e.column, e.code) for e in row.errors] == [("转入单位地址", "unit_field_missing")]


def test_the_unit_is_typed_for_the_portal_and_ignored_where_unused(tmp_path):
    from test_batch_kit import check_one

    row = check_one(tmp_path)
    assert (row.data.unit_name, row.data.unit_address) == ("德州某公司", "山东省德州市德城区新湖大街1号")
    army = check_one(tmp_path, 毕业去向="参军入伍", 转入组织=None, 转入单位名称=None, 转入单位地址=None)
    assert army.status.value == "valid" and army.data.unit_name is None


@pytest.mark.parametrize("column, limit", [("转入单位名称", 50), ("转入单位地址", 100), ("常用联系人联系方式", 50)])
def test_a_unit_or_contact_longer_than_the_portal_allows_is_an_error(tmp_path, column, limit):
    from test_batch_kit import check_one

    assert check_one(tmp_path, **{column: "长" * limit}).status.value == "valid"
    row = check_one(tmp_path, **{column: "长" * (limit + 1)})
    assert [e.column for e in row.errors] == [column] and f"最多 {limit} 个字" in row.errors[0].message


def test_an_old_batch_without_the_unit_columns_is_refused_naming_them_only_when_rows_need_them(tmp_path):
    from rpa.batch import BatchFileError, load_batch
    from test_batch_kit import HEADERS, good_row, member, write_batch

    old = [h for h in HEADERS if h not in ("转入单位名称", "转入单位地址")]
    army = [good_row(身份证号=member(n), 毕业去向="参军入伍", 转入组织=None) for n in range(3)]
    assert len(load_batch(write_batch(tmp_path / "army.xlsx", army, headers=old)).rows) == 3
    with pytest.raises(BatchFileError) as info:
        load_batch(write_batch(tmp_path / "jobs.xlsx", [*army, good_row(身份证号=member(9))], headers=old))
    assert "转入单位名称" in info.value.message and "转入单位地址" in info.value.message
    assert "第 5 行" in info.value.message and "rpa template" in info.value.message

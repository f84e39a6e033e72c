"""The row rules of SPEC §2 and §3, each with a stable error code.

Every error names its column (the canonical header) and says, in Chinese, how to fix it. One
error per column at most: the first problem found is the one to fix. Messages never quote an
ID number (they end up on the console and in validation.json).

Codes (stable; tests, validation.json and the driver rely on them):

    formula_no_value       a formula cell without a cached value
    date_in_text           a date cell in a text column
    required               a required cell is empty
    id_numeric             the ID number is a number cell (precision lost)
    id_format              not 17 digits + a digit or X
    id_birth_date          the birth date inside the ID number is not a real date
    id_check_digit         GB 11643 check digit wrong
    phone_format           not an 11-digit mainland mobile number
    remark_too_long        备注 over 100 characters
    contact_too_long       常用联系人联系方式 over the portal's 50 characters
    unit_field_missing     升学/就业 without 转入单位名称 or 转入单位地址
    unit_field_too_long    转入单位名称 over 50 or 转入单位地址 over 100 characters
    destination_unknown    毕业去向 not one of the §2 table
    province_flag_missing  submitted row without 是/否
    province_flag_invalid  flag is neither 是 nor 否
    province_missing       flag 是 without 转入省份
    province_invalid       转入省份 not 北京/广东/福建
    central_unit_flag_yes  flag 是 with a 中直 unit (they are in the national system)
    full_name_is_path      flag 是 with a `/` path instead of the full name
    full_name_too_long     flag 是 with a full name over the portal's 100 characters
    target_missing         the row needs a 转入组织 and has none
    target_own_system      flag 否 with a path under 团北京市委/团广东省委/团福建省委
    special_with_target    参军入伍/涉密单位 with a 转入组织
    special_flag_yes       参军入伍/涉密单位 with flag 是
    target_grassroots_for_study   升学 into a 流动团员团支部/青年之家/学社衔接临时团支部
    target_not_grassroots  就业（无团组织）/因私出国（境） into anything but a 乡镇街道 流动团员团支部/青年之家
    target_not_grassroots_or_temp 未落实 into anything but those or a 学社衔接临时团支部
    study_type_invalid     升学类型 not one of the four
    abroad_field_missing   出国（境）留学 without one of the four abroad columns
    duplicate_member       the same ID number as an earlier row
    org_not_found          (rpa validate --online) a level of the path is not in the portal

"Is a 乡镇街道 grass-roots branch" is decided from names only, simply and on purpose: the last
level of the path ends with 流动团员团支部 / 青年之家 (or 学社衔接临时团支部 where allowed) and
some level of the path names a 乡镇街道 level (contains 街道, 镇 or 乡). `--online` checks that
the path really exists.
"""

from __future__ import annotations

import datetime as dt
import functools
import time
import re
from collections.abc import Iterable
from typing import Any

from rpa.batch import Col, CheckedRow, RowError, RowStatus, SheetRow, TransferRow
from rpa.idnumber import ID_FORMAT_RE, check_id_number
from rpa.vocabulary import Destination, Retention, TargetKind, Vocabulary, fold

REMARK_MAX = 100
# The portal's form limits (its inputs' maxlength, as the real form and the mock have them).
CONTACT_MAX = 50
UNIT_NAME_MAX = 50
UNIT_ADDRESS_MAX = 100
FULL_NAME_MAX = 100
TARGET_EXAMPLE = "团湖北省委/三峡大学团委"

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_PHONE_NOISE_RE = re.compile(r"[\s\-－—()（）]")
_PATH_SPLIT_RE = re.compile(r"[/／]")

# Columns whose cells are text: a date there is a typing accident (Excel turned it into a date).
_TEXT_COLUMNS = frozenset(Col) - {Col.ABROAD_TERM}
_COL_NAMES = {c: c.value for c in Col}
_DESTINATIONS = {d.value: d for d in Destination}


def _today() -> dt.date:
    # dt.date.today() was 4 % of a 10,000-row validation; the date of the first call of the
    # second is good enough for "a birth date is not in the future".
    return _today_cache(int(time.time()))


@functools.lru_cache(maxsize=1)
def _today_cache(_second: int) -> dt.date:
    return dt.date.today()


def normalize_phone(value: str) -> str:
    """Drop spaces, dashes, brackets and a leading +86/86 from a phone number."""
    text = _PHONE_NOISE_RE.sub("", value)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    return text


def split_target_path(text: str) -> list[str]:
    """`团湖北省委 / 三峡大学团委` → ['团湖北省委', '三峡大学团委'] (`/` or `／`, trimmed, no empty levels)."""
    return [level.strip() for level in _PATH_SPLIT_RE.split(text) if level.strip()]


def is_township_grassroots(levels: list[str], vocab: Vocabulary, *, allow_temp: bool) -> bool:
    """Is this path (or full name, as one level) a 乡镇街道 流动团员团支部/青年之家 (or 临时团支部)?"""
    if not levels:
        return False
    kinds = list(vocab.flowing_kinds) + (list(vocab.temp_branch_kinds) if allow_temp else [])
    if not levels[-1].endswith(tuple(kinds)):
        return False
    return any(marker in level for level in levels for marker in vocab.township_markers)


def is_grassroots_kind(levels: list[str], vocab: Vocabulary) -> bool:
    """Does the last level name a 流动团员团支部 / 青年之家 / 学社衔接临时团支部?"""
    return bool(levels) and levels[-1].endswith(tuple(vocab.grassroots_kinds))


class _Row:
    """Collects the errors of one row, at most one per column."""

    def __init__(self, sheet_row: SheetRow, columns: dict[Col, int]) -> None:
        self.sheet_row = sheet_row
        self.columns = columns
        self.errors: list[RowError] = []
        self.bad: set[str] = set()

    def add(self, col: Col | str, code: str, message: str) -> None:
        name = _COL_NAMES[col] if isinstance(col, Col) else col
        if name in self.bad:
            return
        self.bad.add(name)
        self.errors.append(RowError(name, code, message))

    def cell(self, col: Col) -> Any:
        pos = self.columns.get(col)
        values = self.sheet_row.values
        if pos is None or pos >= len(values):
            return None
        if pos in self.sheet_row.no_cached_value:
            self.add(col, "formula_no_value",
                     f"“{col.value}”是公式，但文件中没有保存计算结果：请在 Excel 中打开名单并保存一次，或把公式改为直接填写的值。")
        return values[pos]

    def text(self, col: Col) -> str | None:
        """The cell as trimmed text (None when blank), or None with an error for a date cell."""
        value = self.cell(col)
        if value is None:
            return None
        if isinstance(value, str):
            return value.strip() or None
        if isinstance(value, (dt.datetime, dt.date, dt.time)):
            if col in _TEXT_COLUMNS:
                self.add(col, "date_in_text",
                         f"“{col.value}”被 Excel 识别成了日期：请把该列设置为“文本”格式后重新填写。")
                return None
            if isinstance(value, dt.datetime) and value.time() == dt.time(0):
                return value.date().isoformat()
            return value.isoformat()
        if isinstance(value, bool):
            return "是" if value else "否"
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value).strip() or None

    def required(self, col: Col) -> str | None:
        value = self.text(col)
        if value is None and _COL_NAMES[col] not in self.bad:
            self.add(col, "required", f"“{col.value}”不能为空：请填写。")
        return value


def check_rows(
    sheet_rows: Iterable[SheetRow],
    columns: dict[Col, int],
    extra_columns: dict[str, int],
    vocab: Vocabulary,
) -> list[CheckedRow]:
    """Apply every rule to every row; the same member twice is an error on the later row."""
    checked: list[CheckedRow] = []
    first_seen: dict[str, int] = {}
    for sheet_row in sheet_rows:
        result = check_row(sheet_row, columns, extra_columns, vocab)
        id_number = result.data.id_number if result.data else _clean_id(sheet_row, columns)
        if result.status is not RowStatus.SKIPPED and id_number:
            earlier = first_seen.setdefault(id_number, sheet_row.row)
            if earlier != sheet_row.row and not any(e.column == Col.ID_NUMBER.value for e in result.errors):
                result.errors.append(RowError(
                    Col.ID_NUMBER.value, "duplicate_member",
                    f"与第 {earlier} 行是同一名团员（身份证号相同）：同一团员只能办理一次转接，请删除重复的行。",
                ))
                result.status = RowStatus.INVALID
                result.data = None
        checked.append(result)
    return checked


def _clean_id(sheet_row: SheetRow, columns: dict[Col, int]) -> str | None:
    pos = columns.get(Col.ID_NUMBER)
    if pos is None or pos >= len(sheet_row.values):
        return None
    value = sheet_row.values[pos]
    if not isinstance(value, str):
        return None
    value = value.strip().upper()
    return value if ID_FORMAT_RE.match(value) else None


def check_row(
    sheet_row: SheetRow, columns: dict[Col, int], extra_columns: dict[str, int], vocab: Vocabulary
) -> CheckedRow:
    """The verdict on one row (without the duplicate rule, which needs the whole batch)."""
    r = _Row(sheet_row, columns)
    values = sheet_row.values

    approval = r.text(Col.APPROVAL)
    approved = approval is not None and fold(approval) == vocab.approved

    name = r.required(Col.NAME)
    id_number = _id_number(r)
    phone = _phone(r, Col.PHONE)
    contact = r.required(Col.CONTACT)
    if contact is not None and len(contact) > CONTACT_MAX:
        r.add(Col.CONTACT, "contact_too_long",
              f"“{Col.CONTACT.value}”最多 {CONTACT_MAX} 个字，现在有 {len(contact)} 个字：请只填一个联系电话（可加称呼）。")
    branch = r.required(Col.BRANCH)
    remark = r.text(Col.REMARK)
    if remark is not None and len(remark) > REMARK_MAX:
        r.add(Col.REMARK, "remark_too_long",
              f"备注最多 {REMARK_MAX} 个字，现在有 {len(remark)} 个字：请删减。")

    destination = _destination(r, vocab)
    fields: dict[str, Any] = {}
    if destination is not None:
        rule = vocab.rule(destination)
        if rule.submitted:
            fields = _target_fields(r, destination, rule.target, vocab)
        elif rule.retention is Retention.ABROAD:
            fields = _abroad_fields(r)
        else:
            fields = {}
        if destination is Destination.STUDY:
            fields["study_type"] = _study_type(r, vocab)
        if rule.unit:
            fields.update(_unit_fields(r, destination))

    n = len(values)
    raw: dict[str, Any] = {name: (values[pos] if pos < n else None) for name, pos in _names(columns)}
    extra: dict[str, str] = {}
    for key, pos in extra_columns.items():
        value = values[pos] if pos < n else None
        raw[key] = value
        extra[key] = "" if value is None else str(value)

    if not approved:
        status = RowStatus.SKIPPED
    elif r.errors:
        status = RowStatus.INVALID
    elif destination is not None and not vocab.rule(destination).submitted:
        status = RowStatus.RETAINED
    else:
        status = RowStatus.VALID

    data = None
    if status is not RowStatus.INVALID and destination is not None:
        data = TransferRow(
            row=sheet_row.row,
            name=name or "",
            id_number=id_number or "",
            phone=phone or "",
            contact=contact or "",
            branch=branch or "",
            destination=destination,
            remark=remark,
            extra=extra,
            **fields,
        )
    return CheckedRow(sheet_row.row, status, r.errors, raw, data, values)


def _names(columns: dict[Col, int]) -> list[tuple[str, int]]:
    # Enum `.value` is slow enough to show in a 10,000-row profile: resolve names once per layout.
    key = tuple(columns.items())
    names = _NAMES_CACHE.get(key)
    if names is None:
        names = _NAMES_CACHE[key] = [(col.value, pos) for col, pos in columns.items()]
    return names


_NAMES_CACHE: dict[tuple, list[tuple[str, int]]] = {}


def _id_number(r: _Row) -> str | None:
    value = r.cell(Col.ID_NUMBER)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        r.add(Col.ID_NUMBER, "id_numeric",
              "身份证号单元格是数字格式，后几位已经丢失：请把“身份证号”列设置为“文本”格式，再重新输入完整的身份证号。")
        return None
    text = r.required(Col.ID_NUMBER)
    if text is None:
        return None
    text = text.replace(" ", "").upper()
    problem = check_id_number(text, _today())
    if problem:
        r.add(Col.ID_NUMBER, *problem)
        return None
    return text


def _phone(r: _Row, col: Col) -> str | None:
    text = r.required(col)
    if text is None:
        return None
    phone = normalize_phone(text)
    if not _MOBILE_RE.match(phone):
        r.add(col, "phone_format", f"“{col.value}”应为 11 位手机号（1 开头，如 13812345678）：请核对后重新填写。")
        return None
    return phone


def _destination(r: _Row, vocab: Vocabulary) -> Destination | None:
    text = r.required(Col.DESTINATION)
    if text is None:
        return None
    found = _DESTINATIONS.get(fold(text))
    if found is not None:
        return found
    allowed = "、".join(d.value for d in Destination)
    r.add(Col.DESTINATION, "destination_unknown",
          f"毕业去向“{text}”不在可选范围内：请从下拉列表中选择（{allowed}）。")
    return None


def _province_flag(r: _Row, vocab: Vocabulary) -> bool | None:
    text = r.text(Col.PROVINCE_FLAG)
    if text is None:
        return None
    folded = fold(text)
    if folded not in vocab.province_flag_options:
        r.add(Col.PROVINCE_FLAG, "province_flag_invalid",
              f"“{Col.PROVINCE_FLAG.value}”只能填“是”或“否”，现在是“{text}”：请从下拉列表中选择。")
        return None
    return folded == vocab.province_flag_options[0]


def _province(r: _Row, vocab: Vocabulary) -> str | None:
    text = r.text(Col.PROVINCE)
    if text is None:
        r.add(Col.PROVINCE, "province_missing",
              f"转入组织属于北京/广东/福建时，须填写“转入省份”（{'/'.join(vocab.provinces)}）。")
        return None
    folded = fold(text)
    for p in vocab.provinces:
        if folded in (p, p + "市", p + "省"):
            return p
    r.add(Col.PROVINCE, "province_invalid",
          f"“转入省份”只能是{'、'.join(vocab.provinces)}之一，现在是“{text}”：请从下拉列表中选择。")
    return None


def _target_fields(r: _Row, destination: Destination, kind: TargetKind | None, vocab: Vocabulary) -> dict:
    flag = _province_flag(r, vocab)
    target = r.text(Col.TARGET)
    if kind is TargetKind.NONE:
        if flag:
            r.add(Col.PROVINCE_FLAG, "special_flag_yes",
                  f"{destination.value}转往特殊单位团组织，“{Col.PROVINCE_FLAG.value}”应为“否”：请改为“否”。")
        if target is not None:
            r.add(Col.TARGET, "special_with_target",
                  f"{destination.value}转往特殊单位团组织，不选择转入组织（由省级团组织转入特殊单位专属库）：请清空“转入组织”。")
        return {"province_flag": False}

    if flag is None:
        if Col.PROVINCE_FLAG.value not in r.bad:
            r.add(Col.PROVINCE_FLAG, "province_flag_missing",
                  f"请填写“{Col.PROVINCE_FLAG.value}”：转入组织隶属北京、广东、福建的填“是”，其余（含在京中直单位）填“否”。")
        return {}

    if flag:
        province = _province(r, vocab)
        if target is None:
            r.add(Col.TARGET, "target_missing",
                  "转入北京/广东/福建时须填写转入组织的全称（该三省市不在全国组织树中，需准确填写全称）。")
            return {}
        central = next((u for u in vocab.central_units if u in target), None)
        if central:
            r.add(Col.PROVINCE_FLAG, "central_unit_flag_yes",
                  f"{central}属于在京中直单位，不算北京：请把“是否属于北京/广东/福建”改为“否”，"
                  f"转入组织填写路径（如 {central}/…）。")
            return {}
        if _PATH_SPLIT_RE.search(target):
            r.add(Col.TARGET, "full_name_is_path",
                  "转入北京/广东/福建时，“转入组织”应填写组织全称，而不是用 / 分隔的路径：请改为全称。")
            return {}
        if len(target) > FULL_NAME_MAX:
            r.add(Col.TARGET, "full_name_too_long",
                  f"转入组织全称最多 {FULL_NAME_MAX} 个字（门户的输入框只收这么多），现在是 {len(target)} 个字：请核对全称。")
            return {}
        _check_kind(r, destination, kind, [target], vocab)
        return {"province_flag": True, "province": province, "target_full_name": target}

    if target is None:
        r.add(Col.TARGET, "target_missing",
              f"请填写转入组织路径：从全国组织树顶层开始，各级用 / 分隔，如 {TARGET_EXAMPLE}。")
        return {}
    levels = split_target_path(target)
    if levels and levels[0] in vocab.own_system_tops:
        r.add(Col.TARGET, "target_own_system",
              f"转入组织在{levels[0]}下，属于北京/广东/福建的独立系统：请把“是否属于北京/广东/福建”改为“是”，"
              "选择转入省份，并在“转入组织”中填写组织全称。")
        return {}
    _check_kind(r, destination, kind, levels, vocab)
    return {"province_flag": False, "target_path": levels}


def _check_kind(r: _Row, destination: Destination, kind: TargetKind | None, levels: list[str], vocab: Vocabulary) -> None:
    if kind is TargetKind.SCHOOL and is_grassroots_kind(levels, vocab):
        r.add(Col.TARGET, "target_grassroots_for_study",
              "升学应转入录取学校的团组织，不能转入流动团员团支部、青年之家或学社衔接临时团支部：请填写录取学校的团组织。")
    elif kind is TargetKind.GRASSROOTS and not is_township_grassroots(levels, vocab, allow_temp=False):
        where = "工作单位所在地" if destination is Destination.EMPLOYED_NO_ORG else "户籍所在地或父母居住地"
        r.add(Col.TARGET, "target_not_grassroots",
              f"{destination.value}应转入{where}乡镇街道的流动团员团支部或青年之家："
              "请填写到该团支部，如 …/XX街道团工委/XX街道流动团员团支部。")
    elif kind is TargetKind.GRASSROOTS_OR_TEMP and not is_township_grassroots(levels, vocab, allow_temp=True):
        r.add(Col.TARGET, "target_not_grassroots_or_temp",
              "未落实应转入户籍地、生源地或居住地乡镇街道的学社衔接临时团支部、流动团员团支部或青年之家："
              "请填写到该团支部，如 …/XX镇团委/XX镇学社衔接临时团支部。")


def _study_type(r: _Row, vocab: Vocabulary) -> str | None:
    text = r.text(Col.STUDY_TYPE)
    if text is None:
        return vocab.default_study_type
    folded = fold(text)
    if folded in vocab.study_types:
        return folded
    r.add(Col.STUDY_TYPE, "study_type_invalid",
          f"升学类型只能是{'、'.join(vocab.study_types)}之一（留空即普通高校），现在是“{text}”：请从下拉列表中选择。")
    return None


def _abroad_fields(r: _Row) -> dict:
    out = {}
    for col, key in (
        (Col.ABROAD_PLACE, "abroad_place"),
        (Col.ABROAD_TERM, "abroad_term"),
        (Col.DOMESTIC_CONTACT, "domestic_contact"),
        (Col.DOMESTIC_CONTACT_PHONE, "domestic_contact_phone"),
    ):
        value = r.text(col)
        if value is None and col.value not in r.bad:
            r.add(col, "abroad_field_missing",
                  f"出国（境）留学的团员团组织关系保留在学校，须登记“{col.value}”：请填写。")
        out[key] = value
    return out


def _unit_fields(r: _Row, destination: Destination) -> dict:
    """转入单位名称/地址: the admitting school (升学) or the employer (就业), both required."""
    what = "录取学校" if destination is Destination.STUDY else "工作单位"
    out = {}
    for col, key, limit, example in (
        (Col.UNIT_NAME, "unit_name", UNIT_NAME_MAX, "三峡大学" if what == "录取学校" else "国网山东省电力公司"),
        (Col.UNIT_ADDRESS, "unit_address", UNIT_ADDRESS_MAX, "湖北省宜昌市西陵区大学路8号"),
    ):
        value = r.text(col)
        if value is None and col.value not in r.bad:
            kind = "全称" if col is Col.UNIT_NAME else "所在地详细地址（省、市、区县、街道门牌）"
            r.add(col, "unit_field_missing",
                  f"{destination.value}须填写“{col.value}”：{what}的{kind}，如 {example}。")
        elif value is not None and len(value) > limit:
            r.add(col, "unit_field_too_long",
                  f"“{col.value}”最多 {limit} 个字，现在有 {len(value)} 个字：请删减。")
            value = None
        out[key] = value
    return out

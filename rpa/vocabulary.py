"""The portal vocabulary, loaded from `selectors/vocabulary.toml` (data, not code).

The 毕业去向 of a batch row are a closed set (`Destination`, values = the texts a secretary
writes). What each one means in the portal — whether it is submitted, its 转出原因 label, which
targets it allows, whether it stays at school — comes from the TOML file, so a change of wording
in the portal is an edit to `selectors/`, not to this module.
"""

from __future__ import annotations

import functools
import re
import tomllib
from enum import Enum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from rpa.errors import ConfigError

VOCABULARY_FILE = "vocabulary.toml"


class Destination(str, Enum):
    """毕业去向 (SPEC §2). Values are the texts of the batch spreadsheet."""

    STUDY = "升学"
    EMPLOYED_WITH_ORG = "就业（有团组织）"
    EMPLOYED_NO_ORG = "就业（无团组织）"
    STUDY_ABROAD = "出国（境）留学"
    PRIVATE_ABROAD = "因私出国（境）"
    MILITARY = "参军入伍"
    CLASSIFIED = "涉密单位"
    UNPLACED = "未落实"
    UNPLACED_KEPT = "未落实（保留在校）"


class TargetKind(str, Enum):
    """Which 转入组织 a 毕业去向 allows."""

    SCHOOL = "school"  # 升学: any org except a grass-roots branch
    EMPLOYER = "employer"  # the employer's league org: anything in the tree
    GRASSROOTS = "grassroots"  # a 乡镇街道 流动团员团支部 / 青年之家
    GRASSROOTS_OR_TEMP = "grassroots_or_temp"  # same, or a 学社衔接临时团支部
    NONE = "none"  # 特殊单位: no org is chosen


class Retention(str, Enum):
    """Why a row stays at school (retention register) instead of being submitted."""

    ABROAD = "abroad"  # 出国（境）留学: the four abroad columns
    SIX_MONTHS = "six_months"  # 未落实（保留在校）: 保留截止日期 = graduation date + 6 months


class DestinationRule(BaseModel):
    """One row of the SPEC §2 table."""

    model_config = ConfigDict(frozen=True)

    destination: Destination
    submitted: bool
    reason: str | None = None  # the 转出原因 option label in the portal
    target: TargetKind | None = None
    retention: Retention | None = None
    unit: bool = False  # needs 转入单位名称/地址 (the school for 升学, the employer for 就业)


class Vocabulary(BaseModel):
    """Everything `selectors/vocabulary.toml` says."""

    model_config = ConfigDict(frozen=True)

    destinations: dict[Destination, DestinationRule]
    province_flag_options: list[str]
    provinces: list[str]
    own_system_tops: list[str]
    central_units: list[str]
    study_types: list[str]
    default_study_type: str
    approved: str
    grassroots_kinds: list[str]
    flowing_kinds: list[str]
    temp_branch_kinds: list[str]
    township_markers: list[str]

    def rule(self, destination: Destination) -> DestinationRule:
        """The §2 rule of one 毕业去向."""
        return self.destinations[destination]

    def reason_for(self, destination: Destination) -> str | None:
        """The portal's 转出原因 label for a 毕业去向 (None when it is not submitted)."""
        return self.destinations[destination].reason


_SPACE_RE = re.compile(r"\s+")
_FOLD_TABLE = str.maketrans({"(": "（", ")": "）", "／": "/"})


def fold(text: str) -> str:
    """Fold a header or closed-vocabulary value: no spaces, full-width brackets, half-width `/`.

    `就业(有团组织)` and ` 就业（有团组织） ` both become `就业（有团组织）`.
    """
    return _SPACE_RE.sub("", text).translate(_FOLD_TABLE)


def load_vocabulary(selectors_dir: Path | None = None) -> Vocabulary:
    """Load `vocabulary.toml` from `selectors_dir` (default: the settings' `selectors_dir`)."""
    if selectors_dir is None:
        from rpa.config import load_settings

        selectors_dir = load_settings().selectors_dir
    return _load(Path(selectors_dir).resolve())


@functools.lru_cache(maxsize=8)
def _load(selectors_dir: Path) -> Vocabulary:
    path = selectors_dir / VOCABULARY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到门户词汇表 {str(path)!r}，请检查 RPA_SELECTORS_DIR。") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"门户词汇表 {str(path)!r} 格式有误：{exc}") from None
    try:
        rules = {}
        for item in data.pop("destinations", []):
            rule = DestinationRule(destination=item.get("name"), **{k: v for k, v in item.items() if k != "name"})
            rules[rule.destination] = rule
        missing = [d.value for d in Destination if d not in rules]
        if missing:
            raise ConfigError(f"门户词汇表 {str(path)!r} 缺少毕业去向：{'、'.join(missing)}。")
        return Vocabulary(destinations=rules, **data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(
            f"门户词汇表 {str(path)!r} 中 {where} 的值 {first.get('input')!r} 无效：{first['msg']}"
        ) from None

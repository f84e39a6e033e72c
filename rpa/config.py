"""Settings: pydantic-settings with the sources below, in order of precedence.

    1. overrides       command options (`--portal`) and a job file's `[settings]` (`rpa run`)
    2. environment     `RPA_…`
    3. `.env`          in the current folder
    4. user settings   the file `rpa init` writes in the user's config folder (rpa/settings_file.py)
    5. defaults        below

The password is not looked up here: rpa/credentials.py adds it (`RPA_PASSWORD`, then the
system's credential store, then a prompt). A bad value is a `ConfigError` in Chinese that names
the setting, where it came from, and the right form.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, DotEnvSettingsSource, PydanticBaseSettingsSource, SettingsConfigDict

from rpa.errors import ConfigError
from rpa.resources import CHECKOUT_ROOT, SELECTORS_DIR
from rpa.settings_file import UserSettingsSource, read_settings_file, user_settings_path

# Kept for older imports; data files are found through rpa.resources (checkout or wheel).
PROJECT_ROOT = CHECKOUT_ROOT
DEFAULT_SELECTORS_DIR = SELECTORS_DIR
DEFAULT_SESSION_FILE = Path.home() / ".zhtj-rpa" / "session.json"
# The mock's port: without `rpa init` or RPA_PORTAL_URL nothing reaches the real portal.
DEFAULT_PORTAL_URL = "http://127.0.0.1:8765"
# The real portal's address; the paths of its pages and API are the catalog's (selectors/).
REAL_PORTAL_URL = "https://zhtj.youth.cn"
# Polite to the real portal: a person takes minutes per form; a few seconds between two
# submissions keeps the tool well clear of any rate limit.
DEFAULT_MIN_INTERVAL_S = 3.0
DEFAULT_TIMEOUT_MS = 15_000


def _default_graduation_date() -> dt.date:
    return dt.date(dt.date.today().year, 6, 30)


def check_portal_url(value: str) -> str:
    """`value` trimmed, or a PydanticCustomError in Chinese when it is no http(s) address."""
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise PydanticCustomError(
            "portal_url", "门户地址要以 http:// 或 https:// 开头，例如 {example}", {"example": REAL_PORTAL_URL}
        )
    return value


class Settings(BaseSettings):
    """Everything a run needs to know besides the batch itself."""

    model_config = SettingsConfigDict(
        env_prefix="RPA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    portal_url: str = DEFAULT_PORTAL_URL
    username: str = ""
    password: SecretStr = SecretStr("")
    browser_path: str | None = None
    browser_channel: Literal["msedge", "chrome", "chromium"] | None = None
    headless: bool = True
    concurrency: int = Field(default=1, ge=1, le=8)
    min_interval_s: float = Field(default=DEFAULT_MIN_INTERVAL_S, ge=0)
    timeout_ms: int = Field(default=DEFAULT_TIMEOUT_MS, ge=1000)
    graduation_date: dt.date = Field(default_factory=_default_graduation_date)
    session_file: Path = DEFAULT_SESSION_FILE
    selectors_dir: Path = DEFAULT_SELECTORS_DIR
    # A catalog overlay (RPA_CATALOG): a TOML file merged over selectors_dir/portal.toml, for a
    # portal whose pages differ from the shipped catalog (rpa.catalog.load_catalog).
    catalog: Path | None = None
    max_attempts: int = Field(default=4, ge=1)
    # Rows in a row that fail for a transient reason after all their retries before the run
    # pauses and probes the portal (rpa.runner.guards.CircuitBreaker), and the first pause.
    circuit_breaker: int = Field(default=8, ge=1)
    breaker_pause_s: float = Field(default=15.0, ge=0)

    @field_validator("portal_url")
    @classmethod
    def _portal_url_has_scheme(cls, value: str) -> str:
        return check_portal_url(value)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, dotenv_settings, UserSettingsSource(settings_cls)


def load_settings(*, origin: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from every source, `overrides` on top; a Chinese ConfigError if a value is bad.

    `origin` says where each override came from (field → "选项 --portal"), for the message."""
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, {k: (origin or {}).get(k, "") for k in given})) from None


def load_job(path: Path) -> tuple[dict[str, Any], Settings]:
    """Read a job file: `[job]` (batch, mode, out) and `[settings]` (any Settings field)."""
    shown = str(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, IsADirectoryError):
        raise ConfigError(f"找不到任务文件 {shown!r}，请检查路径。") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"第 {line.group(1)} 行" if line else ""
        raise ConfigError(f"任务文件 {shown!r} {where}格式有误，请对照 jobs/demo.toml 改正。") from None
    job, settings = data.get("job", {}), data.get("settings", {})
    if not isinstance(job, dict) or not isinstance(settings, dict):
        raise ConfigError(f"任务文件 {shown!r} 中 [job] 和 [settings] 应是两个表，请对照 jobs/demo.toml 改正。")
    unknown = sorted(set(settings) - set(Settings.model_fields))
    if unknown:
        raise ConfigError(
            f"任务文件 {shown!r} 的 [settings] 中没有设置项 {'、'.join(unknown)}。"
            f"可用的设置项：{'、'.join(Settings.model_fields)}。"
        )
    base = path.parent
    for key in ("batch", "out"):
        if key in job:
            job[key] = str((base / job[key]).resolve()) if not Path(job[key]).is_absolute() else job[key]
    where = {k: f"任务文件 {shown!r} 的 [settings] 中的 {k}" for k in settings}
    return job, load_settings(origin=where, **settings)


def _explain(exc: ValidationError, origin: dict[str, str]) -> str:
    """One Chinese sentence per bad setting: where it came from, why it is wrong, the right form."""
    parts: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "?"
        if field in parts:
            continue  # a union reports each member; one reason is enough
        value = "******" if field == "password" else err.get("input")
        shown = value if isinstance(value, str) else str(value)
        parts[field] = f"{origin.get(field) or _source_of(field)} 的值 {shown!r} 无效：{_reason(err)}。"
    return "".join(parts.values())


def _source_of(field: str) -> str:
    """Where a value not given as an override came from, in precedence order."""
    env_name = f"RPA_{field.upper()}"
    if any(k.upper() == env_name for k in os.environ):
        return f"环境变量 {env_name}"
    if field in DotEnvSettingsSource(Settings)():
        return f".env 文件中的 {env_name}"
    path = user_settings_path()
    if field in read_settings_file(path):
        return f"设置文件 {str(path)!r} 中的 {field}"
    return f"设置项 {env_name}"


def _reason(err: dict[str, Any]) -> str:
    kind, ctx = err["type"], err.get("ctx") or {}
    if kind == "portal_url":
        return err["msg"]
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "应为整数，例如 2"
    if kind in ("float_parsing", "float_type"):
        return "应为数字，例如 3 或 0.5"
    if kind in ("bool_parsing", "bool_type"):
        return "应为 true 或 false（也可写 1 或 0）"
    if kind in ("greater_than_equal", "greater_than"):
        return f"不能小于 {_number(ctx.get('ge', ctx.get('gt')))}"
    if kind in ("less_than_equal", "less_than"):
        return f"不能大于 {_number(ctx.get('le', ctx.get('lt')))}"
    if kind == "literal_error":
        return "只能是 " + "、".join(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))
    if kind.startswith(("date", "datetime")):
        return "应为日期，写法如 2025-06-30"
    if kind in ("string_type", "path_type"):
        return "应为文字（加英文引号），例如 \"C:/名单/输出\""
    return "格式不对，请对照 README 中的设置说明改正"


def _number(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)

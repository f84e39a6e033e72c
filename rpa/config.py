"""Settings: environment (`RPA_…`), `.env`, or a job file in `jobs/` (TOML)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from rpa.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SELECTORS_DIR = PROJECT_ROOT / "selectors"
DEFAULT_SESSION_FILE = Path.home() / ".zhtj-rpa" / "session.json"
# Polite to the real portal: a person takes minutes per form; a few seconds between two
# submissions keeps the tool well clear of any rate limit.
DEFAULT_MIN_INTERVAL_S = 3.0
DEFAULT_TIMEOUT_MS = 15_000


def _default_graduation_date() -> dt.date:
    return dt.date(dt.date.today().year, 6, 30)


class Settings(BaseSettings):
    """Everything a run needs to know besides the batch itself."""

    model_config = SettingsConfigDict(
        env_prefix="RPA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    portal_url: str = "http://127.0.0.1:8765"
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
    max_attempts: int = Field(default=4, ge=1)
    # Rows in a row that fail for a transient reason after all their retries before the run
    # pauses and probes the portal (rpa.runner.guards.CircuitBreaker), and the first pause.
    circuit_breaker: int = Field(default=8, ge=1)
    breaker_pause_s: float = Field(default=15.0, ge=0)


def load_settings(**overrides: Any) -> Settings:
    """Build settings from the environment and `.env`, then `overrides`; Chinese error if bad."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise ConfigError(_explain(exc)) from None


def load_job(path: Path) -> tuple[dict[str, Any], Settings]:
    """Read a job file: `[job]` (batch, mode, out) and `[settings]` (any Settings field)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"找不到任务文件 {str(path)!r}，请检查路径。") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"任务文件 {str(path)!r} 格式有误：{exc}") from None
    job = data.get("job", {})
    base = path.parent
    for key in ("batch", "out"):
        if key in job:
            job[key] = str((base / job[key]).resolve()) if not Path(job[key]).is_absolute() else job[key]
    return job, load_settings(**data.get("settings", {}))


def _explain(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        value = "******" if field == "password" else err.get("input")
        parts.append(f"设置项 RPA_{field.upper()} 的值 {value!r} 无效：{err['msg']}")
    return "；".join(parts)

"""The user's settings file, written by `rpa init`, as a pydantic-settings source.

It lives in the user's config folder (platformdirs: `%LOCALAPPDATA%\\zhtj-rpa\\settings.toml` on
Windows, `~/.config/zhtj-rpa/settings.toml` on Linux) and ranks just above the defaults:
overrides > `RPA_…` environment > `.env` > this file > defaults. It never holds the password;
that goes to the system's credential store (rpa/credentials.py).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
from pathlib import Path
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from rpa.errors import ConfigError

APP_NAME = "zhtj-rpa"
SETTINGS_FILE_NAME = "settings.toml"
# Never read from or written to this file: a password belongs in the credential store.
SECRET_FIELDS = frozenset({"password"})


def user_settings_path() -> Path:
    """Where `rpa init` writes the settings (looked up at each call: tests move HOME)."""
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False) / SETTINGS_FILE_NAME


def read_settings_file(path: Path) -> dict[str, Any]:
    """The file's keys and values; {} when there is none; a Chinese ConfigError when unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError):
        raise ConfigError(f"无法读取设置文件 {str(path)!r}。请删除它后重新运行 rpa init。") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = re.search(r"line (\d+)", str(exc))
        where = f"第 {line.group(1)} 行" if line else "某一行"
        raise ConfigError(
            f"设置文件 {str(path)!r} {where}格式有误。请改正（写法如 concurrency = 2），"
            "或删除它后重新运行 rpa init。"
        ) from None
    return {k: v for k, v in data.items() if k not in SECRET_FIELDS}


def write_settings_file(path: Path, values: dict[str, Any]) -> Path:
    """Merge `values` into the file (keys set to None are removed); mode 0600, never half-written."""
    from rpa.files import private_dir, write_private_text

    data = read_settings_file(path)
    data.update(values)
    lines = ["# zhtj-rpa 的设置（由 rpa init 生成，可以手工修改）。密码不在这里：它保存在系统的凭据管理器中。"]
    lines += [f"{key} = {_toml_value(value)}" for key, value in data.items()
              if value is not None and key not in SECRET_FIELDS]
    private_dir(path.parent)
    write_private_text(path, "\n".join(lines) + "\n")
    return path


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    # A JSON string is a valid TOML basic string (same quotes and escapes).
    return json.dumps(str(value), ensure_ascii=False)


class UserSettingsSource(PydanticBaseSettingsSource):
    """Values from the user settings file, for the fields `Settings` knows."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path | None = None) -> None:
        super().__init__(settings_cls)
        self.path = path or user_settings_path()
        self.data = read_settings_file(self.path)

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        fields = self.settings_cls.model_fields
        return {k: v for k, v in self.data.items() if k in fields}

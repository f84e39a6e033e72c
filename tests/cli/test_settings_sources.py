"""Where settings come from and what a bad one says.

Precedence: command options and job files > `RPA_…` environment > `.env` > the user settings
file (`rpa init`) > defaults. Every Settings field with a bad value, through the environment and
through a job file, is a Chinese config error that names the setting and where it came from.
"""

from __future__ import annotations

import os

import pytest

from cli_helpers import assert_plain_chinese, clean_env, rpa
from rpa.config import Settings, load_settings
from rpa.errors import ConfigError
from rpa.settings_file import user_settings_path, write_settings_file


@pytest.fixture
def user_home(tmp_path, monkeypatch):
    """No RPA_ variable, the config folder in tmp, the current folder in tmp (its own .env)."""
    for name in list(os.environ):
        if name.startswith("RPA_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_user_settings_file_gives_values_the_defaults_lack(user_home):
    write_settings_file(user_settings_path(), {"portal_url": "https://zhtj.youth.cn/zhtj/", "username": "admin",
                                               "concurrency": 3})

    settings = load_settings()

    assert (settings.portal_url, settings.username, settings.concurrency) == ("https://zhtj.youth.cn/zhtj/", "admin", 3)
    assert user_settings_path() == user_home / "config" / "zhtj-rpa" / "settings.toml"


def test_dotenv_beats_the_user_file_environment_beats_dotenv_and_options_beat_all(user_home, monkeypatch):
    write_settings_file(user_settings_path(), {"concurrency": 2, "username": "from-file", "timeout_ms": 2000,
                                               "min_interval_s": 1.5})
    (user_home / ".env").write_text("RPA_CONCURRENCY=3\nRPA_USERNAME=from-dotenv\nRPA_TIMEOUT_MS=3000\n",
                                    encoding="utf-8")
    monkeypatch.setenv("RPA_CONCURRENCY", "4")
    monkeypatch.setenv("RPA_USERNAME", "from-env")

    settings = load_settings(concurrency=5)

    assert settings.concurrency == 5
    assert settings.username == "from-env"
    assert settings.timeout_ms == 3000
    assert settings.min_interval_s == 1.5


def test_the_user_settings_file_never_holds_or_gives_a_password(user_home):
    path = write_settings_file(user_settings_path(), {"username": "admin", "password": "s3cret!"})
    path.write_text(path.read_text(encoding="utf-8") + 'password = "typed-by-hand"\n', encoding="utf-8")

    assert "s3cret!" not in write_settings_file(path, {}).read_text(encoding="utf-8")
    assert load_settings().password.get_secret_value() == ""


def test_a_broken_settings_file_is_a_chinese_error_naming_the_file_and_line(user_home):
    user_settings_path().parent.mkdir(parents=True)
    user_settings_path().write_text('username = "admin"\nconcurrency = = 2\n', encoding="utf-8")

    with pytest.raises(ConfigError) as exc:
        load_settings()

    assert str(user_settings_path()) in exc.value.message and "第 2 行" in exc.value.message


def test_a_bad_value_in_the_user_settings_file_names_that_file(user_home):
    write_settings_file(user_settings_path(), {"portal_url": "zhtj.youth.cn"})

    with pytest.raises(ConfigError) as exc:
        load_settings()

    assert f"设置文件 {str(user_settings_path())!r} 中的 portal_url 的值 'zhtj.youth.cn' 无效" in exc.value.message
    assert "http:// 或 https://" in exc.value.message


def test_a_bad_value_in_dotenv_names_dotenv(user_home):
    (user_home / ".env").write_text("RPA_HEADLESS=maybe\n", encoding="utf-8")

    with pytest.raises(ConfigError) as exc:
        load_settings()

    assert ".env 文件中的 RPA_HEADLESS 的值 'maybe' 无效：应为 true 或 false" in exc.value.message


# A bad value through the environment for every field that can have one (any text is a valid
# user name, password or path; a job file below gives those a wrong type).
BAD_ENV = {
    "portal_url": ("zhtj.youth.cn", "http:// 或 https://"),
    "browser_channel": ("firefox", "只能是 msedge、chrome、chromium"),
    "headless": ("maybe", "应为 true 或 false"),
    "concurrency": ("many", "应为整数"),
    "min_interval_s": ("-1", "不能小于 0"),
    "timeout_ms": ("500", "不能小于 1000"),
    "graduation_date": ("2025-02-30", "应为日期"),
    "max_attempts": ("0", "不能小于 1"),
    "circuit_breaker": ("1.5", "应为整数"),
}
# A bad value (TOML literal) for every field through a job file's [settings].
BAD_IN_JOB = {
    "portal_url": ('"zhtj.youth.cn"', "http:// 或 https://"),
    "username": ("5", "应为文字"),
    "password": ("5", "应为文字"),
    "browser_path": ("[1]", "应为文字"),
    "browser_channel": ('"firefox"', "只能是 msedge、chrome、chromium"),
    "headless": ('"maybe"', "应为 true 或 false"),
    "concurrency": ("9", "不能大于 8"),
    "min_interval_s": ('"soon"', "应为数字"),
    "timeout_ms": ("1.5", "应为整数"),
    "graduation_date": ('"June"', "应为日期"),
    "session_file": ("5", "应为文字"),
    "selectors_dir": ("[]", "应为文字"),
    "catalog": ("[]", "应为文字"),
    "max_attempts": ("0", "不能小于 1"),
    "circuit_breaker": ('"x"', "应为整数"),
    "breaker_pause_s": ('"later"', "应为数字"),
}


def test_every_field_has_a_bad_value_in_the_tables_below():
    assert set(BAD_IN_JOB) == set(Settings.model_fields)
    assert set(BAD_ENV) <= set(Settings.model_fields)


@pytest.mark.parametrize("field", sorted(BAD_ENV))
def test_a_bad_environment_value_stops_preview_with_a_chinese_message_naming_the_variable(field, tmp_path):
    value, why = BAD_ENV[field]
    env = clean_env(tmp_path, **{f"RPA_{field.upper()}": value})

    result = rpa("preview", "名单.xlsx", "--out", "out", cwd=tmp_path, env=env)

    seen = assert_plain_chinese(result)
    assert result.returncode == 2
    assert f"环境变量 RPA_{field.upper()} 的值 {value!r} 无效：" in seen and why in seen
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("field", sorted(BAD_IN_JOB))
def test_a_bad_job_file_value_stops_rpa_run_with_a_chinese_message_naming_the_file(field, tmp_path):
    literal, why = BAD_IN_JOB[field]
    job = tmp_path / "任务.toml"
    job.write_text(f'[job]\nbatch = "名单.xlsx"\nout = "out"\n\n[settings]\n{field} = {literal}\n', encoding="utf-8")

    result = rpa("run", str(job), cwd=tmp_path, env=clean_env(tmp_path))

    seen = assert_plain_chinese(result)
    assert result.returncode == 2
    assert f"任务文件 {str(job)!r} 的 [settings] 中的 {field} 的值" in seen and why in seen
    if field == "password":
        assert "'******'" in seen


def test_a_misspelt_setting_in_a_job_file_is_named_with_the_right_ones(tmp_path):
    job = tmp_path / "job.toml"
    job.write_text('[job]\nbatch = "b.xlsx"\nout = "out"\n[settings]\nconcurency = 2\n', encoding="utf-8")

    result = rpa("run", str(job), cwd=tmp_path, env=clean_env(tmp_path))

    assert result.returncode == 2
    seen = assert_plain_chinese(result)
    assert "没有设置项 concurency" in seen and "、concurrency、" in seen

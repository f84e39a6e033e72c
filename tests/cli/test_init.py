"""`rpa init` as a secretary runs it (answers typed on standard input), and where the password
then comes from at run time. The credential store is a test file backend or keyring's null
backend, chosen through keyring's public switch PYTHON_KEYRING_BACKEND."""

from __future__ import annotations

import io
import json
import sys
import tomllib

import keyring
import pytest
from rich.console import Console

from cli_helpers import HERE, assert_plain_chinese, clean_env, rpa
from file_keyring import FileKeyring
from rpa.config import Settings
from rpa.credentials import KEYRING_SERVICE, with_password

PASSWORD = "Pa55-秘密-word"


def store_env(home, **extra):
    """A clean environment whose credential store is the JSON file home/keyring.json."""
    return clean_env(home, PYTHON_KEYRING_BACKEND="file_keyring.FileKeyring", PYTHONPATH=str(HERE),
                     TEST_KEYRING_FILE=str(home / "keyring.json"), **extra)


def settings_file(home):
    return home / "config" / "zhtj-rpa" / "settings.toml"


def test_init_saves_portal_account_and_browser_in_the_config_folder_and_the_password_in_the_store(tmp_path):
    answers = ["zhtj.youth.cn", "", "dzxy_admin", "edge", PASSWORD]  # a wrong address first, then the default

    result = rpa("init", cwd=tmp_path, env=store_env(tmp_path), stdin="\n".join(answers) + "\n")

    seen = assert_plain_chinese(result)
    assert result.returncode == 0, seen
    assert "门户地址要以 http:// 或 https:// 开头" in seen
    saved = tomllib.loads(settings_file(tmp_path).read_text(encoding="utf-8"))
    assert saved == {"portal_url": "https://zhtj.youth.cn", "username": "dzxy_admin", "browser_channel": "msedge"}
    assert PASSWORD not in settings_file(tmp_path).read_text(encoding="utf-8")
    assert oct(settings_file(tmp_path).stat().st_mode & 0o777) == "0o600"
    assert json.loads((tmp_path / "keyring.json").read_text()) == {f"{KEYRING_SERVICE}/dzxy_admin": PASSWORD}
    assert "密码已保存到" in seen and PASSWORD not in seen


def test_init_again_proposes_the_saved_answers_and_keeps_the_stored_password(tmp_path):
    env = store_env(tmp_path)
    rpa("init", cwd=tmp_path, env=env, stdin=f"http://127.0.0.1:8765\nadmin\nchrome\n{PASSWORD}\n")

    again = rpa("init", cwd=tmp_path, env=env, stdin="\n\n\n\n")

    seen = assert_plain_chinese(again)
    assert again.returncode == 0
    assert "[http://127.0.0.1:8765]" in seen and "[admin]" in seen and "[chrome]" in seen
    saved = tomllib.loads(settings_file(tmp_path).read_text(encoding="utf-8"))
    assert saved == {"portal_url": "http://127.0.0.1:8765", "username": "admin", "browser_channel": "chrome"}
    assert json.loads((tmp_path / "keyring.json").read_text()) == {f"{KEYRING_SERVICE}/admin": PASSWORD}
    assert "没有保存密码" in seen


def test_init_without_a_credential_store_says_so_in_chinese_and_asks_no_password(tmp_path):
    browser = tmp_path / "msedge.exe"
    browser.write_bytes(b"")

    result = rpa("init", cwd=tmp_path, env=clean_env(tmp_path), stdin=f"\nadmin\n{browser}\n")

    seen = assert_plain_chinese(result)
    assert result.returncode == 0
    assert "本机没有可用的系统凭据库" in seen and "每次运行时会询问密码" in seen and "RPA_PASSWORD" in seen
    assert "登录密码" not in seen
    saved = tomllib.loads(settings_file(tmp_path).read_text(encoding="utf-8"))
    assert saved["browser_path"] == str(browser) and "password" not in saved


def test_init_stopped_before_the_last_answer_saves_nothing(tmp_path):
    result = rpa("init", cwd=tmp_path, env=clean_env(tmp_path), stdin="https://zhtj.youth.cn/zhtj/\n")

    assert result.returncode == 2
    assert "没有收到回答，已取消" in assert_plain_chinese(result)
    assert not settings_file(tmp_path).exists()


@pytest.fixture
def store(tmp_path, monkeypatch):
    """The test file backend as keyring's backend in this process, for the run-time lookups."""
    monkeypatch.setenv("TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    before = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    yield keyring.get_keyring()
    keyring.set_keyring(before)


def test_at_run_time_the_password_comes_from_the_store_when_the_environment_has_none(store):
    store.set_password(KEYRING_SERVICE, "admin", PASSWORD)

    settings = with_password(Settings(_env_file=None, username="admin"))

    assert settings.password.get_secret_value() == PASSWORD


def test_at_run_time_rpa_password_wins_over_the_store(store):
    store.set_password(KEYRING_SERVICE, "admin", "stored")

    settings = with_password(Settings(_env_file=None, username="admin", password="from-env"))

    assert settings.password.get_secret_value() == "from-env"


def test_without_a_store_a_terminal_user_is_told_and_asked_once(monkeypatch):
    from keyring.backends import null

    before = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())
    prompts = []
    monkeypatch.setattr(sys, "stdin", type("Tty", (io.StringIO,), {"isatty": lambda self: True})())
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or "typed")
    out = io.StringIO()
    try:
        settings = with_password(Settings(_env_file=None, username="admin"), Console(file=out))
    finally:
        keyring.set_keyring(before)

    assert settings.password.get_secret_value() == "typed"
    assert prompts == ["请输入账号 admin 的登录密码（输入时不显示）："]
    assert "本机没有可用的系统凭据库" in out.getvalue()


def test_without_a_store_or_a_terminal_no_password_is_invented(monkeypatch):
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    try:
        settings = with_password(Settings(_env_file=None, username="admin"))
    finally:
        keyring.set_keyring(before)

    assert settings.password.get_secret_value() == ""

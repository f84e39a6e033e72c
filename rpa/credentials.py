"""The portal password: never in a file we write, never printed, never logged.

Where it comes from, first found wins:
    1. `RPA_PASSWORD` (or `.env`, or a job file: whatever `Settings.password` already holds)
    2. the system's credential store through `keyring` (Windows Credential Manager, macOS
       Keychain, Secret Service on Linux), under `KEYRING_SERVICE` and the account name
    3. a prompt, once per run, when the tool runs in a terminal
    4. none: the run signs in with a saved session (`rpa login`) or fails with a clear message
"""

from __future__ import annotations

import getpass
import sys
from typing import TYPE_CHECKING

from pydantic import SecretStr

if TYPE_CHECKING:
    from rich.console import Console

    from rpa.config import Settings

KEYRING_SERVICE = "zhtj-rpa"
NO_STORE_MESSAGE = (
    "本机没有可用的系统凭据库（如 Windows 凭据管理器、macOS 钥匙串），密码不会被保存，"
    "每次运行时会询问密码；也可以设置环境变量 RPA_PASSWORD。"
)


def store_name() -> str:
    """The credential store's name as a secretary knows it."""
    if sys.platform == "win32":
        return "Windows 凭据管理器"
    if sys.platform == "darwin":
        return "macOS 钥匙串"
    return "系统凭据库"


def store_available() -> bool:
    """Whether keyring has a store that really keeps passwords (not the fail or null backend)."""
    import keyring
    from keyring.backends import fail, null

    return not isinstance(keyring.get_keyring(), (fail.Keyring, null.Keyring))


def save_password(account: str, password: str) -> bool:
    """Keep `password` for `account` in the store; False when there is no usable store."""
    import keyring
    from keyring.errors import KeyringError

    if not store_available():
        return False
    try:
        keyring.set_password(KEYRING_SERVICE, account, password)
    except KeyringError:
        return False
    return True


def stored_password(account: str) -> str | None:
    """The password kept for `account`, or None (no store, nothing kept, or the store refused)."""
    import keyring
    from keyring.errors import KeyringError

    if not account or not store_available():
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, account)
    except KeyringError:
        return None


def with_password(settings: Settings, console: Console | None = None) -> Settings:
    """`settings` with the password filled in from the first source that has one (see above)."""
    if settings.password.get_secret_value() or not settings.username:
        return settings
    found = stored_password(settings.username)
    if found is None and sys.stdin.isatty():
        if not store_available() and console is not None:
            console.print(f"[yellow]{NO_STORE_MESSAGE}[/yellow]")
        found = ask_password(f"请输入账号 {settings.username} 的登录密码（输入时不显示）：")
    if not found:
        return settings
    return settings.model_copy(update={"password": SecretStr(found)})


def ask_password(prompt: str) -> str:
    """A password typed without echo; from a pipe (scripts, tests) the next input line."""
    if sys.stdin.isatty():
        return getpass.getpass(prompt)
    # getpass would warn in English and may read /dev/tty instead of the pipe.
    print(prompt, end="", flush=True)
    line = sys.stdin.readline()
    print()
    return line.rstrip("\r\n")

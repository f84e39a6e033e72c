"""`rpa init`: three questions in Chinese, then the user settings file and the credential store.

Asks for the portal address (default the real portal), the account and the browser (Edge on
Windows, found by itself), writes them to the user settings file (rpa/settings_file.py), and
puts the password into the system's credential store (rpa/credentials.py), never into a file.
Running it again proposes the saved answers. Questions are read with `input()`, so a script
can answer them on standard input (one line each; the password is the last line).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from rpa.config import REAL_PORTAL_URL, check_portal_url
from rpa.credentials import NO_STORE_MESSAGE, ask_password, save_password, store_available, store_name
from rpa.errors import ConfigError
from rpa.settings_file import read_settings_file, user_settings_path, write_settings_file

# Names a secretary may type instead of a path, and the Playwright channel each means.
BROWSER_CHANNELS = {"edge": "msedge", "msedge": "msedge", "chrome": "chrome"}


def run_init(ask: Callable[[str], str] = input) -> int:
    """Ask, save, and say where everything went; 0 when saved."""
    path = user_settings_path()
    try:
        saved = read_settings_file(path)
    except ConfigError:
        saved = {}  # a broken file is replaced by the new answers
    print("设置 zhtj-rpa：请回答下面的问题，直接按回车即采用方括号中的值。\n")

    portal = _ask_until(ask, "1. 门户地址", saved.get("portal_url") or REAL_PORTAL_URL, _portal)
    account = _ask_until(ask, "2. 登录账号（登录智慧团建所用的账号）", saved.get("username") or "", _account)
    browser = _ask_until(ask, "3. 浏览器（程序路径，或 edge、chrome）", _saved_or_found_browser(saved), _browser)

    values = {"portal_url": portal, "username": account, "browser_path": None, "browser_channel": None}
    if browser:
        values.update(browser)
    write_settings_file(path, values)

    print()
    if store_available():
        where = store_name()
        secret = ask_password(f"4. 登录密码（保存到{where}，输入时不显示；直接回车则不保存）：")
        if secret and save_password(account, secret):
            kept = f"密码已保存到{where}（名称 zhtj-rpa，账号 {account}）。"
        elif secret:
            kept = f"{where}拒绝保存密码；每次运行时会询问密码，也可以设置环境变量 RPA_PASSWORD。"
        else:
            kept = "没有保存密码；运行时会询问密码。"
    else:
        kept = NO_STORE_MESSAGE
    shown_browser = browser and (browser.get("browser_path") or browser.get("browser_channel"))
    print(f"\n设置已保存到 {path}（文件中没有密码）：")
    print(f"  门户地址：{portal}\n  账号：{account}\n  浏览器：{shown_browser or '运行时自动查找'}")
    print(kept)
    print("\n下一步：rpa template 名单.xlsx 生成空白名单；填好后用 rpa validate 名单.xlsx 检查。")
    return 0


def _ask_until(ask: Callable[[str], str], question: str, default: str, check: Callable[[str], object]):
    """Ask until `check` accepts the answer (empty = `default`); `check` raises ValueError to refuse."""
    while True:
        answer = ask(f"{question} [{default}]：" if default else f"{question}：").strip() or default
        try:
            return check(answer)
        except ValueError as exc:
            print(f"  {exc}")


def _portal(answer: str) -> str:
    try:
        return check_portal_url(answer)
    except ValueError:  # PydanticCustomError is a ValueError
        raise ValueError(f"门户地址要以 http:// 或 https:// 开头，例如 {REAL_PORTAL_URL}") from None


def _account(answer: str) -> str:
    if not answer:
        raise ValueError("请填写登录账号。")
    return answer


def _browser(answer: str) -> dict[str, str] | None:
    """{browser_path} or {browser_channel} from what was typed; None = find one at each run."""
    if not answer:
        return None
    channel = BROWSER_CHANNELS.get(answer.lower())
    if channel:
        return {"browser_channel": channel}
    path = Path(answer.strip('"'))
    if not path.is_file():
        raise ValueError(f"找不到浏览器程序 {str(path)!r}，请填写完整路径，或填 edge、chrome。")
    return {"browser_path": str(path)}


def _saved_or_found_browser(saved: dict) -> str:
    """What to propose: the saved browser, else Edge on Windows, else any browser found."""
    if saved.get("browser_path") or saved.get("browser_channel"):
        return str(saved.get("browser_path") or saved["browser_channel"])
    from rpa.browser import WELL_KNOWN_PATHS, find_browser

    if sys.platform == "win32":
        edge = [p for p in WELL_KNOWN_PATHS if p.endswith("msedge.exe") and Path(p).is_file()]
        if edge:
            return edge[0]
    choice = find_browser()
    return (choice.executable_path or choice.channel or "") if choice else ""

"""Finding and launching a browser (SPEC §6).

Order: `RPA_BROWSER_PATH`; `RPA_BROWSER_CHANNEL` (msedge, chrome); a system Chromium/Chrome/Edge
on PATH or in its usual Windows/macOS place; Playwright's own Chromium. A headless run takes
Chromium's headless shell first when one is installed (on PATH, or Playwright's own), as
Playwright itself does. `python -m rpa.browser ensure` (run by `make setup`) installs a browser
when none is found.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rpa.errors import ConfigError

if TYPE_CHECKING:
    from playwright.async_api import Browser, Playwright

    from rpa.config import Settings

# --no-sandbox is Playwright's default already; the next ones keep Chromium off the network it
# would otherwise call home to (refused on closed networks, slow everywhere). The JS heap cap:
# V8 sizes its heap by the machine's memory and collects late, so a page reloaded row after
# row grew by ~10 MB a row; capped, it collects instead (a portal page needs far less).
LAUNCH_ARGS = [
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--js-flags=--max-old-space-size=64 --max-semi-space-size=4",
]
# Node options for Playwright's driver (it inherits this process's environment). V8 lets a
# young generation grow to 16 MB per semi-space (~50 MB in all) in a process that allocates a
# lot and keeps little, as the driver does relaying a page's traffic; capped at 1 MB the driver
# took 131 MB of PSS instead of 187 (40 rows at concurrency 2) for the same CPU time. The old
# generation is not capped: a driver that outgrew a cap would crash in the middle of a batch.
DRIVER_NODE_OPTIONS = "--max-semi-space-size=1"
SYSTEM_BROWSERS = [
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "microsoft-edge",
    "microsoft-edge-stable",
    "msedge",
]
# Chromium's headless shell: the same engine without the browser's own UI, made for headless
# runs (Playwright launches its own one for them). Here, a concurrency-2 run of 40 rows took 10 %
# less CPU and 15 % less memory, and went 11 % faster, than with the full `chromium` headless.
HEADLESS_SHELLS = ["chromium-headless-shell", "chrome-headless-shell"]
WELL_KNOWN_PATHS = [
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
]


@dataclass(frozen=True)
class BrowserChoice:
    """How to launch: an executable path, a Playwright channel, or Playwright's own build."""

    executable_path: str | None = None
    channel: str | None = None
    source: str = "playwright"

    def describe(self) -> str:
        return self.executable_path or (f"channel {self.channel}" if self.channel else "Playwright Chromium")


def playwright_chromium_path() -> str | None:
    """Playwright's own Chromium, if it was downloaded (without starting a driver)."""
    return _playwright_build("chromium-*/chrome-*/chrome*", "chrome")


def headless_shell_path() -> str | None:
    """A Chromium headless shell: on PATH (Debian's `chromium-headless-shell`), or Playwright's."""
    found = _on_path(HEADLESS_SHELLS)
    if found:
        return found
    pattern = "chromium_headless_shell-*/chrome-headless-shell-*/chrome-headless-shell*"
    return _playwright_build(pattern, "chrome-headless-shell")


def _on_path(names: list[str]) -> str | None:
    """The first of `names` found on PATH, as a full path."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def _playwright_build(pattern: str, stem: str) -> str | None:
    """The newest executable named `stem` matching `pattern` in Playwright's browser folder."""
    base = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or _default_playwright_cache())
    if not base.is_dir():
        return None
    for exe in sorted(base.glob(pattern), reverse=True):
        if exe.is_file() and os.access(exe, os.X_OK) and exe.stem == stem:
            return str(exe)
    return None


def _default_playwright_cache() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", "~")).expanduser() / "ms-playwright"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "ms-playwright"
    return Path.home() / ".cache" / "ms-playwright"


def find_browser(
    browser_path: str | None = None, browser_channel: str | None = None, *, headless: bool = False
) -> BrowserChoice | None:
    """The first browser found in SPEC §6's order (a headless shell first for `headless`), or None."""
    if browser_path:
        if not Path(browser_path).is_file():
            raise ConfigError(f"RPA_BROWSER_PATH 指向的浏览器不存在：{browser_path!r}，请检查路径。")
        return BrowserChoice(executable_path=browser_path, source="RPA_BROWSER_PATH")
    if browser_channel:
        return BrowserChoice(channel=browser_channel, source="RPA_BROWSER_CHANNEL")
    shell = headless_shell_path() if headless else None
    if shell:
        return BrowserChoice(executable_path=shell, source="headless shell")
    found = _on_path(SYSTEM_BROWSERS)
    if found:
        return BrowserChoice(executable_path=found, source="PATH")
    for path in WELL_KNOWN_PATHS:
        if Path(path).is_file():
            return BrowserChoice(executable_path=path, source="system")
    own = playwright_chromium_path()
    if own:
        return BrowserChoice(executable_path=own, source="playwright")
    return None


def choose_browser(settings: Settings, *, headless: bool | None = None) -> BrowserChoice:
    """The browser to use, or a ConfigError telling the secretary what to install.

    `headless` defaults to `settings.headless`."""
    headless = settings.headless if headless is None else headless
    choice = find_browser(settings.browser_path, settings.browser_channel, headless=headless)
    if choice is None:
        raise ConfigError(
            "没有找到可用的浏览器。请安装 Microsoft Edge 或 Google Chrome，"
            "或设置 RPA_BROWSER_PATH 指向浏览器程序，或运行 make setup。"
        )
    return choice


def start_playwright():
    """`async with start_playwright() as playwright:` Playwright's driver, with DRIVER_NODE_OPTIONS
    added to any NODE_OPTIONS the user has (theirs come last, so they win)."""
    from playwright.async_api import async_playwright

    theirs = os.environ.get("NODE_OPTIONS", "")
    if DRIVER_NODE_OPTIONS not in theirs:
        os.environ["NODE_OPTIONS"] = f"{DRIVER_NODE_OPTIONS} {theirs}".strip()
    return async_playwright()


async def launch(playwright: Playwright, settings: Settings, *, headless: bool | None = None) -> Browser:
    """Launch the chosen browser with the flags a closed network needs.

    `handle_sigint=False`: Ctrl-C is the run's to handle (it lets the rows in flight finish).
    Playwright starts the browser in a process group of its own and its driver ignores SIGINT,
    so a Ctrl-C in the terminal reaches Python only.
    """
    from playwright.async_api import Error as PlaywrightError

    headless = settings.headless if headless is None else headless
    choice = choose_browser(settings, headless=headless)
    try:
        return await playwright.chromium.launch(
            executable_path=choice.executable_path, channel=choice.channel, headless=headless, args=LAUNCH_ARGS,
            handle_sigint=False,
        )
    except PlaywrightError:
        # Playwright's own words are English and name its internals: the secretary gets the cause.
        if not headless and not has_display():
            raise ConfigError(
                "无法打开浏览器窗口：这台电脑（或这个远程会话）没有图形界面。rpa login 需要一个能弹出浏览器窗口的桌面，"
                "请在自己的电脑上运行；在这里也可以不登录，改为设置账号和密码（rpa init）后直接运行。"
            ) from None
        raise ConfigError(
            f"无法启动浏览器（{choice.describe()}）。请确认该浏览器能正常打开；"
            "也可以设置 RPA_BROWSER_PATH 指向另一个浏览器程序，或设置 RPA_BROWSER_CHANNEL=msedge 使用 Edge。"
        ) from None


def has_display() -> bool:
    """Whether a browser window can open here: always on Windows and macOS; on Linux only with
    an X or Wayland display."""
    if not sys.platform.startswith("linux"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def has_cjk_fonts() -> bool:
    """Whether fontconfig knows a Chinese font (elsewhere than Linux we trust the OS)."""
    if not sys.platform.startswith("linux") or not shutil.which("fc-list"):
        return True
    out = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True).stdout
    return bool(out.strip())


def _apt_install(*packages: str, update: bool = True) -> bool:
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        return False
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    print(f"setup: apt-get install {' '.join(packages)}", flush=True)
    if update:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
    return subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env).returncode == 0


def ensure() -> int:
    """Make sure a browser and CJK fonts exist; install what is missing (idempotent)."""
    configured = os.environ.get("RPA_BROWSER_PATH"), os.environ.get("RPA_BROWSER_CHANNEL")
    choice = find_browser(*configured)
    if choice is None:
        print("setup: no browser found, trying `playwright install chromium`", flush=True)
        try:
            subprocess.run(
                [sys.executable, "-m", "playwright", "install", "chromium"], timeout=600, check=True
            )
        except (subprocess.SubprocessError, OSError):
            print("setup: Playwright could not download its browser", flush=True)
        choice = find_browser()
        if choice is None and _apt_install("chromium", "fonts-noto-cjk"):
            choice = find_browser()
            # For headless runs; an optional extra (older Debian releases don't have it).
            _apt_install("chromium-headless-shell", update=False)
    if choice is None:
        print("setup: no browser; set RPA_BROWSER_PATH or install Chromium/Chrome/Edge", file=sys.stderr)
        return 1
    if not has_cjk_fonts() and not _apt_install("fonts-noto-cjk"):
        print("setup: warning: no Chinese font found; screenshots may show boxes", file=sys.stderr)
    print(f"setup: browser {choice.describe()} ({choice.source})")
    headless = find_browser(*configured, headless=True)
    if headless is not None and headless != choice:
        print(f"setup: headless runs use {headless.describe()} ({headless.source})")
    return 0


if __name__ == "__main__":
    if sys.argv[1:] == ["ensure"]:
        sys.exit(ensure())
    choice = find_browser()
    print(choice.describe() if choice else "none")

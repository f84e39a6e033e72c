"""`rpa login`: a headed browser in which the secretary types the captcha and signs in.

The portal's image captcha can't be solved unattended. This opens the sign-in page in a
visible window, fills the account (and the password, if set), and waits up to five minutes
for the secretary to type the captcha and click 登录. The signed-in storage state is then
saved to `settings.session_file` (mode 0600), which later runs reuse (`PortalSession.sign_in`).
No trace is recorded here, ever.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError

from rpa.catalog import catalog_for
from rpa.portal.session import LOCALE, VIEWPORT, is_unreachable, save_storage_state, unreachable
from rpa.portal.signin import SignInPage
from rpa.portal.widgets import WAIT_ERRORS

if TYPE_CHECKING:
    from playwright.async_api import Page

    from rpa.config import Settings

LOGIN_TIMEOUT_MS = 5 * 60 * 1000


def interactive_login(
    settings: Settings,
    console: Any,
    *,
    headless: bool = False,
    timeout_ms: float = LOGIN_TIMEOUT_MS,
    secretary: Callable[[Page], Awaitable[None]] | None = None,
) -> int:
    """Open the sign-in page in a window and wait for the secretary to sign in.

    Returns 0 once signed in (the session saved to `settings.session_file`, mode 0600), 2 when
    nobody signed in within `timeout_ms` or the window was closed. `console` is a rich Console
    (anything with `print`). `headless` and `secretary` (a coroutine function that acts on the
    page as a person would) exist for tests.
    """
    return asyncio.run(_login(settings, console, headless, timeout_ms, secretary))


async def _login(settings: Settings, console: Any, headless: bool, timeout_ms: float, secretary) -> int:
    from rpa.browser import launch, start_playwright

    catalog = catalog_for(settings)
    async with start_playwright() as playwright:
        browser = await launch(playwright, settings, headless=headless)
        try:
            context = await browser.new_context(base_url=settings.portal_url, locale=LOCALE, viewport=VIEWPORT)  # type: ignore[arg-type]
            context.set_default_timeout(settings.timeout_ms)
            page = SignInPage(await context.new_page(), catalog, settings.timeout_ms)
            try:
                await page.open()
            except PlaywrightError as exc:
                if is_unreachable(exc):
                    raise unreachable(settings) from None
                raise
            await page.fill(settings.username, settings.password.get_secret_value())
            console.print(
                "已在浏览器中打开门户登录页。请输入验证码（以及尚未填写的账号、密码），"
                f"然后点击“登录”。最多等待 {int(timeout_ms // 60000) or 1} 分钟……"
            )
            if secretary is not None:
                await secretary(page.page)
            try:
                await page.wait_until_signed_in(timeout_ms)
            except WAIT_ERRORS:
                console.print("等待登录超时，登录状态没有保存。请重新运行 rpa login。")
                return 2
            except PlaywrightError:
                console.print("浏览器窗口已关闭，登录状态没有保存。请重新运行 rpa login。")
                return 2
            save_storage_state(settings.session_file, await context.storage_state())
            console.print(f"登录成功。登录状态已保存到 {settings.session_file}（仅本人可读），之后的运行会自动使用它。")
            return 0
        finally:
            with contextlib.suppress(PlaywrightError):
                await browser.close()

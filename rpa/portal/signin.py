"""The sign-in page (`[pages] signin`) and the unattended sign-in with account and password.

The account is the person's ID number; an image captcha (`rpa login` lets the secretary type it)
may be asked. A sign-in lands on 个人首页; a first sign-in lands on 修改密码 instead, which stops
the run (`PasswordChangeRequired`).

The password is typed only here, in a context that never records a trace and is closed
before this returns; the caller gets the storage state (cookies), nothing else.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from rpa.config import DEFAULT_TIMEOUT_MS
from rpa.errors import CaptchaRequired, ConfigError, CredentialsMissing, PortalBusy, PortalRejected, PortalTimeout
from rpa.portal.navigation import Navigator
from rpa.portal.widgets import WAIT_ERRORS, read_answer, url_path
from rpa.portal.session import LOCALE, NO_ANIMATIONS_SCRIPT, VIEWPORT, is_unreachable, unreachable

if TYPE_CHECKING:
    from pathlib import Path

    from playwright.async_api import Browser, Locator, Page

    from rpa.catalog import Catalog
    from rpa.config import Settings

# Where a sign-in may land (个人首页, or the page a `?redirect=` named).
SIGNED_IN_PAGES = ("personal", "center", "transfers", "transfer_out", "approvals")
RUN_LOGIN = "请先运行 rpa login，在弹出的浏览器中输入验证码登录，然后重新运行。"


class SignInPage:
    """Page object for 登录: account, password, captcha and the 登录 button."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms

    def _input(self, key: str) -> Locator:
        return self.catalog.locator(self.page, f"signin.{key}").locator(
            self.catalog.data["widgets"]["input"]["css"]
        ).first

    @property
    def account_input(self) -> Locator:
        return self._input("account")

    @property
    def password_input(self) -> Locator:
        return self._input("password")

    @property
    def captcha_input(self) -> Locator:
        return self._input("captcha")

    @property
    def submit_button(self) -> Locator:
        return self.catalog.locator(self.page, "signin.submit")

    @property
    def signed_in_bar(self) -> Locator:
        """Shown once signed in (and past 修改密码): the top bar's 退出."""
        return self.catalog.locator(self.page, "menu.logout")

    async def open(self, evidence_dir: Path | None = None) -> None:
        """Go to the sign-in page and recognise it (else `UnexpectedPage`, e.g. a WAF's page)."""
        await self.page.goto(self.catalog.page_path("signin"))
        nav = Navigator(self.page, self.catalog, self.timeout, evidence_dir)
        await nav.expect("signin", f"打开门户的“{self.catalog.page_name('signin')}”页面时，")
        await expect(self.account_input).to_be_visible(timeout=self.timeout)

    async def needs_captcha(self) -> bool:
        return await self.catalog.locator(self.page, "signin.captcha").count() > 0

    async def fill(self, account: str, password: str = "") -> None:
        await self.account_input.fill(account)
        if password:
            await self.password_input.fill(password)

    async def submit(self) -> tuple[Any, str]:
        """Click 登录; the (retCode, retMsg) of the portal's answer to the login call."""
        login_url = self.catalog.api_path("sign_in")
        async with self.page.expect_response(lambda r: url_path(r.url) == login_url) as info:
            await self.submit_button.click()
        response = await info.value
        try:
            code, message, _results = await read_answer(response, self.catalog)
        except ValueError:
            return None, f"HTTP {response.status}"
        return code, message

    async def wait_until_signed_in(self, timeout_ms: float | None = None) -> None:
        """Wait until the portal shows a signed-in page (its top bar: past 修改密码 too)."""
        await self.signed_in_bar.wait_for(timeout=timeout_ms)


async def sign_in_with_password(
    settings: Settings, browser: Browser, catalog: Catalog, evidence_dir: Path | None = None
) -> dict[str, Any]:
    """Sign in on the sign-in page with the account and password of `settings`; the storage state.

    No tracing in this context, ever: the password must not end up in a trace. A landing page
    other than a signed-in one (修改密码, a verification page) raises `PasswordChangeRequired` /
    `UnexpectedPage`, with a screenshot in `evidence_dir`.
    """
    password = settings.password.get_secret_value()
    if not settings.username or not password:
        missing = "账号和密码" if not settings.username and not password else ("账号" if not settings.username else "密码")
        raise CredentialsMissing(
            f"还没有设置登录门户的{missing}，也没有保存的登录状态。请运行 rpa init 设置账号（密码会存入系统的凭据管理器），"
            "或运行 rpa login 在浏览器窗口中登录一次。"
        )
    context = await browser.new_context(base_url=settings.portal_url, locale=LOCALE, viewport=VIEWPORT)  # type: ignore[arg-type]
    context.set_default_timeout(settings.timeout_ms)
    await context.add_init_script(NO_ANIMATIONS_SCRIPT)
    try:
        page = SignInPage(await context.new_page(), catalog, settings.timeout_ms)
        try:
            await page.open(evidence_dir)
        except WAIT_ERRORS:
            raise PortalTimeout(f"打开门户登录页超时（{settings.portal_url}），请稍后重试。") from None
        except PlaywrightError as exc:
            if is_unreachable(exc):
                raise unreachable(settings) from None
            raise PortalTimeout(f"打开门户登录页失败（{settings.portal_url}），请稍后重试。") from None
        if await page.needs_captcha():
            raise CaptchaRequired("门户登录页要求输入验证码，无法自动登录。" + RUN_LOGIN)
        try:
            await page.fill(settings.username, password)
            code, message = await page.submit()
        except WAIT_ERRORS:
            raise PortalTimeout("登录时门户没有应答，请稍后重试。") from None
        if code != catalog.number("api.ok"):
            if catalog.text("messages.wrong_password") in message:
                raise ConfigError(
                    f"门户拒绝了账号 {settings.username!r} 的登录：{message}。"
                    "请检查 RPA_USERNAME 和 RPA_PASSWORD，或运行 rpa login。"
                )
            if catalog.text("messages.captcha") in message:
                raise CaptchaRequired(f"门户要求验证码：{message}。" + RUN_LOGIN)
            if catalog.text("messages.busy") in message:
                raise PortalBusy(f"登录时门户繁忙：{message}")
            raise PortalRejected(f"登录失败：{message or '门户没有说明原因'}。")
        nav = Navigator(page.page, catalog, settings.timeout_ms, evidence_dir)
        await nav.expect(SIGNED_IN_PAGES, "登录后")
        return await context.storage_state()
    finally:
        with contextlib.suppress(PlaywrightError):
            await context.close()

"""Where the portal's page is, and the way a person goes from page to page.

    nav = Navigator(page, catalog, timeout_ms, evidence_dir)
    await nav.where()                 # "personal", "transfer_out", … or None (not a page we know)
    await nav.expect("personal", "登录后")   # else PasswordChangeRequired / UnexpectedPage / SessionExpired
    await nav.walk_to_transfer_out()  # 进入管理中心 → 业务办理 → 组织关系转接办理 → 办理转出

A page is recognised by what it shows (`[landmarks]`), never by its URL alone: a WAF or
verification page may sit at any address. An unexpected page stops the run with a message that
says what was seen and what to do, and a screenshot in `evidence_dir` (the run's screenshots/).
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError

from rpa.catalog import PAGES
from rpa.errors import PasswordChangeRequired, PortalBusy, SessionExpired, UnexpectedPage
from rpa.portal.widgets import WAIT_ERRORS, shown_texts, then_retry

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from rpa.catalog import Catalog

# How much of an unknown page's text a message quotes.
QUOTE_CHARS = 80
# The screenshot of an unexpected page (in the run's screenshots/ folder).
SHOT_NAME = "portal-unexpected-page.png"


class Navigator:
    """Recognises the page on show and walks the portal's menus, for one browser page."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float, evidence_dir: Path | None = None) -> None:
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms
        self.evidence_dir = evidence_dir

    def landmark(self, name: str) -> Locator:
        return self.catalog.locator(self.page, f"landmarks.{name}")

    async def where(self, timeout_ms: float | None = None) -> str | None:
        """The page on show, once one of the known pages' landmarks shows; None when none does
        within the timeout (a page the catalog doesn't describe). `timeout_ms=0` looks once,
        without waiting. A portal that answers the page with an error message instead (busy,
        HTTP 5xx) raises `PortalBusy`: that passes."""
        marks = [self.landmark(name) for name in PAGES]
        error = self.catalog.locator(self.page, "widgets.message_error").filter(visible=True)
        wait_ms = self.timeout if timeout_ms is None else timeout_ms
        if wait_ms > 0:  # (to Playwright a timeout of 0 means none at all: it would wait for ever)
            anything = error
            for mark in marks:
                anything = anything.or_(mark)
            try:
                await anything.first.wait_for(timeout=wait_ms)
            except WAIT_ERRORS:
                return None
        for name, mark in zip(PAGES, marks):
            if await mark.filter(visible=True).count():
                return name
        shown = await shown_texts(error)
        if shown:
            raise PortalBusy(then_retry(f"门户报错：{shown}"))
        return None

    async def expect(self, wanted: str | tuple[str, ...], doing: str) -> str:
        """Be on one of the `wanted` pages (by name); the one seen. Raises `SessionExpired` on
        the sign-in page, `PasswordChangeRequired` on 修改密码, `UnexpectedPage` elsewhere."""
        wanted = (wanted,) if isinstance(wanted, str) else wanted
        seen = await self.where()
        if seen in wanted:
            return seen
        raise await self.unexpected(seen, wanted[0], doing)

    async def unexpected(self, seen: str | None, wanted: str, doing: str) -> Exception:
        """The error for `seen` instead of `wanted`, with a screenshot where one can be saved."""
        catalog = self.catalog
        shot = await self.screenshot()
        saved = f"截图已保存：{shot}。" if shot else ""
        if seen == "signin" and wanted != "signin":
            return SessionExpired(
                f"{doing}门户显示了登录页：门户认为登录已失效（{catalog.text('messages.expired')}）。"
                f"本工具会重新登录后再试；若一直如此，请稍后重新运行，或用浏览器登录门户确认账号能正常使用。{saved}",
                screenshot=shot,
            )
        url = self.page.url
        if seen == "change_password":
            return PasswordChangeRequired(
                f"{doing}门户要求先修改密码（{catalog.text('messages.first_login')}，“{catalog.page_name(seen)}”页面），"
                f"没有办理任何一行。请用浏览器登录门户，按提示修改初始密码，再运行 rpa init 或设置 RPA_PASSWORD "
                f"为新密码后重新运行。{saved}",
                seen=seen, expected=wanted, url=url, screenshot=shot,
            )
        if seen is not None:
            what = f"“{catalog.page_name(seen)}”页面"
        else:
            what = f"一个本工具不认识的页面（地址 {url}，{await self._describe()}）"
        return UnexpectedPage(
            f"{doing}门户显示的是{what}，不是预期的“{catalog.page_name(wanted)}”页面，已停止，没有办理任何一行。"
            "可能是门户的安全验证或防火墙页面，也可能是门户已改版。请先用浏览器打开门户，确认能正常登录并进入"
            f"“{catalog.page_name(wanted)}”（如有安全验证请先完成），再重新运行；若门户已改版，请按 README "
            f"更新{catalog.where}。{saved}",
            seen=seen, expected=wanted, url=url, screenshot=shot,
        )

    async def _describe(self) -> str:
        try:
            title = (await self.page.title()).strip()
            text = " ".join((await self.page.locator("body").inner_text(timeout=2000)).split())
        except (PlaywrightError, *WAIT_ERRORS):
            return "页面内容无法读取"
        quoted = text[:QUOTE_CHARS] + ("……" if len(text) > QUOTE_CHARS else "")
        return f"标题“{title or '无'}”，内容开头：“{quoted or '（空白）'}”"

    async def screenshot(self) -> str | None:
        """Save what the page shows to `evidence_dir`; the file's path, or None."""
        if self.evidence_dir is None:
            return None
        path = Path(self.evidence_dir) / SHOT_NAME
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=str(path), full_page=True, timeout=5000)
        except (OSError, PlaywrightError):
            return None
        with contextlib.suppress(OSError):
            path.chmod(0o600)
        return str(path)

    # --- the way a person goes -------------------------------------------------------------------

    async def goto(self, name: str) -> None:
        """Load a page by its path (`[pages]`); the page is not yet recognised."""
        await self.page.goto(self.catalog.page_path(name))

    async def walk_to_transfer_out(self) -> None:
        """From a signed-in page, the way the guides describe: 进入管理中心 → 业务办理 →
        组织关系转接办理 → 办理转出, each step recognised before the next."""
        await self.click("menu.enter_center", "center", "点击“进入管理中心”后")
        transfers = self.catalog.locator(self.page, "menu.transfers")
        if not await transfers.is_visible():  # 业务办理 is folded on 管理中心's home
            await self.catalog.locator(self.page, "menu.business").click()
        await self.click("menu.transfers", "transfers", "在左侧菜单点击“业务办理 → 组织关系转接办理”后")
        await self.click("menu.transfer_out", "transfer_out", "点击“办理转出”后")

    async def click(self, key: str, then: str, doing: str) -> None:
        """Click the catalog's `key`, and be on the page `then`."""
        target = self.catalog.locator(self.page, key)
        try:
            await target.first.click(timeout=self.timeout)
        except WAIT_ERRORS:
            seen = await self.where(timeout_ms=0)
            if seen == then:
                return
            raise await self.unexpected(seen, then, f"{doing.removesuffix('后')}时找不到要点击的项目，") from None
        await self.expect(then, doing)

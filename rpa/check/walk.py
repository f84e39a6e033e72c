"""The read-only tour of the portal, page by page, as the secretary's own way goes.

    walk = Walk(settings, catalog, needs, shots_dir, capture=True)
    await walk.signin_page(browser)   # 登录 in a context without a session (nothing typed)
    await walk.tour(session)          # 个人首页 → 管理中心 → 组织关系转接办理 → 办理转出 (a member
                                      # chosen, every field revealed, the org picker opened)
                                      # → 组织关系审批 (columns, 查询)
    walk.checks, walk.visits, walk.traffic

Every page is entered the way the menus go when the catalog's menu entry is there, else by its
path; a page is recognised by its landmark. What the check may click or type is the catalog's
`[check]` list (steps.SafeActions); every POST that is not a read call is blocked in the
browser (traffic.Traffic). A section's screenshot is taken with every non-label text masked.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError

from rpa.check.apicheck import check_api
from rpa.check.candidates import Privacy, catalog_texts, nearest
from rpa.check.entries import Checks, Status
from rpa.check.form import FormTour
from rpa.check.seen import outline, shot
from rpa.check.steps import Steps
from rpa.check.traffic import Traffic, quote_troubles
from rpa.errors import PortalBusy, PortalTimeout
from rpa.portal.navigation import Navigator
from rpa.portal.session import LOCALE, NO_ANIMATIONS_SCRIPT, VIEWPORT, is_unreachable, unreachable
from rpa.portal.widgets import WAIT_ERRORS, first_line, then_retry, url_path

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext, Page

    from rpa.catalog import Catalog
    from rpa.check.needs import Needs
    from rpa.config import Settings
    from rpa.portal.session import PortalSession


# After a click that unfolds a menu, how long its items may take to show (ms).
SETTLE_MS = 2000


@dataclass
class Visit:
    """One section's page as the walk saw it."""

    section: str
    path: str  # the URL's path
    shot: str | None  # the masked screenshot
    outline: list[dict[str, Any]] | None = None  # the DOM outline (capture only; not yet screened)


class Walk:
    def __init__(
        self, settings: Settings, catalog: Catalog, needs: Needs, shots_dir: Path | None, *,
        capture: bool = False, observe=None, evidence_dir: Path | None = None,
    ) -> None:
        """`shots_dir`: where the sections' screenshots go (None: none taken). `observe`: called
        with every browser context the walk opens, before its first page (tests listen there).
        `evidence_dir`: where a page the tool doesn't know is shot (the run's screenshots/)."""
        self.evidence_dir = evidence_dir
        self.settings = settings
        self.catalog = catalog
        self.needs = needs
        self.shots_dir = shots_dir
        self.capture = capture
        self.observe = observe
        self.timeout = settings.timeout_ms
        self.checks = Checks(catalog)
        self.privacy = Privacy(catalog_texts(catalog.data))
        self.traffic = Traffic(catalog, self.privacy)
        self.visits: list[Visit] = []
        self.reached: set[str] = set()

    async def _watch(self, context: BrowserContext) -> None:
        if self.observe is not None:
            self.observe(context)
        await self.traffic.attach(context)

    async def visit(self, page: Page, section: str) -> None:
        await self.traffic.quiet(self.timeout)
        self.reached.add(section)
        path = None
        if self.shots_dir is not None:
            path = await shot(page, self.shots_dir / f"{len(self.visits) + 1:02d}-{section}.png")
        lines = await outline(page) if self.capture else None
        self.visits.append(Visit(section, url_path(page.url), path, lines))

    # --- 登录 ------------------------------------------------------------------------------------------

    async def signin_page(self, browser: Browser) -> None:
        """The sign-in page, in a context with no session: its fields and button (nothing typed)."""
        settings = self.settings
        context = await browser.new_context(base_url=settings.portal_url, locale=LOCALE, viewport=VIEWPORT)  # type: ignore[arg-type]
        context.set_default_timeout(self.timeout)
        await context.add_init_script(NO_ANIMATIONS_SCRIPT)
        try:
            await self._watch(context)
            page = await context.new_page()
            try:
                await page.goto(self.catalog.page_path("signin"))
            except PlaywrightError as exc:
                if is_unreachable(exc):
                    raise unreachable(settings) from None
                raise PortalTimeout(f"打开门户登录页失败（{settings.portal_url}）：{first_line(exc)}") from None
            s = self._steps(page)
            on = await self._landmark(s, Navigator(page, self.catalog, self.timeout), "signin", "signin", check_session=False)
            for key in ("account", "password", "submit"):
                await s.probe(f"signin.{key}", "signin", wait_ms=self.timeout if on else 0)
            captcha = await s.shows(s.loc("signin.captcha"))
            image = await s.shows(s.loc("signin.captcha_image"))
            if captcha or image:
                await s.present("signin.captcha", "signin")
                await s.present("signin.captcha_image", "signin")
            else:
                for key in ("captcha", "captcha_image"):
                    self.checks.unchecked(f"signin.{key}", "signin", "门户此时没有要求验证码")
            await self.visit(page, "signin")
        finally:
            with contextlib.suppress(PlaywrightError):
                await context.close()

    # --- the signed-in tour ---------------------------------------------------------------------------

    def _steps(self, page: Page) -> Steps:
        return Steps(page, self.catalog, self.checks, self.privacy, self.timeout)

    async def tour(self, session: PortalSession) -> None:
        context = await session.new_context()
        try:
            await self._watch(context)
            page = await context.new_page()
            s, nav = self._steps(page), Navigator(page, self.catalog, self.timeout, self.evidence_dir)
            try:
                await nav.goto("personal")
            except PlaywrightError as exc:
                if is_unreachable(exc):
                    raise unreachable(self.settings) from None
                raise PortalTimeout(f"打开门户“个人首页”失败：{first_line(exc)}") from None
            await self._personal(s, nav)
            await self._go(s, nav, "center", "center", via=("menu.enter_center", "personal"))
            await self._center_menu(s)
            await self.visit(page, "center")
            await self._go(s, nav, "transfers", "transfers", via=("menu.transfers", "center"))
            await self._transfers(s)
            await self.visit(page, "transfers")
            await self._go(s, nav, "transfer_out", "member", via=("menu.transfer_out", "transfers"))
            await self._transfer_out(s, page)
            if self.needs.approvals:
                await self._go(s, nav, "approvals", "approvals", via=("menu.approvals", "center"))
                await self._approvals(s)
                await self.visit(page, "approvals")
        finally:
            await self.traffic.settle()
            check_api(self.checks, self.traffic, self.reached, session.signed_in_with)
            with contextlib.suppress(PlaywrightError):
                await context.close()

    async def _landmark(self, s: Steps, nav: Navigator, name: str, section: str, *,
                        check_session: bool = True) -> bool:
        """Recognise the page `name` by its landmark (and its path); raise when the portal
        shows the sign-in page or 修改密码 instead."""
        mark = s.loc(f"landmarks.{name}")
        wait_ms = self.timeout
        if self.needs.quick and name == "personal":
            # Before a run: a 个人首页 that shows the portal's error instead (busy) is PortalBusy
            # at once, not after the whole wait.
            try:
                await nav.where()
            except PortalBusy as exc:
                raise PortalBusy(f"打开“个人首页”时{exc.message}") from None
            wait_ms = 0
        on = await s.shows(mark, wait_ms)
        if on:
            self.checks.found(f"landmarks.{name}", section)
        else:
            seen = await nav.where(timeout_ms=0)
            if check_session and seen in ("signin", "change_password"):
                raise await nav.unexpected(seen, name, f"打开“{self.catalog.page_name(name)}”时，")
            if self.needs.quick and name == "personal" and seen is None:
                await self.traffic.settle()
                if self.traffic.troubles:
                    # The page's own calls failed (busy, HTTP 5xx): the page may just not have
                    # loaded, and its error message may be gone already. Worth another try.
                    raise PortalBusy(then_retry(f"打开“个人首页”时门户接口出错（{quote_troubles(self.traffic.troubles)}）"))
                # Before a run: the first page after sign-in unknown is most likely a WAF's or
                # verification page, not a renamed landmark: stop as the session's way check does.
                raise await nav.unexpected(seen, name, "登录后打开“个人首页”时，")
            self.checks.absent(f"landmarks.{name}", section, await s.candidates(f"landmarks.{name}"))
        path = url_path(s.page.url)
        if not on:
            self.checks.unchecked(f"pages.{name}", section, "没有认出这个页面，无法核对它的地址")
        elif path.rstrip("/") == self.catalog.page_path(name).rstrip("/"):
            self.checks.found(f"pages.{name}", section)
        else:
            self.checks.differs(f"pages.{name}", section, "‹地址›" if self.privacy.hides(path) else path)
        return on

    async def _go(self, s: Steps, nav: Navigator, name: str, section: str, *, via: tuple[str, str]) -> bool:
        """To page `name`: a click on the menu entry `via` when it is there as the catalog
        writes it (never on a candidate), else by the page's path."""
        key, via_section = via
        target = await s.probe(key, via_section, wait_ms=500)
        if target is not None and self.checks.status(key) is Status.FOUND:
            try:
                await s.safe.click(key, target.first, self.timeout)
            except WAIT_ERRORS:
                await nav.goto(name)
        else:
            await nav.goto(name)
        return await self._landmark(s, nav, name, section)

    async def _personal(self, s: Steps, nav: Navigator) -> None:
        await self._landmark(s, nav, "personal", "personal")
        for key in ("title", "logout"):
            await s.probe(f"menu.{key}", "personal")
        await self.visit(s.page, "personal")

    async def _center_menu(self, s: Steps) -> None:
        business = await s.probe("menu.business", "center")
        transfers = s.loc("menu.transfers")
        if business is not None and self.checks.status("menu.business") is Status.FOUND and not await s.shows(transfers):
            await s.safe.click("menu.business", business.first)  # 业务办理 is folded on 管理中心's home
        await s.probe("menu.transfers", "center", wait_ms=SETTLE_MS)
        await s.probe("menu.approvals", "center")

    async def _transfers(self, s: Steps) -> None:
        if self.needs.transfers:
            await s.probe("transfers.search", "transfers")
            await s.probe("transfers.query", "transfers")
            await s.present("transfers.table", "transfers", wait_ms=self.timeout)
            await s.present("transfers.row", "transfers", absent_note="表格中暂无数据，无法核对")
            await s.present("transfers.revoke", "transfers", absent_note="当前没有可以撤销的申请，无法核对（检查不会点击它）")
        await s.probe("menu.transfer_out", "transfers")

    async def _transfer_out(self, s: Steps, page: Page) -> None:
        form = FormTour(s, self.needs)
        if self.checks.status("landmarks.transfer_out") is not Status.FOUND:
            await self.visit(page, "member")
            return
        shown = await form.member()
        await self.visit(page, "member")
        if not shown:
            return
        form_root = await form.fields()
        await self.visit(page, "form")
        if self.needs.org and await form.org_picker(form_root):
            await self.visit(page, "org")

    async def _approvals(self, s: Steps) -> None:
        section = "approvals"
        if self.checks.status("landmarks.approvals") is not Status.FOUND:
            return
        await s.present("approvals.pane", section, wait_ms=self.timeout)
        await s.probe("approvals.search", section)
        query = await s.probe("approvals.query", section)
        await s.present("approvals.next_page", section)
        if await s.present("approvals.table", section, wait_ms=self.timeout):
            table = s.loc("approvals.table").first
            headers = await table.locator(self.catalog.css("widgets.column_header")).filter(visible=True).all_inner_texts()
            self.checks.found("widgets.column_header", "other", note="核对审批表格的列时用到")
            columns = self.catalog.data["approvals.columns"]
            shown = [h.strip() for h in headers]
            for key, text in columns.items():
                dotted = f"approvals.columns.{key}"
                if text in shown:
                    self.checks.found(dotted, section)
                else:
                    others = set(columns.values()) - {text}
                    self.checks.absent(dotted, section, nearest(text, shown, taken=others, private=self.privacy))
        if query is not None and self.checks.status("approvals.query") is Status.FOUND:
            try:
                async with s.page.expect_response(
                        lambda r: url_path(r.url) == self.catalog.api_path("approval_list"), timeout=self.timeout):
                    await s.safe.click("approvals.query", query.first)
            except WAIT_ERRORS:
                pass

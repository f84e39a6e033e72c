"""A signed-in session with the portal: storage state, browser contexts and the portal's API.

    session = PortalSession(settings, browser, evidence_dir=out / "screenshots")
    await session.sign_in()                 # reuse settings.session_file, else sign in; then
                                            # walk once to 办理转出 the way the menus go
    context = await session.new_context()   # a signed-in context for one worker's page
    await session.api(path, **form)         # POST <api.prefix><path> with its cookies
    await session.renew(seen)               # after SessionExpired: one sign-in for all workers
    await session.close()

The password is typed only in a context that records no trace (see `signin.py`); every other
context starts from the saved storage state (cookies), so no trace a row records can hold it.
One session serves a whole run (all its workers, in one event loop). The session file is
written atomically with mode 0600. The first sign-in of a session also walks from 个人首页 to
办理转出 through the menus, so that a page the tool doesn't expect (a first-login 修改密码, a WAF
or verification page, a changed portal) stops the run before any row, with a screenshot in
`evidence_dir`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from urllib.parse import urljoin
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from rpa.catalog import Catalog, catalog_for
from rpa.errors import ConfigError, PortalBusy, PortalTimeout, PortalUnreachable, SessionExpired
from rpa.files import atomic_output, private_dir
from rpa.portal.widgets import first_line, portal_results
from rpa.runlog import mask_id

if TYPE_CHECKING:
    from playwright.async_api import Browser, BrowserContext

    from rpa.config import Settings

LOCALE = "zh-CN"
VIEWPORT = {"width": 1280, "height": 900}
# Element UI animates every popper and message box (~300 ms each). Playwright waits for an
# element to stop moving before it clicks, so the animations would be most of a row's time;
# without them Vue's <transition> finishes at once. Screenshots are unaffected.
NO_ANIMATIONS_SCRIPT = """
(() => {
  const css = '*, *::before, *::after { transition: none !important; animation-duration: 0s !important; }';
  const add = () => {
    const style = document.createElement('style');
    style.setAttribute('data-rpa', 'no-animations');
    style.textContent = css;
    (document.head || document.documentElement).appendChild(style);
  };
  if (document.head) add(); else document.addEventListener('DOMContentLoaded', add, { once: true });
})();
"""
# Network failures Chromium reports when nothing answers at the address at all.
UNREACHABLE_MARKERS = (
    "ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH",
    "ERR_CONNECTION_REFUSED", "ERR_NAME_NOT_RESOLVED", "ERR_ADDRESS_UNREACHABLE",
    "ERR_INTERNET_DISCONNECTED", "ERR_UNSAFE_PORT",
)


def is_unreachable(error: BaseException) -> bool:
    """Whether a Playwright error says the portal's address answers nothing at all."""
    text = str(error)
    return any(marker in text for marker in UNREACHABLE_MARKERS)


def unreachable(settings: Settings) -> PortalUnreachable:
    return PortalUnreachable(
        f"无法连接门户 {settings.portal_url}。请检查网络和 RPA_PORTAL_URL 设置后重试。",
        url=settings.portal_url,
    )


def save_storage_state(path: Path, state: dict[str, Any]) -> None:
    """Write a storage state (cookies) atomically, readable by the user only (0600)."""
    path = Path(path)
    if not path.parent.exists():
        private_dir(path.parent)
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")


def load_storage_state(path: Path) -> dict[str, Any] | None:
    """The saved storage state, or None when there is none or it can't be read."""
    try:
        state = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) and isinstance(state.get("cookies"), list) else None


class PortalSession:
    """The portal, signed in, for a whole run.

    `sign_in()` first; then `new_context()` for pages and `api()` for direct calls. After a
    `SessionExpired` from either, call `renew(generation)` with the `generation` the failing
    context was made in: the first caller signs in again, the others find it done.
    """

    def __init__(
        self, settings: Settings, browser: Browser, catalog: Catalog | None = None, *,
        evidence_dir: Path | None = None,
    ) -> None:
        """`evidence_dir`: where a screenshot of an unexpected page is saved (a run's screenshots/)."""
        self.settings = settings
        self.browser = browser
        self.catalog = catalog or catalog_for(settings)
        self.evidence_dir = evidence_dir
        self.way_checked = False  # walked from 个人首页 to 办理转出 once
        self._state: dict[str, Any] | None = None
        self._api_context: BrowserContext | None = None
        self._contexts: list[BrowserContext] = []
        self._renewing = asyncio.Lock()
        self.generation = 0  # bumped by every sign-in: contexts made before it are stale
        self.renewals = 0
        self.signed_in_with: str | None = None  # "saved" or "password", once signed in

    # --- signing in ----------------------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        return self._state is not None

    async def sign_in(self, *, walk: bool = True) -> None:
        """Make the session signed in.

        Reuses `settings.session_file` (saved storage state) when the portal still accepts it;
        otherwise signs in on the sign-in page with `settings.username` / `settings.password`
        in a context that records no trace, and saves the new state to the session file (0600).

        The first sign-in of the session then walks from 个人首页 to 办理转出 (`check_way`),
        unless `walk` is False (the caller walks the way itself: `rpa check`'s quick mode).
        `signed_in_with` says how: "saved" (the session file) or "password".

        Raises `CaptchaRequired` when the sign-in page asks for a captcha (run `rpa login`),
        `ConfigError` for a wrong account or password, `PortalUnreachable` when nothing answers,
        `PasswordChangeRequired` / `UnexpectedPage` when the portal shows another page than the
        one expected (a screenshot in `evidence_dir`).
        """
        from rpa.portal.signin import sign_in_with_password

        await self._drop_api_context()
        saved = load_storage_state(self.settings.session_file)
        if saved is not None and await self._state_is_valid(saved):
            self._state = saved
            self.generation += 1
            self.signed_in_with = "saved"
            try:
                if walk:
                    await self.check_way()
                return
            except SessionExpired:  # the portal's pages don't take the saved session after all
                await self._drop_api_context()
        self._state = None
        state = await sign_in_with_password(self.settings, self.browser, self.catalog, self.evidence_dir)
        save_storage_state(self.settings.session_file, state)
        self._state = state
        self.generation += 1
        self.signed_in_with = "password"
        if walk:
            await self.check_way()

    async def check_way(self) -> None:
        """Once per session: open 个人首页 and go to 办理转出 as the guides say (进入管理中心 →
        业务办理 → 组织关系转接办理 → 办理转出), recognising each page on the way."""
        from rpa.portal.navigation import Navigator

        if self.way_checked:
            return
        context = await self._context(self._state)
        try:
            nav = Navigator(await context.new_page(), self.catalog, self.settings.timeout_ms, self.evidence_dir)
            try:
                await nav.goto("personal")
            except PlaywrightError as exc:
                if is_unreachable(exc):
                    raise unreachable(self.settings) from None
                raise PortalTimeout(f"打开门户“个人首页”失败：{first_line(exc)}，请稍后重试。") from None
            await nav.expect("personal", "登录后打开“个人首页”时，")
            await nav.walk_to_transfer_out()
        finally:
            with contextlib.suppress(PlaywrightError):
                await context.close()
        self.way_checked = True

    async def renew(self, seen_generation: int) -> None:
        """Sign in again after `SessionExpired`, once for all the workers that met it.

        `seen_generation` is the `generation` the expired context or call was made in; when
        another worker has renewed the session since, this returns at once.
        """
        async with self._renewing:
            if self.generation != seen_generation and self._state is not None:
                return
            await self.sign_in()
            self.renewals += 1

    async def _state_is_valid(self, state: dict[str, Any]) -> bool:
        """Whether the portal still takes a saved session, as the account the settings name."""
        context = await self._context(state)
        try:
            me = await self._post(context, self.catalog.call("whoami"), {})
        except SessionExpired:
            await context.close()
            return False
        except BaseException:
            await context.close()
            raise
        account = str((me or {}).get(self.catalog.key("whoami", "account")) or "") if isinstance(me, dict) else ""
        wanted = (self.settings.username or "").strip()
        if wanted and account and account.upper() != wanted.upper():
            await context.close()
            if self.settings.password.get_secret_value():
                return False  # another account's session: sign in as the one the settings name
            raise ConfigError(
                f"保存的登录状态属于另一个账号（{mask_id(account)}），而现在设置的账号是 {mask_id(wanted)}。"
                "请运行 rpa login 用现在的账号重新登录，或检查 rpa init 的设置。"
            )
        self._api_context = context
        return True

    # --- contexts --------------------------------------------------------------------------------

    async def new_context(self) -> BrowserContext:
        """A signed-in browser context: storage state, zh-CN, 1280×900, `settings.timeout_ms`.

        The caller owns it (close it when done); `close()` closes any still open.
        """
        if self._state is None:
            await self.sign_in()
        context = await self._context(self._state)
        self._contexts.append(context)
        context.on("close", lambda c: self._contexts.remove(c) if c in self._contexts else None)
        return context

    async def _context(self, state: dict[str, Any] | None) -> BrowserContext:
        context = await self.browser.new_context(
            base_url=self.settings.portal_url,
            storage_state=state,  # type: ignore[arg-type]
            locale=LOCALE,
            viewport=VIEWPORT,  # type: ignore[arg-type]
        )
        context.set_default_timeout(self.settings.timeout_ms)
        context.set_default_navigation_timeout(self.settings.timeout_ms)
        await context.add_init_script(NO_ANIMATIONS_SCRIPT)
        return context

    # --- the API -----------------------------------------------------------------------------------

    async def api(self, path: str, **form: Any) -> Any:
        """POST form data to `<api.prefix><path>` with the session's cookies; the `results`.

        `path` and the names in `form` come from the catalog (`[api.paths]`, `[api.*]`).

        retCode 1000 → results; 1009 → `SessionExpired`; 1001 "系统繁忙" or HTTP 5xx →
        `PortalBusy`; another 1001 → `PortalRejected(retMsg)`; no connection at all →
        `PortalUnreachable`; a dropped connection → `PortalBusy`; no answer in time →
        `PortalTimeout`. None values are sent as empty fields.
        """
        if self._api_context is None:
            if self._state is None:
                await self.sign_in()
            if self._api_context is None:
                self._api_context = await self._context(self._state)
        return await self._post(self._api_context, path, form)

    async def _post(self, context: BrowserContext, path: str, form: dict[str, Any]) -> Any:
        # (The prefix is a path from the host's root, as the pages' paths are.)
        url = urljoin(self.settings.portal_url, self.catalog.text("api.prefix") + path.lstrip("/"))
        data = {k: "" if v is None else str(v) for k, v in form.items()}
        try:
            response = await context.request.post(url, form=data, timeout=self.settings.timeout_ms)
        except PlaywrightTimeout:
            raise PortalTimeout(f"门户接口 {path} 在 {self.settings.timeout_ms} 毫秒内没有应答，请稍后重试。") from None
        except PlaywrightError as exc:
            if is_unreachable(exc):
                raise unreachable(self.settings) from None
            if "Timeout" in str(exc):
                raise PortalTimeout(f"门户接口 {path} 在 {self.settings.timeout_ms} 毫秒内没有应答，请稍后重试。") from None
            raise PortalBusy(f"与门户的连接中断（接口 {path}），请稍后重试。") from None
        return await portal_results(response, self.catalog, path)

    # --- closing -----------------------------------------------------------------------------------

    async def _drop_api_context(self) -> None:
        if self._api_context is not None:
            with contextlib.suppress(PlaywrightError):
                await self._api_context.close()
            self._api_context = None

    async def close(self) -> None:
        """Close every context this session opened (the browser stays open)."""
        await self._drop_api_context()
        for context in list(self._contexts):
            with contextlib.suppress(PlaywrightError):
                await context.close()
        self._contexts.clear()


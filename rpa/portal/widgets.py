"""Element UI's el-select as the page objects meet it, and the portal's answers as they read them.

Every selector comes from the catalog (`[widgets]`); these helpers only know how the widgets
behave: a select's options live in a popper appended to <body>, shown one at a time. The
answer's keys (`retCode`, …) come from the catalog's `[api.answer]`.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout

from rpa.errors import PortalBusy, PortalRejected, SessionExpired

if TYPE_CHECKING:
    from playwright.async_api import APIResponse, Locator, Page, Request, Response

    from rpa.catalog import Catalog

TOP_LEVEL = "全国团组织（顶层）"
# What a wait on a condition raises when it runs out of time: an action's timeout or a failed
# `expect` (which raises AssertionError).
WAIT_ERRORS = (PlaywrightTimeout, AssertionError)


def url_path(url: str) -> str:
    """The path of a URL (no scheme, host or query)."""
    match = re.match(r"^[a-z]+://[^/]+(/[^?#]*)", url)
    return match.group(1) if match else url


def parse_answer(body: str, catalog: Catalog) -> tuple[Any, str, Any]:
    """(code, message, results) of one of the portal's `{retCode, retMsg, results}` answers (the
    keys from `[api.answer]`). The expiry sentence as a bare text body reads as the expiry code.
    `ValueError` when the body is neither."""
    try:
        answer = json.loads(body)
    except ValueError:
        if catalog.text("messages.expired") in body:
            return catalog.number("api.expired"), body.strip()[:200], None
        raise
    if not isinstance(answer, dict):
        raise ValueError("not an answer")
    keys = catalog.data["api.answer"]
    return answer.get(keys["code"]), str(answer.get(keys["message"]) or ""), answer.get(keys["payload"])


async def read_answer(response: Response | APIResponse, catalog: Catalog) -> tuple[Any, str, Any]:
    """`parse_answer` of a response's body; `ValueError` when it can't be read."""
    try:
        body = await response.text()
    except PlaywrightError:
        raise ValueError("no body") from None
    return parse_answer(body, catalog)


async def portal_results(response: Response | APIResponse, catalog: Catalog, name: str) -> Any:
    """The `results` of one of the portal's answers, seen by the page or got by a direct call.

    1009 (JSON or the plain-text sentence) → `SessionExpired`; "系统繁忙", HTTP 5xx or an
    unreadable answer → `PortalBusy`; another failure → `PortalRejected` with the portal's words.
    """
    if response.status >= 400:
        # Don't read the body: the page gave up on it, and Chromium may never hand it over.
        raise PortalBusy(f"门户服务器错误（HTTP {response.status}，接口 {name}），请稍后重试。")
    try:
        code, message, results = await read_answer(response, catalog)
    except ValueError:
        raise PortalBusy(f"门户接口 {name} 返回了无法识别的内容（HTTP {response.status}），请稍后重试。") from None
    api = catalog.data["api"]
    if code == api["ok"]:
        return results
    if code == api["expired"]:
        raise SessionExpired(message or "门户登录已超时。")
    if catalog.text("messages.busy") in message or code != api["failed"]:
        raise PortalBusy(f"门户繁忙（接口 {name}）：{message or code}")
    raise PortalRejected(message or f"门户接口 {name} 失败。", ret_msg=message)


def request_form(request: Request) -> dict[str, str]:
    """The form fields a page's POST sent (form-encoded or JSON), as texts."""
    data = request.post_data or ""
    try:
        parsed = json.loads(data)
        if isinstance(parsed, dict):
            return {str(k): "" if v is None else str(v) for k, v in parsed.items()}
    except ValueError:
        pass
    return {k: v[-1] for k, v in parse_qs(data, keep_blank_values=True).items()}


def first_line(exc: BaseException) -> str:
    """The first line of an error's text (Playwright's errors go on with a call log)."""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def exact(text: str) -> re.Pattern[str]:
    """Match an element whose whole text is `text` (surrounding spaces allowed)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


async def dom_click(target: Locator, timeout_ms: float) -> None:
    """A DOM `click` event on `target` (once it is attached), the event Element UI's widgets
    listen to: opening an el-select or an el-cascader, expanding a cascader node, choosing an
    option or a node's radio.

    Not Playwright's mouse click, which first scrolls, waits for two steady frames and
    hit-tests, then moves the mouse over the page (hover styles, every widget's click-outside
    handler). A row has 8–10 such clicks: with DOM clicks `rpa submit` went from 51.7 to 58.8
    rows/min and from 1.72 to 1.55 CPU-s a row (40 rows at concurrency 2, three interleaved
    pairs, medians). What a widget took is never assumed: every field is read back after the
    form is filled. Buttons that send something (提交, 确定) keep the mouse click.
    """
    await target.dispatch_event("click", timeout=timeout_ms)


class _Widget:
    """An Element UI widget rooted at a form item: its input, and CSS of its catalog section."""

    section = ""  # the catalog section holding this widget's CSS (Element UI's own structure)

    def __init__(self, page: Page, catalog: Catalog, root: Locator, timeout_ms: float) -> None:
        self.page = page
        self.catalog = catalog
        self.root = root
        self.timeout = timeout_ms

    def _css(self, key: str) -> str:
        return self.catalog.data[self.section][key]["css"]

    @property
    def input(self) -> Locator:
        return self.root.locator("input").first


class Select(_Widget):
    """An el-select: open it, pick an option by its exact label, or list what it offers."""

    section = "widgets"

    @property
    def dropdown(self) -> Locator:
        """The open dropdown (Element UI shows one at a time, in <body>)."""
        return self.page.locator(self._css("select_dropdown")).filter(visible=True)

    @property
    def options(self) -> Locator:
        return self.dropdown.locator(self._css("select_option")).filter(visible=True)

    async def value(self) -> str:
        return (await self.input.input_value()).strip()

    async def choose(self, label: str) -> list[str] | None:
        """Pick the option labelled exactly `label`; None when done, else the labels offered.

        Waits for the options to be there (a select we drive is never empty when loaded).
        """
        await dom_click(self.root, self.timeout)
        await self.options.first.wait_for(timeout=self.timeout)
        match = self.options.filter(has_text=exact(label))
        if await match.count() == 0:
            offered = [text.strip() for text in await self.options.all_inner_texts()]
            await self.close()
            return offered
        await self._pick(match.first)
        return None

    async def choose_nth_of(self, label: str, index: int) -> None:
        """Pick the `index`-th option labelled `label` (two members may show the same text)."""
        await dom_click(self.root, self.timeout)
        match = self.options.filter(has_text=exact(label))
        await self._pick(match.nth(index))

    async def _pick(self, option: Locator) -> None:
        """Choose an option of the open list (el-option's `selectOptionClick` listens to the
        click), and wait for the list to close: that shows the choice was taken."""
        await dom_click(option, self.timeout)
        await self._wait_closed()

    async def close(self) -> None:
        await self.input.press("Escape")
        await self._wait_closed()

    async def _wait_closed(self) -> None:
        # The next select's options must not be confused with this one's.
        await self.dropdown.first.wait_for(state="hidden", timeout=self.timeout)


async def shown_texts(locator: Locator) -> str:
    """The texts the locator's elements show (a portal's error messages), joined with "；"."""
    return "；".join(t.strip() for t in await locator.all_inner_texts())


def then_retry(said: str) -> str:
    """What the portal said, then "try again later" — unless it says so itself (its own words,
    such as "系统繁忙，请稍后再试", must not be followed by the same advice twice)."""
    said = said.rstrip("。，, ")
    return f"{said}。" if "稍后" in said else f"{said}，请稍后重试。"

"""Element UI widgets as the page objects meet them: el-select and the lazy el-cascader.

Every selector comes from the catalog (`[widgets]`, `[orgpicker]`); these helpers only know how
the widgets behave: a select's options live in a popper appended to <body>, shown one at a
time; a lazy cascader loads one level per click and checks a node through its radio.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import expect

from rpa.errors import OrgNotFound, PortalBusy, PortalRejected, SessionExpired

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page, Response

    from rpa.catalog import Catalog

TOP_LEVEL = "全国团组织（顶层）"
# What a wait on a condition raises when it runs out of time: an action's timeout or a failed
# `expect` (which raises AssertionError).
WAIT_ERRORS = (PlaywrightTimeout, AssertionError)


def url_path(url: str) -> str:
    """The path of a URL (no scheme, host or query)."""
    match = re.match(r"^[a-z]+://[^/]+(/[^?#]*)", url)
    return match.group(1) if match else url


async def portal_results(response: Response, catalog: Catalog, name: str) -> Any:
    """The `results` of one of the portal's `{retCode, retMsg, results}` answers seen by the page.

    1009 → `SessionExpired`; "系统繁忙", HTTP 5xx or an unreadable answer → `PortalBusy`;
    another failure → `PortalRejected` with the portal's words.
    """
    if response.status >= 400:
        # Don't read the body: the page gave up on it, and Chromium may never hand it over.
        raise PortalBusy(f"门户服务器错误（HTTP {response.status}，接口 {name}），请稍后重试。")
    try:
        answer = await response.json()
    except (ValueError, PlaywrightError):
        raise PortalBusy(f"门户接口 {name} 返回了无法识别的内容（HTTP {response.status}），请稍后重试。") from None
    api = catalog.data["api"]
    code, message = answer.get("retCode"), str(answer.get("retMsg") or "")
    if code == api["ok"]:
        return answer.get("results")
    if code == api["expired"]:
        raise SessionExpired(message or "门户登录已超时。")
    if catalog.text("messages.busy") in message or code != api["failed"]:
        raise PortalBusy(f"门户繁忙（接口 {name}）：{message or code}")
    raise PortalRejected(message or f"门户接口 {name} 失败。", ret_msg=message)


def exact(text: str) -> re.Pattern[str]:
    """Match an element whose whole text is `text` (surrounding spaces allowed)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


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
        await self.root.click()
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
        await self.root.click()
        match = self.options.filter(has_text=exact(label))
        await self._pick(match.nth(index))

    async def _pick(self, option: Locator) -> None:
        """Choose an option of the open list, and wait for the list to close.

        The option gets a DOM `click` event, which is all Element UI's el-option listens to
        (`selectOptionClick`), rather than Playwright's mouse click: that one first scrolls,
        waits for two steady frames and hit-tests, ~40 ms of CPU an option (a row has 3–4),
        ~0.1 CPU-s a row in all (30 rows, c=1, interleaved). The list closing shows the choice
        was taken, and every field is read back after the form is filled.
        """
        await option.dispatch_event("click", timeout=self.timeout)  # (waits for a visible match)
        await self._wait_closed()

    async def close(self) -> None:
        await self.input.press("Escape")
        await self._wait_closed()

    async def _wait_closed(self) -> None:
        # The next select's options must not be confused with this one's.
        await self.dropdown.first.wait_for(state="hidden", timeout=self.timeout)


class OrgCascader(_Widget):
    """The lazy, check-strictly el-cascader of 申请转入组织."""

    section = "orgpicker"

    @property
    def popper(self) -> Locator:
        return self.catalog.locator(self.page, "orgpicker.popper")

    def menu(self, level: int) -> Locator:
        return self.popper.locator(self._css("menu")).nth(level)

    def nodes(self, level: int) -> Locator:
        return self.menu(level).locator(self._css("node"))

    async def value(self) -> str:
        return (await self.input.input_value()).strip()

    async def choose(self, path: list[str]) -> None:
        """Walk `path` level by level (exact names) and check its last node.

        Needs a fresh cascader (`TransferForm.open()` first): each expansion loads its level
        from the portal, and the portal's answer says what the level holds. Raises
        `OrgNotFound(parent, missing, available)` at the first level that isn't there, and the
        portal's errors (`PortalBusy`, `SessionExpired`, …) when a level can't be loaded.
        """
        from rpa.portal.orgtree import OrgNode  # (orgtree imports this module)

        orgtree_url = self.catalog.api_path("orgtree")
        await self.root.click()
        await self.popper.wait_for(timeout=self.timeout)
        parent = TOP_LEVEL
        nodes = self.nodes(0)
        # The top level was loaded when the cascader appeared: read it from the page.
        await self._wait_for_top(nodes)
        level_nodes = await self._read_level(nodes)
        for level, name in enumerate(path):
            names = [n for n, _ in level_nodes]
            if name not in names:
                await self.close()
                raise OrgNotFound(parent, name, names)
            index = names.index(name)
            node = self.nodes(level).nth(index)
            if level == len(path) - 1:
                await node.locator(self._css("node_radio")).click()
                break
            if not level_nodes[index][1]:
                await self.close()
                raise OrgNotFound(name, path[level + 1], [])
            async with self.page.expect_response(lambda r: url_path(r.url) == orgtree_url, timeout=self.timeout) as info:
                await node.click()
            # The portal's answer is what the next level holds (the menu shows the same, in order).
            answer = await portal_results(await info.value, self.catalog, "getorgtree")
            children = [OrgNode.from_api(item) for item in answer or []]
            level_nodes = [(c.name, not c.is_leaf) for c in children]
            parent = name
        await expect(self.input).to_have_value(self.catalog.text("orgpicker.separator").join(path), timeout=self.timeout)
        await self.close()

    async def _wait_for_top(self, nodes: Locator) -> None:
        error = self.catalog.locator(self.page, "widgets.message_error")
        signin = self.catalog.locator(self.page, "signin.submit")
        await nodes.first.or_(error).or_(signin).first.wait_for(timeout=self.timeout)
        if await nodes.count() == 0:
            if await signin.count():
                raise SessionExpired("门户登录已超时（选择申请转入组织时跳转到了登录页）。")
            text = "；".join(t.strip() for t in await error.all_inner_texts())
            raise PortalBusy(f"门户没能载入组织树：{text or '无说明'}，请稍后重试。")

    async def _read_level(self, nodes: Locator) -> list[tuple[str, bool]]:
        """(name, may have children) of every node of one level, in order."""
        found = await nodes.evaluate_all(
            """(nodes, [labelCss, expandCss, loadingCss]) => nodes.map(node => {
                 const label = node.querySelector(labelCss);
                 const more = !!(node.querySelector(expandCss) || node.querySelector(loadingCss));
                 return [label ? label.textContent.trim() : '', more];
               })""",
            [self._css("node_label"), self._css("node_expand"), self._css("node_loading")],
        )
        return [(str(name), bool(more)) for name, more in found]

    async def close(self) -> None:
        """Close the popper: Escape on the cascader's own input (its keydown handler)."""
        if await self.popper.is_visible():
            await self.input.press("Escape")
            await self.popper.wait_for(state="hidden", timeout=self.timeout)

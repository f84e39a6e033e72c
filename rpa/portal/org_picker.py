"""申请转入组织: walk a target path down the national tree in the form's own picker.

    picker = org_picker(page, catalog, item, timeout_ms)   # the catalog's [strategies] org_picker
    await picker.choose(["团湖北省委", "三峡大学团委"])       # OrgNotFound(parent, missing, available)
    await picker.value()                                   # "团湖北省委 / 三峡大学团委"

Two strategies, as the portal may build the picker (`[strategies] org_picker`):

    cascader  a lazy el-cascader (checkStrictly: a radio per node); one menu per level in a popper
    columns   one filterable el-select per level; choosing in one appends the next

What each level holds is read from the page's own `getorgtree` answers (`OrgLevels`, which
listens to every answer the page gets: path, fields and keys from the catalog), not from the
widget's DOM and not by asking the portal ourselves. A level the page loaded earlier (the widget
keeps it) is known already; one that failed to load is the portal's error, not a missing org.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from typing import TYPE_CHECKING

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from rpa.errors import OrgNotFound, PortalBusy, PortalTimeout, RpaError
from rpa.portal.orgtree import OrgNode, level_of
from rpa.portal.widgets import TOP_LEVEL, Select, dom_click, exact, portal_results, request_form, shown_texts, then_retry, url_path

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page, Response

    from rpa.catalog import Catalog


class OrgLevels:
    """The levels of the tree a page has loaded, by parent id ("" = the top), from its answers."""

    _of_page: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()

    @classmethod
    def of(cls, page: Page, catalog: Catalog) -> OrgLevels:
        """The one recorder of `page` (made, and listening, on first use)."""
        levels = cls._of_page.get(page)
        if levels is None:
            levels = cls._of_page[page] = cls(page, catalog)
        return levels

    def __init__(self, page: Page, catalog: Catalog) -> None:
        self.catalog = catalog
        self._levels: dict[str, list[OrgNode] | RpaError] = {}
        self._changed = asyncio.Condition()
        page.on("response", self._on_response)
        # A new document has none of the levels the page had loaded: its widgets load them anew.
        page.on("framenavigated", lambda frame: self._levels.clear() if frame.parent_frame is None else None)

    async def _on_response(self, response: Response) -> None:
        catalog = self.catalog
        if url_path(response.url) != catalog.api_path("org_level"):
            return
        parent = request_form(response.request).get(catalog.key("orgtree", "parent"), "")
        try:
            level: list[OrgNode] | RpaError = level_of(
                await portal_results(response, catalog, catalog.call("org_level")), catalog)
        except RpaError as exc:
            level = exc
        except PlaywrightError:
            level = PortalBusy("门户的组织树没有载入完整，请稍后重试。")
        async with self._changed:
            self._levels[parent] = level
            self._changed.notify_all()

    async def get(self, pid: str, timeout_ms: float) -> list[OrgNode]:
        """The level below `pid` once the page has it; its error when it failed to load (taken
        out, so that the page's next try counts)."""
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: pid in self._levels), timeout_ms / 1000)
            except TimeoutError:
                raise PortalTimeout(f"门户的组织树在 {timeout_ms / 1000:g} 秒内没有载入，请稍后重试。") from None
            level = self._levels[pid]
            if isinstance(level, RpaError):
                del self._levels[pid]
                raise level
            return level


def org_picker(page: Page, catalog: Catalog, item: Locator, timeout_ms: float) -> OrgPicker:
    """The picker of the catalog's strategy, inside the form item 申请转入组织 (`item`)."""
    kinds = {"cascader": OrgCascader, "columns": OrgColumns}
    return kinds[catalog.strategy("org_picker")](page, catalog, item, timeout_ms)


class OrgPicker:
    """What both strategies share: the form item, the page's levels, the walk's checks."""

    def __init__(self, page: Page, catalog: Catalog, item: Locator, timeout_ms: float) -> None:
        self.page = page
        self.catalog = catalog
        self.item = item
        self.timeout = timeout_ms
        self.levels = OrgLevels.of(page, catalog)
        self.separator = catalog.text("org_picker.separator")

    @property
    def widgets(self) -> Locator:
        """The widget(s) that show the chosen path (widened for a screenshot)."""
        raise NotImplementedError

    async def value(self) -> str:
        """The chosen path as the page shows it, levels joined by the separator."""
        raise NotImplementedError

    async def choose(self, path: list[str]) -> None:
        """Walk `path` (exact names from the top) and choose its last org.

        Needs a fresh picker (`TransferForm.open()` first). Raises `OrgNotFound(parent, missing,
        available)` at the first level that isn't there, and the portal's errors (`PortalBusy`,
        `SessionExpired`, …) when a level can't be loaded.
        """
        await self._open()
        try:
            await self._walk(path)
        except BaseException:
            with contextlib.suppress(Exception):  # the walk's own error is the one to tell
                await self._close()
            raise
        await self._close()

    async def _walk(self, path: list[str]) -> None:
        parent, pid = TOP_LEVEL, ""
        for level, name in enumerate(path):
            nodes = await self.levels.get(pid, self.timeout)
            names = [n.name for n in nodes]
            if name not in names:
                raise OrgNotFound(parent, name, names)
            node = nodes[names.index(name)]
            last = level == len(path) - 1
            if not last and node.is_leaf:
                raise OrgNotFound(name, path[level + 1], [])
            await self._pick(level, parent, name, last)
            parent, pid = name, node.league_id
        await self._settle(self.separator.join(path))

    async def _open(self) -> None:
        pass

    async def _close(self) -> None:
        pass

    async def _settle(self, shown: str) -> None:
        """Wait until the widget shows the chosen path (the form's read-back compares it)."""

    async def _pick(self, level: int, parent: str, name: str, last: bool) -> None:
        raise NotImplementedError

    async def _shown(self, target: Locator) -> None:
        """Wait for `target`, or for the portal's error (a level the page failed to load shows
        an error message and stays empty): then `PortalBusy` with the portal's words."""
        error = self.catalog.locator(self.page, "widgets.message_error").filter(visible=True)
        await target.or_(error).first.wait_for(timeout=self.timeout)
        if not await target.count() or not await target.first.is_visible():
            shown = await shown_texts(error)
            raise PortalBusy(then_retry(f"门户没能载入组织树的这一级：{shown or '无说明'}"))


class OrgCascader(OrgPicker):
    """The lazy, check-strictly el-cascader: a menu per level in a popper appended to <body>."""

    @property
    def widgets(self) -> Locator:
        return self.catalog.locator(self.item, "org_picker.cascader").first

    @property
    def input(self) -> Locator:
        return self.widgets.locator("input").first

    @property
    def popper(self) -> Locator:
        return self.catalog.locator(self.page, "org_picker.popper").filter(visible=True)

    def nodes(self, level: int) -> Locator:
        menu = self.popper.locator(self.catalog.css("org_picker.menu")).nth(level)
        return menu.locator(self.catalog.css("org_picker.node"))

    async def value(self) -> str:
        return (await self.input.input_value()).strip()

    async def _open(self) -> None:
        await dom_click(self.widgets, self.timeout)
        await self.popper.wait_for(timeout=self.timeout)

    async def _settle(self, shown: str) -> None:
        await expect(self.input).to_have_value(shown, timeout=self.timeout)

    async def _pick(self, level: int, parent: str, name: str, last: bool) -> None:
        label = self.page.locator(self.catalog.css("org_picker.node_label")).filter(has_text=exact(name))
        node = self.nodes(level).filter(has=label).first
        await self._shown(node)
        if last:
            await dom_click(node.locator(self.catalog.css("org_picker.node_radio")), self.timeout)
        else:
            await dom_click(node, self.timeout)  # expands it: the page loads the level below (once per page)

    async def _close(self) -> None:
        """Close the popper: Escape on the cascader's own input (its keydown handler)."""
        if await self.popper.count():
            await self.input.press("Escape")
            await self.popper.first.wait_for(state="hidden", timeout=self.timeout)


class OrgColumns(OrgPicker):
    """One filterable el-select per level; choosing in one appends the next (none after a leaf)."""

    @property
    def widgets(self) -> Locator:
        return self.catalog.locator(self.item, "org_picker.column")

    async def value(self) -> str:
        values = await self.widgets.locator("input").evaluate_all("inputs => inputs.map(i => i.value.trim())")
        return self.separator.join(v for v in values if v)

    async def _pick(self, level: int, parent: str, name: str, last: bool) -> None:
        await self._shown(self.widgets.nth(level))
        select = Select(self.page, self.catalog, self.widgets.nth(level), self.timeout)
        offered = await select.choose(name)
        if offered is not None:  # the page shows another level than it loaded: say what it shows
            raise OrgNotFound(parent, name, offered)

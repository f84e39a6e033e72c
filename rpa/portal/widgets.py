"""Element UI widgets as the page objects meet them: el-select and the lazy el-cascader.

Every selector comes from the catalog (`[widgets]`, `[orgpicker]`); these helpers only know how
the widgets behave: a select's options live in a popper appended to <body>, shown one at a
time; a lazy cascader loads one level per click and checks a node through its radio.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from rpa.errors import OrgNotFound

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

    from rpa.catalog import Catalog

TOP_LEVEL = "全国团组织（顶层）"
# What a wait on a condition raises when it runs out of time: an action's timeout or a failed
# `expect` (which raises AssertionError).
WAIT_ERRORS = (PlaywrightTimeout, AssertionError)


def exact(text: str) -> re.Pattern[str]:
    """Match an element whose whole text is `text` (surrounding spaces allowed)."""
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


class Select:
    """An el-select: open it, pick an option by its exact label, or list what it offers."""

    def __init__(self, page: Page, catalog: Catalog, root: Locator, timeout_ms: float) -> None:
        self.page = page
        self.catalog = catalog
        self.root = root
        self.timeout = timeout_ms

    def _css(self, key: str) -> str:
        return self.catalog.data["widgets"][key]["css"]

    @property
    def input(self) -> Locator:
        return self.root.locator("input").first

    @property
    def dropdown(self) -> Locator:
        """The open dropdown (Element UI shows one at a time, in <body>)."""
        return self.page.locator(self._css("select_dropdown")).filter(visible=True)

    @property
    def options(self) -> Locator:
        return self.dropdown.locator(self._css("select_option")).filter(visible=True)

    def value(self) -> str:
        return self.input.input_value().strip()

    def choose(self, label: str) -> list[str] | None:
        """Pick the option labelled exactly `label`; None when done, else the labels offered.

        Waits for the options to be there (a select we drive is never empty when loaded).
        """
        self.root.click()
        self.options.first.wait_for(timeout=self.timeout)
        match = self.options.filter(has_text=exact(label))
        if match.count() == 0:
            offered = [text.strip() for text in self.options.all_inner_texts()]
            self.close()
            return offered
        match.first.click()
        self._wait_closed()
        return None

    def choose_nth_of(self, label: str, index: int) -> None:
        """Pick the `index`-th option labelled `label` (two members may show the same text)."""
        self.root.click()
        match = self.options.filter(has_text=exact(label))
        match.nth(index).click()
        self._wait_closed()

    def close(self) -> None:
        self.input.press("Escape")
        self._wait_closed()

    def _wait_closed(self) -> None:
        # The next select's options must not be confused with this one's.
        self.dropdown.first.wait_for(state="hidden", timeout=self.timeout)


class OrgCascader:
    """The lazy, check-strictly el-cascader of 申请转入组织."""

    def __init__(self, page: Page, catalog: Catalog, root: Locator, timeout_ms: float) -> None:
        self.page = page
        self.catalog = catalog
        self.root = root
        self.timeout = timeout_ms

    def _css(self, key: str) -> str:
        return self.catalog.data["orgpicker"][key]["css"]

    @property
    def input(self) -> Locator:
        return self.root.locator("input").first

    @property
    def popper(self) -> Locator:
        return self.catalog.locator(self.page, "orgpicker.popper")

    def menu(self, level: int) -> Locator:
        return self.popper.locator(self._css("menu")).nth(level)

    def nodes(self, level: int) -> Locator:
        return self.menu(level).locator(self._css("node"))

    def value(self) -> str:
        return self.input.input_value().strip()

    def choose(self, path: list[str]) -> None:
        """Walk `path` level by level (exact names) and check its last node.

        Raises `OrgNotFound(parent, missing, available)` at the first level that isn't there.
        """
        expandable = self.page.locator(self._css("node_expand"))
        loading = self.page.locator(self._css("node_loading"))
        self.root.click()
        self.popper.wait_for(timeout=self.timeout)
        parent = TOP_LEVEL
        for level, name in enumerate(path):
            nodes = self.nodes(level)
            nodes.first.wait_for(timeout=self.timeout)
            level_nodes = self._read_level(nodes)  # one round trip for the whole level
            names = [n for n, _ in level_nodes]
            if name not in names:
                self.close()
                raise OrgNotFound(parent, name, names)
            index = names.index(name)
            node = nodes.nth(index)
            if level == len(path) - 1:
                node.locator(self._css("node_radio")).click()
                break
            if not level_nodes[index][1]:
                self.close()
                raise OrgNotFound(name, path[level + 1], [])
            node.click()
            # Loaded: either the next level shows, or the node turned out to have no children.
            became_leaf = nodes.nth(index).and_(nodes.filter(has_not=expandable).filter(has_not=loading))
            self.nodes(level + 1).first.or_(became_leaf).first.wait_for(timeout=self.timeout)
            if self.nodes(level + 1).count() == 0:
                self.close()
                raise OrgNotFound(name, path[level + 1], [])
            parent = name
        expect(self.input).to_have_value(self.catalog.text("orgpicker.separator").join(path), timeout=self.timeout)
        self.close()

    def _read_level(self, nodes: Locator) -> list[tuple[str, bool]]:
        """(name, may have children) of every node of one level, in order."""
        found = nodes.evaluate_all(
            """(nodes, [labelCss, expandCss, loadingCss]) => nodes.map(node => {
                 const label = node.querySelector(labelCss);
                 const more = !!(node.querySelector(expandCss) || node.querySelector(loadingCss));
                 return [label ? label.textContent.trim() : '', more];
               })""",
            [self._css("node_label"), self._css("node_expand"), self._css("node_loading")],
        )
        return [(str(name), bool(more)) for name, more in found]

    def close(self) -> None:
        """Close the popper: Escape on the cascader's own input (its keydown handler)."""
        if self.popper.is_visible():
            self.input.press("Escape")
            self.popper.wait_for(state="hidden", timeout=self.timeout)

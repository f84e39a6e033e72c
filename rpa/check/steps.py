"""The check's hands: what it may do on a page, and how it looks for a catalog entry there.

    steps = Steps(page, catalog, checks, privacy, timeout_ms)
    loc = await steps.probe("menu.transfers", "center")   # found → its locator; renamed → the
                                                          # locator of the candidate; else None
    await steps.safe.click("menu.transfers", loc)         # only keys of [check] safe_clicks
    texts = await steps.open_select("transfer.labels.reason", item)   # the options it offers

`SafeActions` is the one way the check clicks or types: a key that `[check] safe_clicks` (or
`safe_fills`) doesn't list raises `UnsafeAction` before anything happens. Nothing here presses
Enter; Escape closes what was opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError

from rpa.check.candidates import Privacy, clean, nearest
from rpa.check.entries import Checks, Status, expected_text, has_text
from rpa.check.seen import texts_like
from rpa.portal.widgets import WAIT_ERRORS, exact

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from rpa.catalog import Catalog

# How long the check waits for something that may simply not be there (ms): a renamed label is
# not worth the run's whole timeout, the page has settled by then.
SHORT_WAIT_MS = 1500


class UnsafeAction(RuntimeError):
    """The check was about to click or type where the catalog doesn't allow it (a bug)."""


class SafeActions:
    """Clicks and typing, restricted to the catalog's `[check] safe_clicks` / `safe_fills`."""

    def __init__(self, catalog: Catalog) -> None:
        check = catalog.data["check"]
        self.clicks = frozenset(check["safe_clicks"])
        self.fills = frozenset(check["safe_fills"])
        self.done: list[tuple[str, str]] = []  # (action, key), in order

    def allow(self, key: str, action: str = "click") -> None:
        allowed = self.clicks if action == "click" else self.fills
        if key not in allowed:
            raise UnsafeAction(f"门户检查不会{'点击' if action == 'click' else '输入'} {key}（不在 [check] safe_{action}s 中）")

    async def click(self, key: str, target: Locator, timeout_ms: float | None = None) -> None:
        self.allow(key)
        self.done.append(("click", key))
        await target.click(timeout=timeout_ms)

    async def choose(self, key: str, option: Locator, timeout_ms: float | None = None) -> None:
        """Choose an option of a select opened with `key` (a DOM click on the option, as the driver does)."""
        self.allow(key)
        self.done.append(("choose", key))
        await option.dispatch_event("click", timeout=timeout_ms)

    async def fill(self, key: str, target: Locator, text: str) -> None:
        self.allow(key, "fill")
        self.done.append(("fill", key))
        await target.fill(text)


class Steps:
    """One page of the walk: the catalog's entries looked for, safely."""

    def __init__(self, page: Page, catalog: Catalog, checks: Checks, privacy: Privacy, timeout_ms: float) -> None:
        self.page = page
        self.catalog = catalog
        self.checks = checks
        self.privacy = privacy
        self.timeout = timeout_ms
        self.safe = SafeActions(catalog)

    def loc(self, dotted: str, root: Page | Locator | None = None, text: str | None = None) -> Locator:
        return self.catalog.locator(self.page if root is None else root, dotted, text)

    def taken(self) -> set[str]:
        """The texts of every entry found so far (not candidates for another one)."""
        return {r.expected for r in self.checks.results.values() if r.status is Status.FOUND}

    async def shows(self, target: Locator, wait_ms: float = 0) -> bool:
        """Whether `target` is on show (waiting up to `wait_ms` for it)."""
        visible = target.filter(visible=True)
        try:
            if wait_ms:
                await visible.first.wait_for(timeout=wait_ms)
            return await visible.count() > 0
        except (PlaywrightError, *WAIT_ERRORS):
            return False

    async def probe(
        self, dotted: str, section: str, root: Page | Locator | None = None, *, wait_ms: float = 0,
    ) -> Locator | None:
        """Look for a catalog entry: found → its locator; absent → its candidates recorded, and
        the locator of the candidate when it is close enough ("different"); else None."""
        target = self.loc(dotted, root)
        if await self.shows(target, wait_ms):
            self.checks.found(dotted, section)
            return target
        result = self.checks.absent(dotted, section, await self.candidates(dotted, root))
        if result.status is Status.DIFFERENT and result.seen:
            renamed = self.loc(dotted, root, result.seen)
            return renamed if await self.shows(renamed) else None
        return None

    async def candidates(self, dotted: str, root: Page | Locator | None = None, texts: list[str] | None = None):
        spec = self.checks.value(dotted)
        if not has_text(spec):
            return []
        if texts is None:
            texts = await texts_like(self.catalog, await self._candidate_root(dotted, root), spec)
        return nearest(expected_text(spec), texts, taken=self.taken(), private=self.privacy)

    async def _candidate_root(self, dotted: str, root: Page | Locator | None) -> Page | Locator:
        """Where to look for candidates: inside the entry's `within` when that is there, else `root`."""
        section = dotted.rsplit(".", 1)[0]
        spec = self.checks.value(dotted)
        base = self.page if root is None else root
        if isinstance(spec, dict) and "within" in spec:
            within = self.loc(f"{section}.{spec['within']}", base)
            if await self.shows(within):
                return within.first
        return base

    async def present(self, dotted: str, section: str, root: Page | Locator | None = None, *,
                      absent_note: str | None = None, wait_ms: float = 0) -> bool:
        """A presence check: found, or (with `absent_note`) unchecked when it may simply not be
        there now (a table with no rows), else absent."""
        if await self.shows(self.loc(dotted, root), wait_ms):
            self.checks.found(dotted, section)
            return True
        if absent_note is not None:
            self.checks.unchecked(dotted, section, absent_note)
        else:
            self.checks.absent(dotted, section, await self.candidates(dotted, root))
        return False

    # --- form items and selects ------------------------------------------------------------------

    async def labels(self, form: Locator, keys: list[str], section: str = "form") -> dict[str, Locator]:
        """Look for form labels (`[transfer.labels]` keys) in `form`: the items found (or found
        renamed), by key. Found ones first, so that none is offered as another's candidate."""
        items: dict[str, Locator] = {}
        missing = []
        for key in keys:
            dotted = f"transfer.labels.{key}"
            item = self.catalog.field(form, self.catalog.label(key))
            if await self.shows(item):
                self.checks.found(dotted, section)
                items[key] = item
            else:
                missing.append(key)
        if missing:
            shown = await form.locator(self.catalog.css("widgets.form_item_label")).filter(visible=True).all_inner_texts()
            for key in missing:
                dotted = f"transfer.labels.{key}"
                result = self.checks.absent(dotted, section, await self.candidates(dotted, form, shown))
                if result.status is Status.DIFFERENT and result.seen:
                    items[key] = self.catalog.field(form, result.seen)
        return items

    def select_in(self, item: Locator) -> Locator:
        return item.locator(self.catalog.css("widgets.select")).first

    @property
    def dropdown(self) -> Locator:
        return self.page.locator(self.catalog.css("widgets.select_dropdown")).filter(visible=True)

    @property
    def options(self) -> Locator:
        return self.dropdown.locator(self.catalog.css("widgets.select_option")).filter(visible=True)

    async def open_select(self, key: str, select: Locator) -> list[str]:
        """Open a select (a safe click of `key`); the options it offers (texts)."""
        await self.safe.click(key, select)
        try:
            await self.dropdown.first.wait_for(timeout=self.timeout)
            await self.options.first.wait_for(timeout=SHORT_WAIT_MS)
        except WAIT_ERRORS:
            return []
        return [clean(t) for t in await self.options.all_inner_texts()]

    async def choose_open(self, key: str, text: str) -> bool:
        """Choose the option `text` of the open select (opened with `key`); False when it has none."""
        match = self.options.filter(has_text=exact(text))
        if not await match.count():
            return False
        await self.safe.choose(key, match.first, self.timeout)
        await self.closed()
        return True

    async def close_select(self, select: Locator) -> None:
        if await self.dropdown.count():
            await select.locator("input").first.press("Escape")
            await self.closed()

    async def closed(self) -> None:
        try:
            await self.dropdown.first.wait_for(state="hidden", timeout=self.timeout)
        except WAIT_ERRORS:
            pass

    async def options_of(self, group: str, offered: list[str], section: str = "form",
                         keys: list[str] | None = None) -> dict[str, str]:
        """Check `[options.<group>]` against what a select offered; the text to choose, by key
        (the catalog's, or the candidate of a renamed one)."""
        table: dict[str, Any] = self.catalog.data[f"options.{group}"]
        usable: dict[str, str] = {}
        taken = set(table.values())
        for key in keys or list(table):
            dotted, text = f"options.{group}.{key}", table[key]
            if text in offered:
                self.checks.found(dotted, section)
                usable[key] = text
                continue
            result = self.checks.absent(dotted, section, nearest(text, offered, taken=taken - {text}))
            if result.status is Status.DIFFERENT and result.seen:
                usable[key] = result.seen
        return usable

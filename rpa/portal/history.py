"""A member's applications, found the way an admin finds them: by name, on 组织关系审批.

    entries = await applications_of(session, row)    # newest first
    entry.is_for(row), entry.targets(row), entry.open, entry.revoked

What the runner asks before it ever submits a row again (an in-doubt row): which applications
does the portal hold for this member? (`rpa.runner.reconcile` decides which one, if any, is ours.) 组织关系审批 has no ID search, so the
tool searches the member's name there, as a person would, and reads the answer the page itself
gets for that search (`[api.approvals]` keys), page by page: the answer holds the masked ID
number, which tells namesakes apart.

`TransfersPage` is 组织关系转接办理's own list (search by ID number, 撤销申请).
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import expect

from rpa.config import DEFAULT_TIMEOUT_MS
from rpa.errors import OrgNotFound, PortalTimeout
from rpa.portal.navigation import Navigator
from rpa.portal.widgets import WAIT_ERRORS, portal_results, url_path

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page, Response

    from rpa.batch import TransferRow
    from rpa.catalog import Catalog
    from rpa.portal.session import PortalSession

# Pages of search results read at most (the portal shows 10 a page): a member with more than
# this many applications would be a portal problem, not ours to page through.
MAX_PAGES = 10


@dataclass(frozen=True)
class HistoryEntry:
    """One application as 组织关系审批 lists it."""

    application_id: str
    name: str
    created_at: str | None  # 申请时间 as the portal shows it
    stage_name: str  # 处理状态
    target: str  # 转入团组织 as the portal shows it
    open: bool  # still in progress: not revoked, not returned (10-day), not finished
    id_masked: str | None = None  # the masked ID number, where the portal gives it
    revoked: bool = False
    # The texts that name the row's target, for the row this entry was read for (see targets()).
    target_names: frozenset[str] = field(default=frozenset(), compare=False, repr=False)

    def is_for(self, row: TransferRow) -> bool:
        """The row's member: the same name, and the same masked ID number where it is shown."""
        return self.name == row.name and (self.id_masked is None or self.id_masked == row.masked_id)

    def targets(self, row: TransferRow) -> bool:
        """Its target is the row's target: the org at the end of the row's path (by its full
        name or its name), the 北京/广东/福建 org's full name, or no org (转往特殊单位团组织)."""
        names = self.target_names or _plain_names(row)
        return self.target.strip() in names


def _plain_names(row: TransferRow, catalog: Catalog | None = None, full_name: str | None = None) -> frozenset[str]:
    """What 转入团组织 may read for the row's target, as far as it is known without the tree."""
    names: set[str] = set()
    if row.province_flag and row.target_full_name:
        names.add(row.target_full_name)
        if catalog is not None:
            names.add(catalog.text("approvals.province_target").format(
                province=row.province or "", full_name=row.target_full_name))
    elif row.target_path:
        names.add(row.target_path[-1])
        names.add("/".join(row.target_path))
        if full_name:
            names.add(full_name)
    elif catalog is not None:
        names.add(catalog.text("approvals.special_target"))
    return frozenset(n.strip() for n in names if n)


async def applications_of(session: PortalSession, row: TransferRow) -> list[HistoryEntry]:
    """Every application the portal lists under the row member's name that `is_for` the row's
    member (revoked ones included), newest first.

    Errors propagate (`SessionExpired`, `PortalBusy`, `PortalTimeout`, …): "don't know" must
    never be read as "not there".
    """
    catalog = session.catalog
    full_name = None
    if row.target_path and not row.province_flag:
        from rpa.portal.orgtree import OrgTree

        with contextlib.suppress(OrgNotFound):  # (a path the portal lacks: no application can name it)
            full_name = (await OrgTree(session).resolve(list(row.target_path)))[-1].full_name
    names = _plain_names(row, catalog, full_name)
    context = await session.new_context()
    try:
        page = ApprovalsPage(await context.new_page(), catalog, session.settings.timeout_ms, session.evidence_dir)
        await page.open()
        listed = await page.search(row.name)
    finally:
        with contextlib.suppress(PlaywrightError):
            await context.close()
    entries = [_entry(item, catalog, names) for item in listed]
    mine = [e for e in entries if e.is_for(row)]
    return sorted(mine, key=lambda e: e.created_at or "", reverse=True)  # (stable: portal order within a second)


def _entry(item: dict[str, Any], catalog: Catalog, target_names: frozenset[str]) -> HistoryEntry:
    keys = catalog.data["api.approvals"]

    def text(name: str) -> str:
        value = item.get(keys[name])
        return "" if value is None else str(value).strip()

    stage = text("stage_name")
    return HistoryEntry(
        application_id=text("application_id"),
        name=text("name"),
        created_at=text("created_at") or None,
        stage_name=stage,
        target=text("target"),
        open=stage not in catalog.texts("approvals.closed_states"),
        id_masked=text("id_masked") or None,
        revoked=stage == catalog.text("approvals.revoked_state"),
        target_names=target_names,
    )


class ApprovalsPage:
    """Page object for 组织关系审批: the tab 转出申请, its name box, 查询, and the answers the page gets."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float = DEFAULT_TIMEOUT_MS, evidence_dir=None) -> None:
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms
        self.nav = Navigator(page, catalog, timeout_ms, evidence_dir)

    def _loc(self, key: str) -> Locator:
        return self.catalog.locator(self.page, f"approvals.{key}")

    def _is_list(self, response: Response) -> bool:
        return url_path(response.url) == self.catalog.api_path("approval_list")

    async def open(self) -> None:
        """Load 组织关系审批 by its path and recognise it (it lists the org's applications as it opens)."""
        try:
            async with self.page.expect_response(self._is_list, timeout=self.timeout) as info:
                await self.nav.goto("approvals")
                await self.nav.expect("approvals", f"打开“{self.catalog.page_name('approvals')}”时，")
            await self._rows(await info.value)
        except WAIT_ERRORS:
            raise PortalTimeout("打开“组织关系审批”页面超时，请稍后重试。") from None

    async def search(self, name: str) -> list[dict[str, Any]]:
        """Search by name; every entry of the answers the page got, all pages."""
        box = self._loc("search")
        await box.fill(name)
        try:
            async with self.page.expect_response(self._is_list, timeout=self.timeout) as info:
                await self._loc("query").click()
            found, total = await self._rows(await info.value)
            for _ in range(MAX_PAGES - 1):
                if len(found) >= total:
                    break
                async with self.page.expect_response(self._is_list, timeout=self.timeout) as info:
                    await self._loc("next_page").click()
                more, total = await self._rows(await info.value)
                if not more:
                    break
                found += more
        except WAIT_ERRORS:
            raise PortalTimeout("在“组织关系审批”中按姓名查询超时，请稍后重试。") from None
        return found

    async def _rows(self, response: Response) -> tuple[list[dict[str, Any]], int]:
        results = await portal_results(response, self.catalog, self.catalog.call("approval_list"))
        results = results if isinstance(results, dict) else {}
        rows = [r for r in results.get(self.catalog.key("approvals", "rows")) or [] if isinstance(r, dict)]
        try:
            total = int(results.get(self.catalog.key("approvals", "total")) or 0)
        except (TypeError, ValueError):
            total = len(rows)
        return rows, total


class TransfersPage:
    """Page object for 组织关系转接办理's list (search by ID number, the table, 撤销申请)."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms
        self.nav = Navigator(page, catalog, timeout_ms)

    def _loc(self, key: str) -> Locator:
        return self.catalog.locator(self.page, f"transfers.{key}")

    @property
    def rows(self) -> Locator:
        return self._loc("row")

    async def open(self) -> None:
        await self.nav.goto("transfers")
        await self.nav.expect("transfers", f"打开“{self.catalog.page_name('transfers')}”时，")
        await expect(self._loc("table")).to_be_visible(timeout=self.timeout)

    async def search(self, id_number: str) -> list[str]:
        """Search by ID number; the text of each row of the table once it is redrawn."""
        await self._loc("search").fill(id_number)
        await self._loc("query").click()
        loading = self.catalog.locator(self.page, "widgets.loading").filter(visible=True)
        await expect(loading).to_have_count(0, timeout=self.timeout)
        await expect(self.rows.filter(has_text=id_number[-4:]).first).to_be_visible(timeout=self.timeout)
        return [t.strip() for t in await self.rows.all_inner_texts()]

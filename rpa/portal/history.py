"""我的组织关系接转历史: a member's applications, through the API and as a page.

`applications_of()` is what the runner asks before it ever submits a row again (an in-doubt
row): which applications does the portal hold for this member? (`rpa.runner.reconcile` decides
which one, if any, is ours.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from playwright.async_api import expect

from rpa.config import DEFAULT_TIMEOUT_MS

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from rpa.batch import TransferRow
    from rpa.catalog import Catalog
    from rpa.portal.session import PortalSession

# More than one page of history for one member would mean many revoked attempts.
PAGE_SIZE = 100


@dataclass(frozen=True)
class HistoryEntry:
    """One application of a member, as the portal lists it."""

    application_id: str
    name: str
    created_at: str | None  # 申请时间 as the portal shows it
    stage_name: str
    target: str  # 转入组织 as the portal shows it
    open: bool  # still in progress: not revoked, not returned, not finished
    revoked: bool = False

    @classmethod
    def from_api(cls, row: dict[str, Any]) -> HistoryEntry:
        stage, revoked = str(row.get("stageName", "")), bool(row.get("revoked", False))
        return cls(
            application_id=str(row["applicationId"]),
            name=str(row.get("name", "")),
            created_at=row.get("createdAt"),
            stage_name=stage,
            target=str(row.get("target", "")),
            open=not revoked and stage != "完成",
            revoked=revoked,
        )

    def is_for(self, row: TransferRow) -> bool:
        """Whether this is the row's member (the list was asked for by the row's ID number)."""
        return not self.name or self.name == row.name


async def applications_of(session: PortalSession, row: TransferRow) -> list[HistoryEntry]:
    """Every application of the row's member, newest first (revoked included)."""
    path = session.catalog.text("api.history")
    results = await session.api(path, idNumber=row.id_number.strip().upper(), page=1, size=PAGE_SIZE) or {}
    entries = [HistoryEntry.from_api(r) for r in results.get("rows", [])]
    return sorted(entries, key=lambda e: int(e.application_id), reverse=True)


class HistoryPage:
    """Page object for 我的组织关系接转历史 (search by ID number, the table, 撤销申请)."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float = DEFAULT_TIMEOUT_MS) -> None:
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms

    @property
    def search_input(self) -> Locator:
        return self.catalog.locator(self.page, "history.search")

    @property
    def query_button(self) -> Locator:
        return self.catalog.locator(self.page, "history.query")

    @property
    def rows(self) -> Locator:
        return self.catalog.locator(self.page, "history.row")

    async def open(self) -> None:
        """Go to the history through the left menu's URL and wait for its table."""
        history_url = self.catalog.api_path("history")
        async with self.page.expect_response(lambda r: history_url in r.url, timeout=self.timeout):
            await self.page.goto(self.catalog.text("history.path"))
        await expect(self.catalog.locator(self.page, "history.table")).to_be_visible(timeout=self.timeout)

    async def search(self, id_number: str) -> list[str]:
        """Search by ID number; the text of each row of the table."""
        history_url = self.catalog.api_path("history")
        await self.search_input.fill(id_number)
        async with self.page.expect_response(lambda r: history_url in r.url, timeout=self.timeout):
            await self.query_button.click()
        # The table is redrawn when its loading mask goes away.
        loading = self.catalog.locator(self.page, "widgets.loading").filter(visible=True)
        await expect(loading).to_have_count(0, timeout=self.timeout)
        return [t.strip() for t in await self.rows.all_inner_texts()]

"""The card 选择转出人 of 办理转出: choose the branch, then the member whose form opens below.

    picker = MemberPicker(page, catalog, timeout_ms)
    await picker.choose(row)      # MemberNotFound names what the branch (or the account) holds
    picker.forget()               # after a page load: the card is empty again

While the page is kept from row to row, the picker remembers the branch on show with the
members the portal listed for it, so the next member of the same branch is chosen from that
list (choosing the same branch again fires no change, so no new list would come).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rpa.errors import MemberNotFound
from rpa.portal.widgets import Select, portal_results, url_path

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page

    from rpa.batch import TransferRow
    from rpa.catalog import Catalog


class MemberPicker:
    """Two el-selects in the card: 转出团支部 (the account's branches), then 转出人."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float) -> None:
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms
        # The branch on show with its members as the portal listed them (None: not known).
        self._card: tuple[str, list[dict[str, Any]]] | None = None
        # The member whose form is below (None: not known).
        self.shown: tuple[str, str] | None = None

    @property
    def branch_select(self) -> Locator:
        return self.catalog.locator(self.page, "transfer.branch")

    @property
    def member_select(self) -> Locator:
        return self.catalog.locator(self.page, "transfer.member")

    def _select(self, root: Locator) -> Select:
        css = self.catalog.data["widgets"]["select"]["css"]
        return Select(self.page, self.catalog, root.locator(css).first, self.timeout)

    def forget(self) -> None:
        """The page was loaded afresh: nothing is chosen in the card."""
        self._card = self.shown = None

    def is_shown(self, row: TransferRow) -> bool:
        """Whether the form below is already this row's member's (choosing them again renews nothing)."""
        return self.shown == _key(row)

    async def choose(self, row: TransferRow) -> None:
        """Choose the branch (unless the card shows it already), then the member."""
        self.shown = None
        if self._card is not None and self._card[0] == row.branch:
            members = self._card[1]
        else:
            members = await self._choose_branch(row)
        shown = [self.catalog.member_option(str(m.get("name", "")), _mask(m.get("idNumber", ""))) for m in members]
        found = [
            i for i, m in enumerate(members)
            if str(m.get("idNumber", "")).upper() == row.id_number.upper() and m.get("name") == row.name
        ]
        if not found:
            raise MemberNotFound(
                f"第{row.row}行：团支部“{row.branch}”中没有 {self.catalog.member_option(row.name, row.masked_id)}。"
                f"该支部现有：{'、'.join(shown) or '（无团员）'}。请核对姓名、身份证号和转出团支部。",
                branch=row.branch,
                available=shown,
            )
        option = shown[found[0]]
        await self._select(self.member_select).choose_nth_of(option, shown[: found[0]].count(option))
        self.shown = _key(row)

    async def _choose_branch(self, row: TransferRow) -> list[dict[str, Any]]:
        """Choose the row's branch; its members, as the portal listed them to the page."""
        self._card = None
        members_url = self.catalog.api_path("members")
        async with self.page.expect_response(lambda r: url_path(r.url) == members_url) as info:
            offered = await self._select(self.branch_select).choose(row.branch)
            if offered is not None:
                raise MemberNotFound(
                    f"第{row.row}行：本账号管理的组织中没有团支部“{row.branch}”。现有：{'、'.join(offered)}。"
                    "请核对名单中的转出团支部全称。",
                    branch=row.branch,
                    available=offered,
                )
        members = await portal_results(await info.value, self.catalog, "members") or []
        self._card = (row.branch, members)
        return members


def _key(row: TransferRow) -> tuple[str, str]:
    return (row.id_number.upper(), row.name)


def _mask(id_number: Any) -> str:
    id_number = str(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:] if len(id_number) > 8 else id_number

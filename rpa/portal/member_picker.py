"""The card 选择转出人 of 办理转出: choose the row's member, whose form then opens below.

    picker = member_picker(page, catalog, timeout_ms)   # the catalog's [strategies] member_picker
    await picker.choose(row)      # MemberNotFound names what the portal offered instead
    picker.forget()               # after a page load: the card is empty again

Two strategies, as the portal may build the card (`[strategies] member_picker`):

    selects       el-select 转出团支部, then el-select 转出人 (the members the page loads for the branch)
    search_table  a button 选择 opening a dialog: search by name, a table of 姓名 · 身份证号 (masked) ·
                  所在团支部, and 选择 in the row of the member (name + masked ID + branch)

Either way the members are read from the answer the page itself gets (the member list call,
`[api.paths] member_list`, its keys from `[api.members]`), never asked for by the tool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from playwright.async_api import expect

from rpa.errors import MemberNotFound
from rpa.portal.widgets import Select, portal_results, url_path

if TYPE_CHECKING:
    from playwright.async_api import Locator, Page, Response

    from rpa.batch import TransferRow
    from rpa.catalog import Catalog


def member_picker(page: Page, catalog: Catalog, timeout_ms: float) -> MemberPicker:
    """The picker of the catalog's strategy."""
    kinds = {"selects": MemberSelects, "search_table": MemberSearch}
    return kinds[catalog.strategy("member_picker")](page, catalog, timeout_ms)


class MemberPicker:
    """What both strategies share: the member on show, and the members the portal listed."""

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float) -> None:
        self.page = page
        self.catalog = catalog
        self.timeout = timeout_ms
        # The member whose form is below (None: not known).
        self.shown: tuple[str, str] | None = None

    def _loc(self, key: str) -> Locator:
        return self.catalog.locator(self.page, f"member_picker.{key}")

    @property
    def ready(self) -> Locator:
        """Shown once the card can be used (what `TransferForm` waits for after a page load)."""
        raise NotImplementedError

    def forget(self) -> None:
        """The page was loaded afresh: nothing is chosen in the card."""
        self.shown = None

    def is_shown(self, row: TransferRow) -> bool:
        """Whether the form below is already this row's member's (choosing them again renews nothing)."""
        return self.shown == _key(row)

    async def choose(self, row: TransferRow) -> None:
        raise NotImplementedError

    async def _members(self, response: Response) -> list[dict[str, Any]]:
        """The member entries of a member list the page got."""
        results = await portal_results(response, self.catalog, self.catalog.call("member_list"))
        found = results.get(self.catalog.key("members", "list")) if isinstance(results, dict) else None
        return [m for m in found or [] if isinstance(m, dict)]

    def _field(self, member: dict[str, Any], name: str) -> str:
        return str(member.get(self.catalog.key("members", name)) or "")

    def _is_row(self, member: dict[str, Any], row: TransferRow) -> bool:
        return (self._field(member, "id_number").upper() == row.id_number.upper()
                and self._field(member, "name") == row.name)

    def _shown_as(self, member: dict[str, Any]) -> str:
        return self.catalog.member_option(self._field(member, "name"), mask(self._field(member, "id_number")))

    def _is_members_answer(self, response: Response) -> bool:
        return url_path(response.url) == self.catalog.api_path("member_list")


class MemberSelects(MemberPicker):
    """Two el-selects in the card: 转出团支部 (the account's branches), then 转出人.

    While the page is kept from row to row, the picker remembers the branch on show with the
    members the portal listed for it, so the next member of the same branch is chosen from that
    list (choosing the same branch again fires no change, so no new list would come).
    """

    def __init__(self, page: Page, catalog: Catalog, timeout_ms: float) -> None:
        super().__init__(page, catalog, timeout_ms)
        # The branch on show with its members as the portal listed them (None: not known).
        self._card: tuple[str, list[dict[str, Any]]] | None = None

    @property
    def ready(self) -> Locator:
        return self.branch_select

    @property
    def branch_select(self) -> Locator:
        return self._loc("branch")

    @property
    def member_select(self) -> Locator:
        return self._loc("member")

    def _select(self, root: Locator) -> Select:
        return Select(self.page, self.catalog, root.locator(self.catalog.css("widgets.select")).first, self.timeout)

    def forget(self) -> None:
        super().forget()
        self._card = None

    async def choose(self, row: TransferRow) -> None:
        """Choose the branch (unless the card shows it already), then the member."""
        self.shown = None
        if self._card is not None and self._card[0] == row.branch:
            members = self._card[1]
        else:
            members = await self._choose_branch(row)
        shown = [self._shown_as(m) for m in members]
        found = [i for i, m in enumerate(members) if self._is_row(m, row)]
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
        async with self.page.expect_response(self._is_members_answer, timeout=self.timeout) as info:
            offered = await self._select(self.branch_select).choose(row.branch)
            if offered is not None:
                raise MemberNotFound(
                    f"第{row.row}行：本账号管理的组织中没有团支部“{row.branch}”。现有：{'、'.join(offered)}。"
                    "请核对名单中的转出团支部全称。",
                    branch=row.branch,
                    available=offered,
                )
        members = await self._members(await info.value)
        self._card = (row.branch, members)
        return members


class MemberSearch(MemberPicker):
    """A button 选择 in the card opens the dialog 选择转出人: search by name, then 选择 in the row
    whose name, masked ID number and branch are the row's."""

    @property
    def ready(self) -> Locator:
        return self._loc("open")

    async def choose(self, row: TransferRow) -> None:
        self.shown = None
        dialog = self._loc("dialog")
        await self._loc("open").click()
        await dialog.wait_for(timeout=self.timeout)
        by_name = self._loc("by_name")
        if await by_name.count():
            await by_name.click()
        search = self._loc("search")
        await search.fill(row.name)
        async with self.page.expect_response(self._is_members_answer, timeout=self.timeout) as info:
            await self._loc("query").click()
        members = await self._members(await info.value)
        found = [i for i, m in enumerate(members)
                 if self._is_row(m, row) and self._field(m, "branch_name") == row.branch]
        if not found:
            listed = [f"{self._shown_as(m)}，{self._field(m, 'branch_name')}" for m in members]
            await search.press("Escape")  # closes the dialog (Element UI: Esc closes a dialog)
            raise MemberNotFound(
                f"第{row.row}行：按姓名“{row.name}”查找，团支部“{row.branch}”中没有 "
                f"{self.catalog.member_option(row.name, row.masked_id)}。"
                f"查到：{'；'.join(listed) or '（无）'}。请核对姓名、身份证号和转出团支部。",
                branch=row.branch,
                available=listed,
            )
        # The table lists the answer's entries in its order; the row must read as the member's.
        table_row = self._loc("row").nth(found[0])
        for text in (row.name, row.masked_id, row.branch):
            await expect(table_row).to_contain_text(text, timeout=self.timeout)
        await self.catalog.locator(table_row, "member_picker.pick").click()
        await dialog.wait_for(state="hidden", timeout=self.timeout)
        self.shown = _key(row)


def _key(row: TransferRow) -> tuple[str, str]:
    return (row.id_number.upper(), row.name)


def mask(id_number: Any) -> str:
    """An ID number as the portal shows it: first 4, stars, last 4."""
    id_number = str(id_number)
    return id_number[:4] + "*" * (len(id_number) - 8) + id_number[-4:] if len(id_number) > 8 else id_number

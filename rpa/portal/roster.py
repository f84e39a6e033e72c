"""The account's branches and their members, through the portal's API (names from the catalog).

    roster = Roster(session)
    await roster.check(row)     # MemberNotFound: no such branch here, or not this member in it

Used before any form is opened: by the preflight, so a row whose member isn't in its branch is
数据有误 at once (and stays so on `rpa retry` until the batch or the portal is corrected, without
a form being filled for it), and by `rpa validate --online`. Each list is asked once per run.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from rpa.errors import MemberNotFound
from rpa.runlog import mask_id

if TYPE_CHECKING:
    from rpa.batch import TransferRow
    from rpa.portal.session import PortalSession

# Members asked for a page (the portal's own page holds 10; a branch rarely has 100).
PAGE_SIZE = 100
# Pages read at most for one branch: more would mean a wrong org, not a class.
MAX_PAGES = 20


class Roster:
    """The branches of the signed-in account and their members, each list fetched once."""

    def __init__(self, session: PortalSession, retrying=None) -> None:
        self.session = session
        self.retrying = retrying  # e.g. a tenacity AsyncRetrying around each call
        self._branches: dict[str, str] | None = None
        self._members: dict[str, list[dict[str, Any]]] = {}
        self._lock = asyncio.Lock()

    async def _call(self, name: str, **form: Any) -> Any:
        call = self.session.catalog.call(name)
        if self.retrying is not None:
            return await self.retrying(self.session.api, call, **form)
        return await self.session.api(call, **form)

    async def branches(self) -> dict[str, str]:
        """Branch full name → its id, as the account sees them."""
        async with self._lock:
            if self._branches is None:
                key = lambda name: self.session.catalog.key("branch", name)  # noqa: E731
                answer = await self._call("branch_list")
                self._branches = {str(b.get(key("name")) or ""): str(b.get(key("id")) or "")
                                  for b in answer or [] if isinstance(b, dict)}
            return self._branches

    async def members(self, branch: str) -> list[dict[str, Any]]:
        """The members of one branch (entries of the member list's answer)."""
        branch_id = (await self.branches())[branch]
        async with self._lock:
            if branch not in self._members:
                self._members[branch] = await self._fetch(branch_id)
            return self._members[branch]

    async def _fetch(self, branch_id: str) -> list[dict[str, Any]]:
        key = lambda name: self.session.catalog.key("members", name)  # noqa: E731
        found: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            answer = await self._call("member_list", **{key("parent"): branch_id, key("page"): page,
                                                         key("size"): PAGE_SIZE})
            answer = answer if isinstance(answer, dict) else {}
            batch = [m for m in answer.get(key("list")) or [] if isinstance(m, dict)]
            found += batch
            try:
                total = int(answer.get(key("total")) or 0)
            except (TypeError, ValueError):
                total = 0
            if not batch or len(found) >= total:
                break
        return found

    async def check(self, row: TransferRow) -> None:
        """`MemberNotFound` unless the row's branch is the account's and the member is in it."""
        catalog = self.session.catalog
        branches = await self.branches()
        if row.branch not in branches:
            raise MemberNotFound(
                f"第{row.row}行：本账号管理的组织中没有团支部“{row.branch}”。"
                f"现有：{'、'.join(list(branches)[:30]) or '（无）'}。请核对名单中的转出团支部全称。",
                branch=row.branch, available=list(branches), missing="branch",
            )
        members = await self.members(row.branch)
        field = lambda m, name: str(m.get(catalog.key("members", name)) or "")  # noqa: E731
        if any(field(m, "id_number").upper() == row.id_number.upper() and field(m, "name") == row.name
               for m in members):
            return
        same_id = [m for m in members if field(m, "id_number").upper() == row.id_number.upper()]
        hint = f"该身份证号在支部中的姓名是“{field(same_id[0], 'name')}”。" if same_id else ""
        shown = [catalog.member_option(field(m, "name"), mask_id(field(m, "id_number"))) for m in members]
        raise MemberNotFound(
            f"第{row.row}行：团支部“{row.branch}”中没有 {catalog.member_option(row.name, row.masked_id)}。{hint}"
            f"该支部现有：{'、'.join(shown[:30]) or '（无团员）'}{'……' if len(shown) > 30 else ''}。"
            "请核对姓名、身份证号和转出团支部。",
            branch=row.branch, available=shown, missing="member",
        )

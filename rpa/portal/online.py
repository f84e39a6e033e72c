"""`rpa validate --online`: the rows checked against the portal itself, read-only.

    problems = check_rows_online(settings, rows)   # row number → [(column, code, message)]

Signs in (saved session, or account and password), then for every valid row: its 转出团支部 is
one of the account's and the member (name and ID number) is in it (`Roster`), and its target
path exists in the national tree (`OrgTree`). Nothing is filled or submitted. Sign-in problems
raise (`CaptchaRequired`, `CredentialsMissing`, `ConfigError`, `PortalUnreachable`).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from rpa.errors import MemberNotFound, OrgNotFound

if TYPE_CHECKING:
    from rpa.batch import TransferRow
    from rpa.config import Settings

Problem = tuple[str, str, str]  # (column, code, Chinese message)
# The batch columns a problem is reported under (SPEC §3's headers).
BRANCH_COLUMN, NAME_COLUMN, TARGET_COLUMN = "转出团支部", "姓名", "转入组织"


def check_rows_online(settings: Settings, rows: list[TransferRow]) -> dict[int, list[Problem]]:
    """Each row's problems found in the portal (rows without problems are left out)."""
    if not rows:
        return {}
    return asyncio.run(_check(settings, rows))


async def _check(settings: Settings, rows: list[TransferRow]) -> dict[int, list[Problem]]:
    from rpa.browser import launch, start_playwright
    from rpa.portal.orgtree import OrgTree
    from rpa.portal.roster import Roster
    from rpa.portal.session import PortalSession

    problems: dict[int, list[Problem]] = {}
    async with start_playwright() as playwright:
        browser = await launch(playwright, settings)
        try:
            session = PortalSession(settings, browser)
            try:
                await session.sign_in()
                tree, roster = OrgTree(session), Roster(session)
                for row in rows:
                    found: list[Problem] = []
                    try:
                        await roster.check(row)
                    except MemberNotFound as exc:
                        branch = exc.context.get("missing") == "branch"
                        found.append((BRANCH_COLUMN if branch else NAME_COLUMN,
                                      "branch_not_found" if branch else "member_not_found", exc.message))
                    if row.target_path and not row.province_flag:
                        try:
                            await tree.check_path(list(row.target_path))
                        except OrgNotFound as exc:
                            found.append((TARGET_COLUMN, "org_not_found", exc.message))
                    if found:
                        problems[row.row] = found
            finally:
                await session.close()
        finally:
            await browser.close()
    return problems

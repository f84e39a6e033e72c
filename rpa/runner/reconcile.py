"""Is the application the portal holds for a member ours? The rule for a row that may have been sent.

A row whose click may have reached the portal (its last state `submitting` or `in_doubt`, or an
unreadable history in the log) is looked up in the portal before anything else is done with it.
An application found there is **ours** only if all of these hold:

- it is for the row's member (`HistoryEntry.is_for`: the name, and the masked ID where shown),
- its target is the row's target (`HistoryEntry.targets`: the path's last org by its name or
  its full name — lists show the full name — or the full name typed for 北京/广东/福建),
- it was created after the row's first `submitting` record, less `CLOCK_SKEW_S`,
- it is not revoked (withdrawn by someone, or returned by the portal after 10 days untouched).

Then the row is `submitted`. Another open application of the member (someone else's, to another
org, or from before our click) means the portal will refuse ours: the row ends `duplicate`,
with the portal's facts (target, time, stage) in its message. Nothing of either kind: our click
never landed, and the row may be tried again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rpa.errors import DuplicateApplication
from rpa.runlog import Status
from rpa.runner.job import Outcome

if TYPE_CHECKING:
    from rpa.batch import TransferRow
    from rpa.portal.history import HistoryEntry
    from rpa.portal.session import PortalSession
    from rpa.runner.job import Item, Job

# How far the portal's clock may be behind ours: an application created up to this long before
# our first click still counts as ours. Both clocks are set by the network; two minutes covers a
# badly set laptop without taking someone's application of the day before for ours.
CLOCK_SKEW_S = 120


@dataclass(frozen=True)
class Verdict:
    """What the portal's history says about a row that may have been sent."""

    ours: HistoryEntry | None = None  # our application: the row is submitted
    other: HistoryEntry | None = None  # another open application: the row is a duplicate

    def duplicate(self, row: int) -> DuplicateApplication:
        """The error a row ends with when the member has another open application."""
        entry = self.other
        assert entry is not None
        return DuplicateApplication(
            f"第{row}行：该团员在门户中已有一份正在办理的转接申请（转入“{entry.target or '未知'}”，"
            f"申请时间 {entry.created_at or '未知'}，当前状态“{entry.stage_name or '未知'}”），"
            "不是本次提交的，门户不会再受理新的申请。请与该团员或经办人核实：如需改办，先在门户中撤销那份申请。"
        )


def judge(entries: list[HistoryEntry], row: TransferRow, since: dt.datetime | None) -> Verdict:
    """Apply the rule to the member's applications (`since`: the row's first `submitting`)."""
    mine = [e for e in entries if e.is_for(row)]
    for entry in mine:
        if not entry.revoked and entry.targets(row) and _created_after(entry, since):
            return Verdict(ours=entry)
    for entry in mine:
        if entry.open:
            return Verdict(other=entry)
    return Verdict()


def _created_after(entry: HistoryEntry, since: dt.datetime | None) -> bool:
    if since is None:
        # No `submitting` record survives (a log unreadable in part): any time is possible.
        return True
    created = parse_portal_time(entry.created_at)
    if created is None:
        return False  # a time we can't read can't show the application is ours
    return created >= since - dt.timedelta(seconds=CLOCK_SKEW_S)


def parse_portal_time(text: str | None) -> dt.datetime | None:
    """The portal's 申请时间 (`2025-07-01 09:30:12`, local time, or ISO with a zone), aware."""
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(str(text).strip().replace("/", "-"))
    except ValueError:
        return None
    return value if value.tzinfo is not None else value.astimezone()


async def settle(job: Job, session: PortalSession, item: Item) -> Outcome | None:
    """Look a maybe-sent row up in the portal and apply the rule.

    `Outcome(submitted)` when the portal holds our application; raises `DuplicateApplication`
    (with the portal's facts) when the member has another open one; None when it holds neither:
    the row is no longer in doubt and may be tried again. Errors of the look-up propagate:
    "don't know" is never read as "not there".
    """
    from rpa.portal.history import applications_of

    row = item.data
    entries = await applications_of(session, row)
    verdict = judge(entries, row, job.first_submitting.get(item.row))
    if verdict.ours is not None:
        return Outcome(Status.submitted, created_at=verdict.ours.created_at, screenshot=job.existing_shot(item.row))
    if verdict.other is not None:
        raise verdict.duplicate(item.row)
    item.maybe_sent = False
    return None


"""The preflight: sign in once (with `rpa check`'s quick check of the entries the run needs),
then check each row before a worker takes it.

Row by row it reconciles a maybe-sent row with the portal's history, checks that the member is
in its branch and the target path in the portal's tree, and puts the row in the feed as soon as
it has passed. The workers
start once `signed_in` is set and take rows while this goes on. Rows it settles itself (found
in the history, a path the portal lacks) are logged as final.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from rpa.errors import BusinessError, DuplicateApplication, PortalTimeout, SessionExpired
from rpa.runlog import Status, mask_id
from rpa.runner.guards import as_rpa_error, backoff, is_transient

if TYPE_CHECKING:
    from rpa.portal.session import PortalSession
    from rpa.runner.feed import RowFeed
    from rpa.runner.job import Item, Job


def sign_in_budget_s(settings) -> float:
    """How long signing in and the quick check may take: a dozen pages or so, every wait on
    them bounded by timeout_ms; past this it is stuck, not slow."""
    return max(120.0, settings.timeout_ms / 1000 * 12)


def created_at(obj: object) -> str | None:
    value = getattr(obj, "created_at", None)
    return None if value is None else str(value)


def session_retrying(job: Job, session: PortalSession) -> AsyncRetrying:
    """Retries for one portal call: transient errors with backoff; an expired session is
    renewed (once for everyone) before the next try."""
    seen = {"generation": session.generation}

    def before(_state: RetryCallState) -> None:
        seen["generation"] = session.generation

    async def renew_if_expired(state: RetryCallState) -> None:
        if state.outcome is not None and isinstance(state.outcome.exception(), SessionExpired):
            await session.renew(seen["generation"])

    return AsyncRetrying(
        stop=stop_after_attempt(job.settings.max_attempts),
        wait=backoff(),
        retry=retry_if_exception(is_transient),
        before=before,
        before_sleep=renew_if_expired,
        reraise=True,
    )


class Preflight:
    """Signs in, then checks rows one by one and passes each on. Its error, if any, is left in
    `error`; on a fatal one (captcha, wrong account …) the run stops."""

    def __init__(self, job: Job, session: PortalSession, todo: list[Item], feed: RowFeed) -> None:
        self.job, self.session, self.todo, self.feed = job, session, todo, feed
        self.signed_in = asyncio.Event()
        self.confirmed: set[str] = set()  # catalog entries the quick check has found, over its tries
        self.sign_in_tries = 0
        self.error: BaseException | None = None

    def named_error(self) -> BaseException | None:
        """`error`, Playwright's own errors named in the tool's words."""
        error = self.error
        return as_rpa_error(error) if error is not None and is_transient(error) else error

    async def run(self) -> None:
        try:
            await self._check_rows()
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - told by the caller, in the run's words
            self.error = exc
            if self.signed_in.is_set() and not is_transient(exc):
                self.job.fail_fatally(exc)
        finally:
            self.feed.close()

    async def _sign_in(self) -> None:
        """Sign in, then `rpa check`'s quick check of the entries this run needs (it walks the
        way to 办理转出 too): a catalog entry the portal doesn't match stops the run here
        (`CatalogDrift`, exit 2), before any row."""
        from rpa.check import quick_check

        job, session, budget = self.job, self.session, sign_in_budget_s(self.job.settings)
        self.sign_in_tries += 1
        try:
            async with asyncio.timeout(budget):
                await session.sign_in(walk=False)
                if session.way_checked:
                    return
                # On the last try a busy portal no longer stops the run: the rows meet the
                # same pages, with tries of their own.
                unchecked = await quick_check(session, [item.data for item in self.todo], job.mode, self.confirmed,
                                              busy_ok=self.sign_in_tries >= job.settings.max_attempts)
        except TimeoutError:
            raise PortalTimeout(f"登录门户并检查页面超过 {int(budget)} 秒仍未完成（浏览器卡住），请稍后重试。") from None
        if unchecked:
            job.notes.append(f"门户繁忙，开始办理前的页面检查没有做完（{len(unchecked)} 项未能核对），已直接开始办理。"
                             "若有行因页面与目录不符而未成功，请运行 rpa check 检查门户。")

    async def _check_rows(self) -> None:
        from rpa.portal.orgtree import OrgTree
        from rpa.portal.roster import Roster
        from rpa.runner.reconcile import settle

        job, session = self.job, self.session
        await session_retrying(job, session)(self._sign_in)
        self.signed_in.set()
        tree = OrgTree(session, job.org_cache, retrying=session_retrying(job, session))
        roster = Roster(session, retrying=session_retrying(job, session))
        for item in self.todo:
            if job.stop.is_set():
                return
            data, member = item.data, mask_id(item.data.id_number)
            if item.maybe_sent and job.mode == "submit":
                try:
                    found = await session_retrying(job, session)(settle, job, session, item)
                except DuplicateApplication as exc:
                    job.record(item.row, Status.duplicate, member=member, error=exc, final=True)
                    continue
                if found is not None:
                    job.record(item.row, found.status, member=member, created_at=found.created_at,
                               screenshot=found.screenshot, final=True)
                    continue
            try:
                # The member in its branch and the target path, before any form is opened: a
                # row that would fail on them is 数据有误 now (and on `rpa retry`, until the batch
                # or the portal is corrected, it costs two calls, not a form).
                if roster is not None:
                    try:
                        await roster.check(data)
                    except BusinessError:
                        raise
                    except Exception as exc:  # noqa: BLE001 - only an early notice: the form checks it too
                        if not is_transient(exc):
                            raise
                        roster = None  # the portal errs: leave the members to the form (and the breaker)
                if data.target_path and not data.province_flag:
                    await tree.check_path(list(data.target_path))
            except BusinessError as exc:
                job.record(item.row, Status.invalid, member=member, error=exc, final=True)
                continue
            self.feed.put(item)

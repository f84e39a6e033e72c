"""Small async pieces that keep a run polite and safe: the pause between submissions, the
circuit breaker, and what counts as worth another try.

    limiter = RateLimiter(settings.min_interval_s)
    await limiter.wait(stop)                 # before each 提交, across all workers
    breaker = CircuitBreaker(threshold, pause_s)
    breaker.row_ended(ok=…)                  # after each row's last try
    if breaker.should_probe: await breaker.probe(check_portal)   # pause, ask, then go on or trip
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeout
from tenacity import wait_exponential, wait_random

from rpa.errors import (
    BusinessError,
    CaptchaRequired,
    PortalTimeout,
    PortalUnreachable,
    RpaError,
    SessionExpired,
    TransientError,
)

# Backoff between two tries of a step: 0.5 s, 1 s, 2 s … capped, with jitter so that several
# workers hit by the same hiccup don't come back in lockstep.
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 8.0
BACKOFF_JITTER_S = 0.5
# How many times the breaker pauses and asks the portal before it gives up on it: with the
# default pause (settings.breaker_pause_s = 15 s) a portal that stays down for ~45 s stops the run.
BREAKER_PROBES = 2


def backoff():
    """Exponential backoff with jitter: 0.5 s, 1 s, 2 s … capped, plus up to 0.5 s at random."""
    return wait_exponential(multiplier=BACKOFF_INITIAL_S, max=BACKOFF_MAX_S) + wait_random(0, BACKOFF_JITTER_S)


def is_transient(exc: BaseException) -> bool:
    """Worth another try of the same step: the tool's transient family, Playwright timeouts and
    a page/browser that went away. Never a business error, never a captcha."""
    if isinstance(exc, (BusinessError, CaptchaRequired)):
        return False
    if isinstance(exc, (TransientError, SessionExpired, PortalUnreachable)):
        # (an unreachable portal mid-run may be a blip; if it lasts, the row's last error ends the run)
        return True
    return isinstance(exc, PlaywrightError)


def as_rpa_error(exc: BaseException) -> BaseException:
    """Name Playwright's own errors in the tool's vocabulary for the log."""
    if isinstance(exc, RpaError):
        return exc
    first = (str(exc).splitlines() or [""])[0]
    if isinstance(exc, PlaywrightTimeout):
        return PortalTimeout(f"门户页面响应超时：{first}")
    if isinstance(exc, PlaywrightError):
        return TransientError(f"浏览器页面出错：{first}")
    return exc


class RateLimiter:
    """At least `interval` seconds between two submissions, across all workers."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._lock = asyncio.Lock()
        self._last = 0.0

    async def wait(self) -> None:
        if self.interval <= 0:
            return
        async with self._lock:
            delay = self._last + self.interval - time.monotonic()
            if delay > 0:
                # A politeness pause between two submissions, not a wait for the page. Kept after
                # a first Ctrl-C too (the row in flight finishes as it would have); a second one
                # cancels it.
                await asyncio.sleep(delay)
            self._last = time.monotonic()


class CircuitBreaker:
    """Stops a run against a portal that is down, not one that errs now and then.

    It counts rows, not tries: a row that still failed for a transient reason after all its
    retries counts one; a row that went through resets the count. At `threshold` rows in a row
    it asks for a pause and a probe of the portal (`probe()`): a portal that answers resets the
    count and the run goes on; one that still doesn't after `BREAKER_PROBES` pauses trips it.
    """

    def __init__(self, threshold: int, pause_s: float = 15.0) -> None:
        self.threshold = threshold
        self.pause_s = pause_s
        self.failed_rows = 0
        self.tripped = False
        self._probing = asyncio.Lock()

    def row_ended(self, *, ok: bool, transient: bool = False) -> None:
        if ok:
            self.failed_rows = 0
        elif transient:
            self.failed_rows += 1

    @property
    def should_probe(self) -> bool:
        return not self.tripped and self.failed_rows >= self.threshold

    async def probe(self, portal_answers: Callable[[], Awaitable[bool]], stop: asyncio.Event) -> bool:
        """Pause, then ask the portal; True when the run may go on. One probe for all workers."""
        async with self._probing:
            if not self.should_probe:  # another worker probed meanwhile
                return not self.tripped
            for attempt in range(BREAKER_PROBES):
                try:
                    await asyncio.wait_for(stop.wait(), self.pause_s * (attempt + 1))
                    return False  # stopped meanwhile (Ctrl-C)
                except TimeoutError:
                    pass
                if await portal_answers():
                    self.failed_rows = 0
                    return True
            self.tripped = True
            return False

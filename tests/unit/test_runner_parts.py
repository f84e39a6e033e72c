"""The runner's small shared parts: the pause between submissions, the circuit breaker, traces."""

from __future__ import annotations

import asyncio
import time
import zipfile

from rpa.runner.guards import CircuitBreaker, RateLimiter
from rpa.runner.outputs import scrub_trace


async def test_the_rate_limiter_keeps_the_pause_between_two_submissions_across_workers():
    limiter, times = RateLimiter(0.2), []

    async def submit():
        await limiter.wait()
        times.append(time.monotonic())

    await asyncio.gather(*(submit() for _ in range(3)))
    times.sort()
    assert all(b - a >= 0.19 for a, b in zip(times, times[1:]))


async def test_the_circuit_breaker_counts_failed_rows_in_a_row_and_a_row_that_went_through_resets_it():
    breaker = CircuitBreaker(3, pause_s=0)
    breaker.row_ended(ok=False, transient=True)
    breaker.row_ended(ok=False, transient=True)
    breaker.row_ended(ok=True)
    breaker.row_ended(ok=False, transient=True)
    breaker.row_ended(ok=False, transient=False)  # a bad row says nothing about the portal
    breaker.row_ended(ok=False, transient=True)
    assert not breaker.should_probe
    breaker.row_ended(ok=False, transient=True)
    assert breaker.should_probe and not breaker.tripped


async def test_the_circuit_breaker_goes_on_when_the_probe_answers_and_trips_when_it_never_does():
    stop = asyncio.Event()
    answering, down = CircuitBreaker(1, pause_s=0), CircuitBreaker(1, pause_s=0)
    for breaker in (answering, down):
        breaker.row_ended(ok=False, transient=True)

    async def yes() -> bool:
        return True

    async def no() -> bool:
        return False

    assert await answering.probe(yes, stop) and not answering.tripped and answering.failed_rows == 0
    assert not await down.probe(no, stop) and down.tripped


def test_a_trace_is_rewritten_with_id_numbers_masked_and_the_password_blanked(tmp_path):
    path = tmp_path / "row-3.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("trace.network", '{"idNumber":"37030320020828589X","pw":"Dzxy@2021"}')
        z.writestr("resources/shot.png", b"\x89PNG\r\n370303200208285891")
    scrub_trace(path, ("Dzxy@2021",))
    with zipfile.ZipFile(path) as z:
        text = z.read("trace.network").decode()
        assert "3703**********589X" in text and "37030320020828589X" not in text and "Dzxy@2021" not in text
        assert z.read("resources/shot.png").endswith(b"370303200208285891")  # images untouched
    assert (path.stat().st_mode & 0o777) == 0o600
